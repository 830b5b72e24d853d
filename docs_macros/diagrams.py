"""Sequence diagrams drawn at build time as inline, accessible SVG: no JavaScript, no CDN.

A page describes a diagram in a few lines of text and calls the `sequence_diagram` macro:

    {% set cycle %}
    participant browser: Customer's browser
    participant shop: Your server
    browser -> shop: Click "Pay"
    shop --> browser: `303` redirect
    note over browser, shop: Text in a box across the two lifelines
    opt If something happens
      shop -> shop: A self-message
    end
    {% endset %}
    {{ sequence_diagram(cycle, title="What happens", id="my-diagram") }}

`A -> B: label` is a call (solid arrow); `A --> B: label` is an answer or a redirect (dashed arrow);
`A -> A` is a self-message. `note over A[, B]: text` draws a note across the participants named;
`opt Condition` ... `end` frames optional steps. Text between `backticks` is set in the code font.
Lines starting with `%%` are comments.

The SVG sizes itself through its viewBox (width 100%, max-width its natural width), inherits the
page's font, and takes every colour from Material's CSS custom properties, so it follows the light
and dark schemes. Its <title> names it and its <desc> lists every step in words for screen readers.
Text widths are estimated from character classes, since no font metrics are at hand at build time;
the estimates err on the wide side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

# --- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    id: str
    label: str


@dataclass(frozen=True)
class Message:
    source: str
    target: str
    label: str
    kind: str = "call"  # "call": solid arrow; "return": dashed arrow (an answer or a redirect)


@dataclass(frozen=True)
class Note:
    over: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Group:
    label: str
    steps: tuple[Step, ...]


Step = Message | Note | Group


@dataclass
class Diagram:
    title: str
    participants: list[Participant]
    steps: list[Step]
    numbered: bool = True
    id: str = "sequence"

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError("a sequence diagram needs at least one participant")
        known = {participant.id for participant in self.participants}
        if len(known) != len(self.participants):
            raise ValueError("participant ids must be unique")
        if not re.fullmatch(r"[A-Za-z][\w-]*", self.id):
            raise ValueError(f"diagram id {self.id!r} is not a valid HTML id")
        for step in _walk(self.steps):
            names = (step.source, step.target) if isinstance(step, Message) else ()
            names += step.over if isinstance(step, Note) else ()
            unknown = [name for name in names if name not in known]
            if unknown:
                raise ValueError(f"unknown participant(s) {unknown} in {step!r}")
            if isinstance(step, Message) and step.kind not in {"call", "return"}:
                raise ValueError(f"message kind must be 'call' or 'return', not {step.kind!r}")


def _walk(steps) -> list:
    """Messages and notes in reading order, groups flattened."""
    flat = []
    for step in steps:
        if isinstance(step, Group):
            flat += _walk(step.steps)
        else:
            flat.append(step)
    return flat


# --- the text format ---------------------------------------------------------------------------

_PARTICIPANT = re.compile(r"^participant\s+(?P<id>[A-Za-z]\w*)\s*:\s*(?P<label>.+)$")
_MESSAGE = re.compile(
    r"^(?P<source>[A-Za-z]\w*)\s*(?P<arrow>-->|->)\s*(?P<target>[A-Za-z]\w*)\s*:\s*(?P<label>.+)$"
)
_NOTE = re.compile(r"^note\s+over\s+(?P<over>[\w\s,]+?)\s*:\s*(?P<text>.+)$")
_OPT = re.compile(r"^opt\s+(?P<label>.+)$")


def parse(source: str, *, title: str, id: str = "sequence", numbered: bool = True) -> Diagram:
    """Read the text format described in the module docstring."""
    participants: list[Participant] = []
    stack: list[tuple[str | None, list[Step]]] = [(None, [])]
    for number, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if match := _PARTICIPANT.match(line):
            participants.append(Participant(match["id"], match["label"].strip()))
        elif match := _MESSAGE.match(line):
            kind = "return" if match["arrow"] == "-->" else "call"
            stack[-1][1].append(
                Message(match["source"], match["target"], match["label"].strip(), kind)
            )
        elif match := _NOTE.match(line):
            over = tuple(name.strip() for name in match["over"].split(",") if name.strip())
            stack[-1][1].append(Note(over, match["text"].strip()))
        elif match := _OPT.match(line):
            stack.append((match["label"].strip(), []))
        elif line == "end":
            if len(stack) == 1:
                raise ValueError(f"line {number}: 'end' without 'opt'")
            label, steps = stack.pop()
            stack[-1][1].append(Group(label, tuple(steps)))
        else:
            raise ValueError(f"line {number}: cannot read {line!r}")
    if len(stack) != 1:
        raise ValueError(f"'opt {stack[-1][0]}' has no 'end'")
    return Diagram(title, participants, stack[0][1], numbered=numbered, id=id)


# --- text measurement --------------------------------------------------------------------------

FONT_SIZE = 14  # user units; the SVG scales as a whole
LINE_HEIGHT = 18
CODE_SCALE = 0.92  # code runs are set a little smaller (site.css: .flowlix-seq__code)
CODE_CHAR = 0.6  # em per character of a monospace font
_NARROW = set("iljtf.,:;'!|()[]{} ")
_WIDE = set("mwMW@%")
# Where a long code run may break: after a slash or a dot, before a query string.
_CODE_BREAK = re.compile(r"(?<=/)(?=[^/])|(?=[?&])|(?<=\.)(?=[A-Za-z])")


@dataclass(frozen=True)
class Word:
    text: str
    code: bool = False
    glued: bool = False  # no space before it: "`id`," or a long code run broken at a slash
    breakable: bool = True  # a line may end before it (False for "," glued to "`id`")


def _sans_em(char: str) -> float:
    if char in _NARROW:
        return 0.32
    if char in _WIDE:
        return 0.86
    if char.isupper():
        return 0.66
    return 0.57 if char.isdigit() else 0.53


def _runs(text: str) -> list[tuple[str, bool]]:
    """`code` spans split out: [(text, is_code), ...]."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced backticks in {text!r}")
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


