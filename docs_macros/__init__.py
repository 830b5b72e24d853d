"""The Flowlix docs' build code: mkdocs-macros macros and the build step that publishes the rest.

mkdocs-macros loads this package as its local module (`plugins: macros: module_name:
docs_macros` in mkdocs.yml, resolved from the folder of mkdocs.yml, so no MkDocs hook has to put
it on `sys.path`). `define_env` registers the macros of

- `docs_macros.site`: every fact table from `flowlix_mock.catalog`, the HTTP reference from the
  mock's OpenAPI document, links between pages that raw HTML needs;
- `docs_macros.checklist`: the go-live checklist and the testing page's scenario checklist.

`docs_macros.publish` is the build step that runs after the site is built (`make build`, `make
serve`, the tests and CI all run it): `/catalog.json`, `/openapi.json`, the Postman collection,
`/llms.txt`, `/llms-full.txt`, a Markdown copy of every page, and the checklist's link check.
Nothing here depends on MkDocs' hooks or plugin events beyond the macros themselves.
"""

from __future__ import annotations


def define_env(env) -> None:
    """mkdocs-macros entry point: register every macro of the site."""
    from docs_macros import checklist, site

    site.define_env(env)
    checklist.define_env(env)


def on_pre_page_macros(env) -> None:
    """mkdocs-macros, before a page's macros render: titles and highlighted lines for the code
    blocks that embed a snippet (`docs_macros.code_blocks`)."""
    from docs_macros import site

    site.on_pre_page_macros(env)
