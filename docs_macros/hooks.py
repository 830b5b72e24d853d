"""MkDocs hook (mkdocs.yml `hooks:`): make the `docs_macros` package importable.

`mkdocs` runs as a console script, so the repository root is not on `sys.path` and mkdocs-macros
could not import `docs_macros.site` or `docs_macros.checklist`. This hook puts the directory
that holds mkdocs.yml first on the path before any plugin loads its modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.plugins import event_priority


@event_priority(100)  # before the macros plugin's on_config, which imports the modules
def on_config(config):
    project_dir = str(Path(config.config_file_path).resolve().parent)
    if project_dir not in sys.path:
        sys.path.insert(0, project_dir)
    return config
