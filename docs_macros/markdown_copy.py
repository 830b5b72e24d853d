"""A Markdown copy of every page: what `/llms.txt`, "Copy page as Markdown" and the MCP server read.

The copy is rendered from the page's source, not converted back from the built HTML, and without
MkDocs: the same macros (`docs_macros.define_env`) run in a plain Jinja2 environment that says it
renders a Markdown copy (`markdown_copy = True`), so tables come out as Markdown tables, diagrams
as their text, checklists as plain lists with no widget, and links as absolute URLs under
`site_url`. Then:

- `--8<--` includes are inlined by pymdownx.snippets' own preprocessor (the same extension and
  options as the site, read from mkdocs.yml);
- admonitions become block quotes and content tabs a bold label over their content, so any
  Markdown reader shows them (their indented bodies would otherwise read as code);
- heading attributes (`{ #anchor }`) go, and each page's links to other pages become absolute
  URLs of those pages;
- mkdocstrings blocks (`::: module`) become a link to the rendered reference.

`render_site(project)` gives one `Page` per page of the navigation.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markdown
import yaml

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
BLOCK_START = re.compile(
    r'^(?P<indent>\s*)(?P<kind>!!!|\?\?\?\+?|===)\s*(?P<type>[\w-]+)?\s*(?:"(?P<title>[^"]*)")?\s*$'
)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
HEADING_ATTRIBUTES = re.compile(r"\s*\{\s*(?:[#.:][^}]*)\}\s*$")
MARKDOWN_LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")
HTML_WRAPPER = re.compile(r"^\s*(?:<div\b[^>]*>|</div>)\s*$")
MKDOCSTRINGS = re.compile(r"^:::\s+([\w.]+)\s*$")


# --- mkdocs.yml, read without MkDocs ----------------------------------------------------------


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml's YAML: `!ENV` resolved as MkDocs does, any other tag kept as plain data."""


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        items = loader.construct_sequence(node)
        names, default = items[:-1], items[-1]
    for name in names:
        if name in os.environ:
            return yaml.safe_load(os.environ[name])
    return default


def _other_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_ConfigLoader.add_constructor("!ENV", _env_tag)
_ConfigLoader.add_multi_constructor("", _other_tag)


def load_config(project: Path) -> dict[str, Any]:
    config = yaml.load((project / "mkdocs.yml").read_text("utf-8"), Loader=_ConfigLoader)  # noqa: S506
    config.setdefault("docs_dir", "docs")
    config.setdefault("use_directory_urls", True)
    config.setdefault("extra", {})
    config["site_url"] = config.get("site_url") or "/"
    if not config["site_url"].endswith("/"):
        config["site_url"] += "/"
    return config


# --- pages ------------------------------------------------------------------------------------


@dataclass
class Page:
    src: str  # "errors.md", relative to docs_dir
    title: str  # as in the navigation
    section: str | None  # the navigation section it is in, None at the top level
    url: str = ""  # "errors/", relative to the site root ("" for the home page)
    description: str = ""
    markdown: str = ""  # the page's Markdown copy
    meta: dict[str, Any] = field(default_factory=dict)
    # (level, title, anchor) of every heading, in order, as the HTML page has them
    headings: list[tuple[int, str, str]] = field(default_factory=list)

    def sections(self) -> list[dict[str, Any]]:
        """The copy cut at its headings: title, anchor, level and Markdown of each section."""
        found: list[dict[str, Any]] = []
        pending = iter(self.headings)
        current: dict[str, Any] | None = None
        lines: list[str] = []
        for line, in_code in _outside_fences(self.markdown.split("\n")):
            heading = None if in_code else HEADING.match(line)
            if heading:
                if current is not None:
                    current["markdown"] = "\n".join(lines).strip() + "\n"
                    found.append(current)
                level, title, anchor = next(pending)
                current = {"level": level, "title": title, "anchor": anchor}
                lines = []
            lines.append(line)
        if current is not None:
            current["markdown"] = "\n".join(lines).strip() + "\n"
            found.append(current)
        return found

    @property
    def markdown_path(self) -> str:
        """Where the copy is published, relative to the site root: errors/index.md, index.md."""
        return f"{self.url}index.md"


