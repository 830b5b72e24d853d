"""mkdocs-macros modules for the Flowlix docs.

`docs_macros.site` renders every fact table from `flowlix_mock.catalog` and the HTTP reference
from the mock's OpenAPI document; `docs_macros.checklist` renders the go-live checklist.
Both are listed under `plugins: macros: modules` in mkdocs.yml.
"""
