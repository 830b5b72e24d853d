"""Links that macros write, right for whatever they are rendering.

Markdown links (`[Errors](errors.md#card_error)`) are resolved and checked by the site generator.
Raw HTML (the tables the macros render, `<a href>` in a page) is not: a hand-made relative path
such as `../errors/` is a guess about where the page ends up. So macros ask this module instead:

- in the HTML site, `href("/errors/#card_error")` is the path from the page being rendered (the
  macros environment's `page.url`), so the site works at any base path (`site_url` under a
  sub-path, `mkdocs serve`, a local folder);
- in a page's Markdown copy (`docs_macros.markdown_copy`, whose environment sets
  `markdown_copy = True`), it is the absolute URL under `site_url`, since whoever reads the copy
  may not have the site.
"""

from __future__ import annotations

import html
import posixpath
from typing import Any

_env: Any = None
"""The macros environment of the build in progress (bound by `define_env`)."""


def bind(env: Any) -> None:
    global _env
    _env = env


def markdown_mode(env: Any = None) -> bool:
    """True while rendering a page's Markdown copy, False in the HTML site."""
    return bool(getattr(env if env is not None else _env, "markdown_copy", False))


def site_url(env: Any = None) -> str:
    env = env if env is not None else _env
    url = (env.conf.get("site_url") if env is not None else None) or "/"
    return url if url.endswith("/") else url + "/"


def page_url(env: Any = None) -> str | None:
    """The URL of the page being rendered relative to the site root ('' for the home page)."""
    page = getattr(env if env is not None else _env, "page", None)
    return getattr(page, "url", None) if page is not None else None


def relative(target: str, from_page: str) -> str:
    """`errors/#x` seen from `decline-codes/` is `../errors/#x` (both relative to the root)."""
    path, hash_, fragment = target.partition("#")
    base = from_page.rstrip("/") if from_page.endswith("/") else posixpath.dirname(from_page)
    result = posixpath.relpath(path or ".", base or ".")
    if (path == "" or path.endswith("/")) and not result.endswith("/"):
        result += "/"
    return result + (hash_ + fragment if hash_ else "")


def href(site_path: str, env: Any = None) -> str:
    """The link to a site path such as `/errors/#card_error` or `/catalog.json`, from here."""
    if not site_path.startswith("/"):
        raise ValueError(f"site paths start with '/': {site_path!r}")
    env = env if env is not None else _env
    if markdown_mode(env):
        return site_url(env) + site_path.lstrip("/")
    current = page_url(env)
    if current is None:  # outside a page (cannot happen in a build): an absolute path
        return site_path
    return relative(site_path.lstrip("/"), current)


def file_link(site_path: str, label: str | None = None) -> str:
    """Macro: a link to a file the build publishes (`/catalog.json`), as HTML or Markdown."""
    label = label or site_path.lstrip("/")
    if markdown_mode():
        return f"[`{label}`]({href(site_path)})"
    return f'<a href="{html.escape(href(site_path))}"><code>{html.escape(label)}</code></a>'