def page_url(src: str, use_directory_urls: bool = True) -> str:
    stem = src[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return f"{stem}/" if use_directory_urls else f"{stem}.html"


def nav_pages(config: dict[str, Any]) -> list[Page]:
    """Every page of the navigation, in order, with its section."""
    pages: list[Page] = []

    def walk(items: list, section: str | None) -> None:
        for item in items:
            if isinstance(item, str):
                pages.append(Page(item, Path(item).stem.replace("-", " ").capitalize(), section))
                continue
            ((title, value),) = item.items()
            if isinstance(value, list):
                walk(value, title if section is None else f"{section} / {title}")
            elif isinstance(value, str) and value.endswith(".md"):
                pages.append(Page(value, title, section))

    walk(config.get("nav") or [], None)
    for page in pages:
        page.url = page_url(page.src, config["use_directory_urls"])
    return pages


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return yaml.safe_load(text[4:end]) or {}, text[end + 5 :]
    return {}, text


# --- the macros, outside MkDocs ---------------------------------------------------------------


class MacrosEnvironment:
    """The part of mkdocs-macros' `env` that `docs_macros.define_env` uses, for the copy."""

    markdown_copy = True

    def __init__(self, config: dict[str, Any]):
        self.conf = config
        self.variables: dict[str, Any] = {}
        self.macros: dict[str, Any] = {}
        self.filters: dict[str, Any] = {}
        self.page: Any = None

    def macro(self, function, name: str = ""):
        self.macros[name or function.__name__] = function
        return function

    def filter(self, function, name: str = ""):
        self.filters[name or function.__name__] = function
        return function


class _PageView:
    def __init__(self, page: Page):
        self.url, self.title, self.meta = page.url, page.title, page.meta
        self.file = type("File", (), {"src_uri": page.src, "src_path": page.src})()


def _jinja(environment: MacrosEnvironment) -> jinja2.Environment:
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    jinja.filters.update(environment.filters)
    return jinja


# --- Markdown clean-up ------------------------------------------------------------------------


def _outside_fences(lines: list[str]):
    """Yield (line, in_code) for each line, so that rewrites leave fenced code alone."""
    fence = ""
    for line in lines:
        stripped = line.strip()
        if not fence:
            match = FENCE.match(line)
            if match:
                fence = match.group(2)
            yield line, bool(match)
        else:
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = ""
            yield line, True


def flatten_blocks(lines: list[str]) -> list[str]:
    """Admonitions to block quotes, content tabs to a bold label over their content."""
    out: list[str] = []
    pending = list(_outside_fences(lines))
    index = 0
    while index < len(pending):
        line, in_code = pending[index]
        match = None if in_code else BLOCK_START.match(line)
        if not match:
            out.append(line)
            index += 1
            continue
        indent = match.group("indent")
        body_indent = indent + "    "
        body: list[str] = []
        index += 1
        while index < len(pending) and (
            pending[index][0].startswith(body_indent) or not pending[index][0].strip()
        ):
            text = pending[index][0]
            body.append(text[len(body_indent) :] if text.strip() else "")
            index += 1
        while body and not body[-1]:
            body.pop()
        body = flatten_blocks(body)
        kind, title = match.group("kind"), match.group("title")
        if kind == "===":
            out += [f"{indent}**{title}**", ""] + [f"{indent}{b}" if b else "" for b in body]
        else:
            label = title if title is not None else (match.group("type") or "Note").capitalize()
            out += [f"{indent}> **{label}**" if label else f"{indent}>", f"{indent}>"]
            out += [f"{indent}> {b}".rstrip() for b in body]
        out.append("")
    return out


class LinkResolver:
    """Markdown links of one page made absolute: other pages' URLs, anchors on this page."""

    def __init__(self, site_url: str, page: Page, pages_by_src: dict[str, Page]):
        self.site_url, self.page, self.pages_by_src = site_url, page, pages_by_src

    def __call__(self, match: re.Match) -> str:
        label, target = match.group(1), match.group(2)
        return f"{label}({self.resolve(target)})"

    def resolve(self, target: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
            return target  # https:, mailto:
        if target.startswith("#"):
            return f"{self.site_url}{self.page.url}{target}"
        if target.startswith("/"):
            return self.site_url + target.lstrip("/")
        path, hash_, fragment = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(self.page.src), path))
        if resolved in self.pages_by_src:
            url = self.pages_by_src[resolved].url
        elif resolved.endswith(".md"):
            raise ValueError(f"{self.page.src}: link to {target!r}, a page not in the navigation")
        else:
            url = resolved
        return f"{self.site_url}{url}{hash_}{fragment}"


