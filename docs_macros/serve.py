"""`make serve`: `mkdocs serve`, with the build step `docs_macros.publish` after every rebuild.

    python -m docs_macros.serve [mkdocs serve options]

`mkdocs serve` builds into a temporary folder and rebuilds on every change; this runs the same
command with its build followed by `publish()` into that folder, so the preview has
`/llms.txt`, the Markdown copies, `/openapi.json` and the rest, and reports a broken checklist
link, as `make build` does. MkDocs exposes no option for a step after its build other than
plugins and hooks, which this project does not use for outputs (see docs_macros/__init__.py), so
the wrapper replaces the build function that `mkdocs.commands.serve` calls.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.__main__ import cli
from mkdocs.commands import serve as mkdocs_serve

from docs_macros.publish import publish

log = logging.getLogger("mkdocs.docs_macros.publish")
_build = mkdocs_serve.build


def build_and_publish(config, *args, **kwargs) -> None:
    _build(config, *args, **kwargs)
    for problem in publish(Path(config.site_dir), site_url=config.site_url):
        log.error("publish: %s", problem)


def main(argv: list[str]) -> None:
    mkdocs_serve.build = build_and_publish
    cli(["serve", *argv], prog_name="mkdocs")


if __name__ == "__main__":
    main(sys.argv[1:])