def words(text: str) -> list[Word]:
    found: list[Word] = []
    space_before = False
    for part, code in _runs(text):
        for piece in re.split(r"(\s+)", part):
            if not piece:
                continue
            if piece.isspace():
                space_before = True
                continue
            chunks = _CODE_BREAK.split(piece) if code else [piece]
            for index, chunk in enumerate(chunks):
                glued = bool(found) and (index > 0 or not space_before)
                found.append(Word(chunk, code, glued, breakable=index > 0 or not glued))
            space_before = False
    return found


def plain(text: str) -> str:
    """The label as words, for <desc> and <title>: backticks dropped."""
    return text.replace("`", "")


def measure(line: list[Word], size: float = FONT_SIZE) -> float:
    width = 0.0
    for index, word in enumerate(line):
        if index and not word.glued:
            width += 0.32 * size
        if word.code:
            width += len(word.text) * CODE_CHAR * CODE_SCALE * size
        else:
            width += sum(_sans_em(char) for char in word.text) * size
    return width


def _greedy(items: list[Word], max_width: float, size: float) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for word in items:
        if lines and (not word.breakable or measure(lines[-1] + [word], size) <= max_width):
            lines[-1].append(word)
        else:
            lines.append([Word(word.text, word.code)])
    return lines


def wrap(text: str, max_width: float, size: float = FONT_SIZE) -> list[list[Word]]:
    """Wrap at spaces (and inside long code runs) into as few lines as `max_width` allows, then
    even out their lengths, so that no line is left with a single short word."""
    items = words(text)
    if not items:
        return [[Word("")]]
    lines = _greedy(items, max_width, size)
    if len(lines) > 1:
        low = max(measure(line, size) for line in _greedy(items, 0, size))
        high = max_width
        for _ in range(12):  # the narrowest width that still needs no more lines
            middle = (low + high) / 2
            if len(_greedy(items, middle, size)) <= len(lines):
                high = middle
            else:
                low = middle
        lines = _greedy(items, high, size)
    return lines


def _text_content(line: list[Word]) -> str:
    """One line as SVG text content: plain words as text, code runs as <tspan>s."""
    out: list[str] = []
    previous: Word | None = None
    for word in line:
        space = " " if previous is not None and not word.glued else ""
        if word.code and previous is not None and previous.code:
            out[-1] = out[-1][: -len("</tspan>")] + space + escape(word.text) + "</tspan>"
        elif word.code:
            out.append(f'{space}<tspan class="flowlix-seq__code">{escape(word.text)}</tspan>')
        else:
            out.append(space + escape(word.text))
        previous = word
    return "".join(out)


# --- layout and drawing ------------------------------------------------------------------------

