"""Bench-only MkDocs hook: save every page's Markdown as our plugins leave it.

Used only by the config `bench/measure_site.py` generates for the page-weight baseline, never by
mkdocs.yml. It runs after mkdocs-macros (lowest priority of `on_page_markdown`), so what it writes
is the page text with every macro already expanded (the checklist's HTML, the tables, ...), plus the
page's front matter; every other file of the site (images, CSS, JS) is copied alongside. A bare
Material site built from that folder shows the same text as ours without our theme work.

The target folder comes from the environment variable FLOWLIX_BENCH_RENDERED_DIR.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml
from mkdocs.plugins import event_priority

ENVIRONMENT_VARIABLE = "FLOWLIX_BENCH_RENDERED_DIR"


def _target() -> Path:
    folder = os.environ.get(ENVIRONMENT_VARIABLE)
    if not folder:
        raise RuntimeError(f"{ENVIRONMENT_VARIABLE} is not set: where should the pages go?")
    return Path(folder)


@event_priority(-100)  # after every plugin has added or removed files
def on_files(files, config):
    target = _target()
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for file in files:
        if file.is_documentation_page() or file.inclusion.is_excluded() or not file.abs_src_path:
            continue
        destination = target / file.src_uri
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.abs_src_path, destination)
    return files


@event_priority(-100)  # after mkdocs-macros has rendered the page
def on_page_markdown(markdown, page, config, files):
    destination = _target() / page.file.src_uri
    destination.parent.mkdir(parents=True, exist_ok=True)
    front_matter = ""
    if page.meta:
        dumped = yaml.safe_dump(dict(page.meta), sort_keys=False, allow_unicode=True)
        front_matter = f"---\n{dumped}---\n\n"
    destination.write_text(front_matter + markdown, encoding="utf-8")
    return markdown