def heading_text(markdown_text: str) -> str:
    """A heading's text as a reader sees it: no backticks, links reduced to their label."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text)
    return re.sub(r"[`*_]", "", text).strip()


def clean_markdown(
    text: str, resolver: LinkResolver, headings: list[tuple[int, str, str]] | None = None
) -> str:
    """The copy's text; each heading's (level, title, anchor) is appended to `headings`."""
    from markdown.extensions.toc import slugify, unique

    used_ids: set[str] = set()
    lines = flatten_blocks(text.split("\n"))
    out: list[str] = []
    skip_options = False
    for line, in_fence in _outside_fences(lines):
        if in_fence:
            out.append(line)
            continue
        if skip_options:
            if line.startswith("    ") or not line.strip():
                continue
            skip_options = False
        mkdocstrings = MKDOCSTRINGS.match(line)
        if mkdocstrings:
            module = mkdocstrings.group(1)
            out.append(
                f"The Python reference of `{module}` (its classes, functions and docstrings) is "
                f"on the web page: {resolver.resolve('#' + module)}."
            )
            skip_options = True
            continue
        if HTML_WRAPPER.match(line):
            continue
        heading = HEADING.match(line)
        if heading:
            title = HEADING_ATTRIBUTES.sub("", heading.group(2))
            explicit = re.search(r"\{[^}]*#([\w-]+)[^}]*\}\s*$", heading.group(2))
            anchor = explicit.group(1) if explicit else slugify(heading_text(title), "-")
            anchor = unique(anchor, used_ids)
            if headings is not None:
                headings.append((len(heading.group(1)), heading_text(title), anchor))
            line = f"{heading.group(1)} {title}"
        out.append(MARKDOWN_LINK.sub(resolver, line))
    cleaned = "\n".join(line.rstrip() for line in out)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip() + "\n"


# --- the whole site ---------------------------------------------------------------------------


def _snippet_preprocessor(config: dict[str, Any], project: Path):
    options: dict[str, Any] = {}
    for extension in config.get("markdown_extensions") or []:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            options = dict(extension["pymdownx.snippets"] or {})
    base_paths = options.get("base_path", ["."])
    if isinstance(base_paths, str):
        base_paths = [base_paths]
    options["base_path"] = [str((project / path).resolve()) for path in base_paths]
    options.setdefault("check_paths", True)
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    return md.preprocessors["snippet"]


def render_site(project: Path, site_url: str | None = None) -> tuple[dict[str, Any], list[Page]]:
    """(config, pages): every navigation page with its Markdown copy rendered."""
    from docs_macros import define_env

    config = load_config(project)
    if site_url is not None:
        config["site_url"] = site_url if site_url.endswith("/") else site_url + "/"
    docs_dir = project / config["docs_dir"]
    config["docs_dir"] = str(docs_dir)
    environment = MacrosEnvironment(config)
    define_env(environment)
    # mkdocs-macros exposes `config`, and `extra`'s keys at the top level.
    variables = {"config": config, **config["extra"], **environment.variables}
    jinja = _jinja(environment)
    snippets = _snippet_preprocessor(config, project)
    pages = nav_pages(config)
    by_src = {page.src: page for page in pages}
    for page in pages:
        meta, body = split_front_matter((docs_dir / page.src).read_text("utf-8"))
        page.meta = meta
        page.description = " ".join(str(meta.get("description", "")).split())
        environment.page = _PageView(page)
        try:
            rendered = jinja.from_string(body).render(
                **variables, **environment.macros, page=environment.page
            )
        except Exception as error:
            raise RuntimeError(
                f"{page.src}: the Markdown copy failed to render: {error}"
            ) from error
        inlined = "\n".join(snippets.run(rendered.split("\n")))
        resolver = LinkResolver(config["site_url"], page, by_src)
        page.markdown = clean_markdown(inlined, resolver, page.headings)
    environment.page = None
    return config, pages