MARGIN = 12
BOX_MIN_WIDTH = 132
BOX_MAX_TEXT = 150
BOX_PAD_X = 14
BOX_PAD_Y = 10
BOLD = 1.1  # participant labels are bold: wider than measured
LABEL_MAX_WIDTH = 180  # wrap message labels to this width (wider when the span allows)
LABEL_GAP = 6  # between a label's last line and its arrow
MESSAGE_GAP = 16  # below each arrow
SELF_LOOP_WIDTH = 26
SELF_LOOP_HEIGHT = 22
BADGE_RADIUS = 9
NOTE_PAD = 8
GROUP_TAB_HEIGHT = 22
GROUP_PAD = 30  # how far a frame reaches beyond the outermost lifeline it frames


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Canvas:
    def __init__(self, diagram: Diagram) -> None:
        self.diagram = diagram
        self.index = {p.id: i for i, p in enumerate(diagram.participants)}
        self.boxes = [wrap(p.label, BOX_MAX_TEXT) for p in diagram.participants]
        self.box_widths = [
            max(BOX_MIN_WIDTH, BOLD * max(measure(line) for line in lines) + 2 * BOX_PAD_X)
            for lines in self.boxes
        ]
        self.box_height = max(len(lines) for lines in self.boxes) * LINE_HEIGHT + 2 * BOX_PAD_Y
        self.xs = self._columns()
        self.parts: dict[str, list[str]] = {"frames": [], "notes": [], "messages": []}
        self.number = 0
        self.right = self.xs[-1] + self.box_widths[-1] / 2
        self.left = self.xs[0] - self.box_widths[0] / 2

    # Columns: each gap between neighbours is wide enough for both boxes and for every label
    # drawn across it; a label across several gaps widens them evenly.
    def _columns(self) -> list[float]:
        count = len(self.diagram.participants)
        gaps = [(self.box_widths[i] + self.box_widths[i + 1]) / 2 + 24 for i in range(count - 1)]
        badge = 2 * BADGE_RADIUS + 6 if self.diagram.numbered else 0
        needs: list[tuple[int, int, float]] = []
        self.self_overhang = 0.0
        for step in _walk(self.diagram.steps):
            if not isinstance(step, Message):
                continue
            a, b = self.index[step.source], self.index[step.target]
            if a == b:
                width = (
                    SELF_LOOP_WIDTH
                    + 10
                    + max(measure(line) for line in wrap(step.label, LABEL_MAX_WIDTH))
                )
                if a == count - 1:
                    self.self_overhang = max(self.self_overhang, width)
                else:
                    needs.append((a, a + 1, width + 20))
            else:
                lo, hi = sorted((a, b))
                width = max(measure(line) for line in wrap(step.label, LABEL_MAX_WIDTH))
                needs.append((lo, hi, width + badge + 24))
        for lo, hi, width in sorted(needs, key=lambda need: need[1] - need[0]):
            missing = width - sum(gaps[lo:hi])
            if missing > 0:
                for gap in range(lo, hi):
                    gaps[gap] += missing / (hi - lo)
        xs = [MARGIN + self.box_widths[0] / 2]
        for gap in gaps:
            xs.append(xs[-1] + gap)
        return xs

    def label_lines(self, step: Message) -> list[list[Word]]:
        a, b = self.index[step.source], self.index[step.target]
        if a == b:
            room = LABEL_MAX_WIDTH
            if a + 1 < len(self.xs):
                room = max(room, self.xs[a + 1] - self.xs[a] - SELF_LOOP_WIDTH - 30)
            return wrap(step.label, room)
        badge = 2 * BADGE_RADIUS + 6 if self.diagram.numbered else 0
        span = abs(self.xs[b] - self.xs[a]) - badge - 24
        return wrap(step.label, max(LABEL_MAX_WIDTH, span))

    def text(self, x: float, y: float, lines, css: str, anchor: str = "middle") -> str:
        spans = []
        for index, line in enumerate(lines):
            dy = "0" if index == 0 else _f(LINE_HEIGHT)
            spans.append(f'<tspan x="{_f(x)}" dy="{dy}">{_text_content(line)}</tspan>')
        return (
            f'<text class="{css}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}">'
            + "".join(spans)
            + "</text>"
        )

    def badge(self, x: float, y: float) -> str:
        if not self.diagram.numbered:
            return ""
        return (
            f'<g class="flowlix-seq__step" aria-hidden="true">'
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{BADGE_RADIUS}"/>'
            f'<text x="{_f(x)}" y="{_f(y + 4)}" text-anchor="middle">{self.number}</text></g>'
        )

    # Each draw_* takes the top y of the step and returns (bottom y, leftmost x, rightmost x).
    def draw_message(self, step: Message, y: float) -> tuple[float, float, float]:
        self.number += 1
        marker = f"url(#{self.diagram.id}-arrow)"
        a, b = self.index[step.source], self.index[step.target]
        x1, x2 = self.xs[a], self.xs[b]
        lines = self.label_lines(step)
        dashed = " flowlix-seq__line--return" if step.kind == "return" else ""
        start = BADGE_RADIUS + 1 if self.diagram.numbered else 0
        if a == b:
            top = y + 4
            bottom = top + max(SELF_LOOP_HEIGHT, len(lines) * LINE_HEIGHT - 4)
            path = (
                f"M{_f(x1 + start)},{_f(top)} H{_f(x1 + SELF_LOOP_WIDTH)} "
                f"V{_f(bottom)} H{_f(x1 + 3)}"
            )
            label_x = x1 + SELF_LOOP_WIDTH + 8
            label = self.text(label_x, top + 5, lines, "flowlix-seq__label", "start")
            right = label_x + max(measure(line) for line in lines)
            self.parts["messages"].append(
                f'<g class="flowlix-seq__message" data-from="{step.source}" '
                f'data-to="{step.target}">'
                f'<path class="flowlix-seq__line{dashed}" d="{path}" marker-end="{marker}"/>'
                f"{label}{self.badge(x1, top)}</g>"
            )
            self.right = max(self.right, right)
            return bottom + MESSAGE_GAP, x1, right
        direction = 1 if x2 > x1 else -1
        line_y = y + len(lines) * LINE_HEIGHT + LABEL_GAP
        first_baseline = line_y - LABEL_GAP - (len(lines) - 1) * LINE_HEIGHT - 5
        middle = (x1 + x2) / 2 + direction * start / 2
        label = self.text(middle, first_baseline, lines, "flowlix-seq__label")
        self.parts["messages"].append(
            f'<g class="flowlix-seq__message" data-from="{step.source}" data-to="{step.target}">'
            f'<line class="flowlix-seq__line{dashed}" x1="{_f(x1 + direction * start)}" '
            f'y1="{_f(line_y)}" x2="{_f(x2 - direction * 2)}" y2="{_f(line_y)}" '
            f'marker-end="{marker}"/>{label}{self.badge(x1, line_y)}</g>'
        )
        return line_y + MESSAGE_GAP, min(x1, x2), max(x1, x2)

    def draw_note(self, step: Note, y: float) -> tuple[float, float, float]:
        columns = [self.xs[self.index[name]] for name in step.over]
        lo, hi = min(columns), max(columns)
        if lo == hi:
            lines = wrap(step.text, BOX_MAX_TEXT + 20)
            width = max(BOX_MIN_WIDTH, max(measure(line) for line in lines) + 2 * NOTE_PAD)
            left, right = lo - width / 2, lo + width / 2
        else:
            left, right = lo - GROUP_PAD + 6, hi + GROUP_PAD - 6
            lines = wrap(step.text, right - left - 2 * NOTE_PAD)
        height = len(lines) * LINE_HEIGHT + 2 * NOTE_PAD
        self.parts["notes"].append(
            f'<g class="flowlix-seq__note" data-over="{",".join(step.over)}">'
            f'<rect x="{_f(left)}" y="{_f(y)}" width="{_f(right - left)}" '
            f'height="{_f(height)}" rx="3"/>'
            + self.text((left + right) / 2, y + NOTE_PAD + 13, lines, "flowlix-seq__note-text")
            + "</g>"
        )
        self.left, self.right = min(self.left, left), max(self.right, right)
        return y + height + MESSAGE_GAP, left, right

    def draw_group(self, step: Group, y: float) -> tuple[float, float, float]:
        frame_index = len(self.parts["frames"])
        self.parts["frames"].append("")  # filled in once the size is known
        bottom, left, right = self.draw_steps(step.steps, y + GROUP_TAB_HEIGHT + 10)
        left, right = left - GROUP_PAD, right + GROUP_PAD
        tab = [words(plain(step.label))]
        tab_width = measure(tab[0], FONT_SIZE - 1) + 16
        bottom -= MESSAGE_GAP / 2
        self.parts["frames"][frame_index] = (
            f'<g class="flowlix-seq__group">'
            f'<rect class="flowlix-seq__frame" x="{_f(left)}" y="{_f(y)}" '
            f'width="{_f(right - left)}" height="{_f(bottom - y)}" rx="3"/>'
            f'<path class="flowlix-seq__tab" d="M{_f(left)},{_f(y)} h{_f(tab_width)} '
            f'v{GROUP_TAB_HEIGHT - 6} l-6,6 H{_f(left)} Z"/>'
            + self.text(left + 8, y + 15, tab, "flowlix-seq__tab-text", "start")
            + "</g>"
        )
        self.left, self.right = min(self.left, left), max(self.right, right)
        return bottom + MESSAGE_GAP, left, right

    def draw_steps(self, steps, y: float) -> tuple[float, float, float]:
        left, right = float("inf"), float("-inf")
        for step in steps:
            if isinstance(step, Message):
                y, lo, hi = self.draw_message(step, y)
            elif isinstance(step, Note):
                y, lo, hi = self.draw_note(step, y)
            else:
                y, lo, hi = self.draw_group(step, y)
            left, right = min(left, lo), max(right, hi)
        return y, left, right


