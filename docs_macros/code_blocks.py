"""Titles and highlighted lines for code blocks that embed a snippet, without touching the embeds.

A page embeds a whole runnable program with pymdownx.snippets:

    ```python
    --8<-- "snippets/payments/create_payment.py"
    ```

Before the page is rendered (mkdocs-macros' `on_pre_page_macros`, see docs_macros/site.py), every
such block gets

- a title, the snippet's path (`title="snippets/payments/create_payment.py"`), so the reader knows
  which file it is and where to find it in the repository;
- highlighted lines (`hl_lines="54-64"`): the lines between the snippet's own section markers
  `# --8<-- [start:focus]` and `# --8<-- [end:focus]`, i.e. the few lines the section is about,
  inside the whole program. pymdownx.snippets drops the marker lines from what it embeds, so the
  copy button still copies the complete program and the numbers count the embedded lines.

A block may name another section of the file with `focus="name"` in its header (the same file can
make a different point on another page), or set its own `title=` / `hl_lines=`; those win.
Blocks that embed part of a file (`file.py:name`, `file.py:3:9`) get the title only.

Pure text in, text out: nothing here depends on MkDocs, so the same step can run in any build.
"""

from __future__ import annotations

import re
from pathlib import Path

# A fenced block whose only line is one --8<-- embed (at any indentation, e.g. inside a tab).
EMBED_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<header>[^\n`]*)\n"
    r"(?P=indent)--8<--[ \t]+(?P<quote>[\"'])(?P<target>[^\"'\n]+)(?P=quote)[ \t]*\n"
    r"(?P=indent)(?P=fence)[ \t]*$",
    re.M,
)
# pymdownx.snippets' section marker: `--8<-- [start:name]` / `--8<-- [end:name]` in any comment.
SECTION_MARKER = re.compile(
    r"^.*?(?<!-)-{1,}8<-{1,}[ \t]+\[[ \t]*(?P<type>start|end)[ \t]*:[ \t]*"
    r"(?P<name>[a-z][-_0-9a-z]*)[ \t]*\].*?$"
)
FOCUS_ATTRIBUTE = re.compile(r"""\s*\bfocus=(["'])(?P<name>[a-z][-_0-9a-z]*)\1""")
DEFAULT_FOCUS = "focus"


class FocusError(ValueError):
    """A focus section that is missing, unclosed or empty."""


def focus_lines(source: str, name: str = DEFAULT_FOCUS) -> list[int]:
    """The 1-based numbers, counted as pymdownx.snippets embeds the whole file (section marker
    lines removed), of the lines inside every `name` section of `source`."""
    lines: list[int] = []
    region: list[tuple[int, str]] = []
    number = 0
    inside = False
    for line in source.splitlines():
        marker = SECTION_MARKER.match(line)
        if marker:
            if marker.group("name") == name:
                if marker.group("type") == "end":
                    lines += _trimmed(region)
                    region = []
                inside = marker.group("type") == "start"
            continue
        number += 1
        if inside:
            region.append((number, line))
    if inside:
        raise FocusError(f"section {name!r} is started but never ended")
    return lines


def _trimmed(region: list[tuple[int, str]]) -> list[int]:
    """The line numbers of a region without its leading and trailing blank lines (black puts
    an end marker after the two blank lines that follow a function)."""
    numbers = [number for number, line in region]
    blank = [not line.strip() for number, line in region]
    while blank and blank[-1]:
        blank.pop()
        numbers.pop()
    while blank and blank[0]:
        blank.pop(0)
        numbers.pop(0)
    return numbers


def ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5 9' (pymdownx.highlight's hl_lines syntax)."""
    parts: list[str] = []
    start = previous = None
    for number in numbers:
        if previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(f"{start}-{previous}" if previous != start else f"{start}")
        start = previous = number
    if start is not None:
        parts.append(f"{start}-{previous}" if previous != start else f"{start}")
    return " ".join(parts)


def _split_target(target: str) -> tuple[str, bool]:
    """'snippets/x.py' -> ('snippets/x.py', True); 'snippets/x.py:name' -> (..., False)."""
    path, colon, rest = target.partition(":")
    if colon and rest and not rest.startswith(("/", "\\")):
        return path, False
    return target, True


def annotate(markdown: str, root: Path) -> str:
    """Add titles and highlighted lines to every embed-only code block of a page."""

    def replace(match: re.Match) -> str:
        header = match.group("header")
        path, whole_file = _split_target(match.group("target"))
        focus = FOCUS_ATTRIBUTE.search(header)
        name = focus.group("name") if focus else DEFAULT_FOCUS
        header = FOCUS_ATTRIBUTE.sub("", header).rstrip()
        additions = []
        if "title=" not in header:
            additions.append(f'title="{path}"')
        if whole_file and "hl_lines=" not in header:
            file = root / path
            if file.is_file():
                numbers = focus_lines(file.read_text(encoding="utf-8"), name)
                if focus and not numbers:
                    raise FocusError(f"{path} has no section {name!r} to highlight")
                if numbers:
                    additions.append(f'hl_lines="{ranges(numbers)}"')
            # A missing file is left to pymdownx.snippets (check_paths), which names it.
        if not additions:
            return match.group(0)
        language, _, rest = header.partition(" ")
        new_header = " ".join(part for part in (language, *additions, rest.strip()) if part)
        indent, fence = match.group("indent"), match.group("fence")
        body = match.group(0).split("\n", 1)[1]
        return f"{indent}{fence}{new_header}\n{body}"

    return EMBED_BLOCK.sub(replace, markdown)