def describe(diagram: Diagram) -> str:
    """The diagram in words, one sentence per step, numbered like the drawing."""
    names = {p.id: p.label for p in diagram.participants}
    sentences: list[str] = []
    counter = 0

    def visit(steps) -> None:
        nonlocal counter
        for step in steps:
            if isinstance(step, Group):
                sentences.append(f"{plain(step.label)}:")
                visit(step.steps)
                sentences.append(f"(end of “{plain(step.label)}”)")
            elif isinstance(step, Note):
                over = " and ".join(names[name] for name in step.over)
                sentences.append(f"Note over {over}: {plain(step.text)}.")
            else:
                counter += 1
                number = f"{counter}. " if diagram.numbered else ""
                source, target = names[step.source], names[step.target]
                if step.source == step.target:
                    who = f"{source}, internally"
                elif step.kind == "return":
                    who = f"{source} answers {target}"
                else:
                    who = f"{source} to {target}"
                sentences.append(f"{number}{who}: {plain(step.label)}.")

    visit(diagram.steps)
    return " ".join(sentences)


def render(diagram: Diagram) -> str:
    """The whole diagram as an HTML <figure> holding one inline <svg>."""
    canvas = _Canvas(diagram)
    top = MARGIN
    first_step_y = top + canvas.box_height + 18
    bottom, _, _ = canvas.draw_steps(diagram.steps, first_step_y)
    lifeline_end = bottom
    left = min(canvas.left, canvas.xs[0] - canvas.box_widths[0] / 2) - MARGIN
    right = max(canvas.right, canvas.xs[-1] + canvas.box_widths[-1] / 2) + MARGIN
    width, height = right - left, lifeline_end + MARGIN

    participants = []
    for participant, x, box_width, lines in zip(
        diagram.participants, canvas.xs, canvas.box_widths, canvas.boxes, strict=True
    ):
        text_top = top + (canvas.box_height - len(lines) * LINE_HEIGHT) / 2 + 13
        participants.append(
            f'<g class="flowlix-seq__participant" data-participant="{participant.id}">'
            f'<line class="flowlix-seq__lifeline" x1="{_f(x)}" y1="{_f(top + canvas.box_height)}" '
            f'x2="{_f(x)}" y2="{_f(lifeline_end)}"/>'
            f'<rect x="{_f(x - box_width / 2)}" y="{top}" width="{_f(box_width)}" '
            f'height="{_f(canvas.box_height)}" rx="4"/>'
            + canvas.text(x, text_top, lines, "flowlix-seq__participant-label")
            + "</g>"
        )

    ident = diagram.id
    svg = (
        f'<svg class="flowlix-seq__svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="{_f(left)} 0 {_f(width)} {_f(height)}" width="{_f(width)}" '
        f'height="{_f(height)}" style="max-width: {_f(width)}px" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc">'
        f'<title id="{ident}-title">{escape(plain(diagram.title))}</title>'
        f'<desc id="{ident}-desc">{escape(describe(diagram))}</desc>'
        f'<defs><marker id="{ident}-arrow" class="flowlix-seq__arrowhead" viewBox="0 0 10 10" '
        f'refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z"/></marker></defs>'
        + "".join(canvas.parts["frames"])
        + "".join(participants)
        + "".join(canvas.parts["notes"])
        + "".join(canvas.parts["messages"])
        + "</svg>"
    )
    # Blank lines around, none inside: Markdown passes the block through untouched.
    return f'\n\n<figure class="flowlix-seq" id="{ident}">{svg}</figure>\n\n'


def sequence_diagram(source: str, title: str, id: str = "sequence", numbered: bool = True) -> str:
    """Macro: `{{ sequence_diagram(text, title="...", id="...") }}` (format: module docstring)."""
    return render(parse(source, title=title, id=id, numbered=numbered))
