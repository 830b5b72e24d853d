"""The build-time sequence-diagram renderer (docs_macros/diagrams.py), without building the site.

Each test renders a small diagram and reads the SVG back with xml.etree, as a browser would get it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# docs_macros is not an installed package (mkdocs finds it through docs_macros/hooks.py), so the
# module is loaded from its file, the way the build sees it.
_SPEC = importlib.util.spec_from_file_location(
    "docs_macros.diagrams", Path(__file__).resolve().parent.parent / "docs_macros" / "diagrams.py"
)
diagrams = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault(_SPEC.name, diagrams)
_SPEC.loader.exec_module(diagrams)

SVG = "{http://www.w3.org/2000/svg}"

SAMPLE = """
participant browser: Customer's browser
participant shop: Your server
participant api: Flowlix API
participant hpp: Hosted Payment Page
%% a comment line
browser -> shop: Click "Pay"
shop -> api: `POST /v1/checkout/sessions`
api --> shop: `201` with `id`, `url`
shop -> shop: Save the session `id`
shop --> browser: `303` redirect to the session's `url`
browser -> hpp: Pay on the hosted page
opt If the issuer requires 3-D Secure
  hpp --> browser: Challenge
  browser -> hpp: Complete it
end
note over shop, api: Confirm on the server before fulfilling
hpp -> hpp: Record the payment
"""


def render(source: str = SAMPLE, **options) -> ET.Element:
    options.setdefault("title", "Sample")
    options.setdefault("id", "sample")
    figure = diagrams.sequence_diagram(source, **options)
    return ET.fromstring(figure.strip())  # raises on anything that is not well-formed XML


def svg_of(figure: ET.Element) -> ET.Element:
    svg = figure.find(f"{SVG}svg")
    assert svg is not None, "the figure holds no <svg>"
    return svg


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def shown(text: ET.Element) -> str:
    """What a <text> reads as: its lines (one <tspan> each) joined by spaces."""
    return " ".join("".join(line.itertext()) for line in text)


def lifeline_x(svg: ET.Element) -> dict[str, float]:
    found = {}
    for group in by_class(svg, "flowlix-seq__participant"):
        line = by_class(group, "flowlix-seq__lifeline")[0]
        assert line.get("x1") == line.get("x2"), "a lifeline is not vertical"
        found[group.get("data-participant")] = float(line.get("x1"))
    return found


def test_the_figure_is_one_accessible_svg_with_title_and_desc():
    figure = render()
    assert figure.tag == "figure" and figure.get("id") == "sample"
    svg = svg_of(figure)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert list(svg)[:2] == [title, desc], "<title> and <desc> must come first"
    assert title.text == "Sample"
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}foreignObject"))


def test_desc_tells_every_step_in_order_with_its_number():
    desc = svg_of(render()).find(f"{SVG}desc").text
    expected = [
        '1. Customer\'s browser to Your server: Click "Pay".',
        "2. Your server to Flowlix API: POST /v1/checkout/sessions.",
        "3. Flowlix API answers Your server: 201 with id, url.",
        "4. Your server, internally: Save the session id.",
        "5. Your server answers Customer's browser: 303 redirect to the session's url.",
        "6. Customer's browser to Hosted Payment Page: Pay on the hosted page.",
        "If the issuer requires 3-D Secure:",
        "7. Hosted Payment Page answers Customer's browser: Challenge.",
        "8. Customer's browser to Hosted Payment Page: Complete it.",
        "Note over Your server and Flowlix API: Confirm on the server before fulfilling.",
        "9. Hosted Payment Page, internally: Record the payment.",
    ]
    positions = [desc.find(sentence) for sentence in expected]
    assert -1 not in positions, f"missing from <desc>: {expected[positions.index(-1)]!r}"
    assert positions == sorted(positions), "<desc> tells the steps out of order"
    assert "`" not in desc


def test_the_drawing_scales_through_its_viewbox():
    svg = svg_of(render())
    x, y, width, height = (float(value) for value in svg.get("viewBox").split())
    assert width > 300 and height > 200
    assert svg.get("style") == f"max-width: {svg.get('width')}px"
    assert float(svg.get("width")) == width
    # Everything drawn lies inside the viewBox: boxes, notes, frames.
    for rect in svg.iter(f"{SVG}rect"):
        left, top = float(rect.get("x")), float(rect.get("y"))
        assert left >= x and left + float(rect.get("width")) <= x + width
        assert top >= y and top + float(rect.get("height")) <= y + height


def test_participants_stand_left_to_right_in_the_order_declared():
    svg = svg_of(render())
    xs = lifeline_x(svg)
    assert list(xs) == ["browser", "shop", "api", "hpp"]
    values = list(xs.values())
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values
    labels = [
        shown(group.find(f"{SVG}text")) for group in by_class(svg, "flowlix-seq__participant")
    ]
    assert labels == ["Customer's browser", "Your server", "Flowlix API", "Hosted Payment Page"]
    # Boxes do not overlap their neighbours.
    boxes = [group.find(f"{SVG}rect") for group in by_class(svg, "flowlix-seq__participant")]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert float(left.get("x")) + float(left.get("width")) < float(right.get("x"))


def test_every_message_is_a_line_with_an_arrow_marker():
    svg = svg_of(render())
    marker_ids = {marker.get("id") for marker in svg.iter(f"{SVG}marker")}
    messages = by_class(svg, "flowlix-seq__message")
    assert len(messages) == 9
    xs = lifeline_x(svg)
    for message in messages:
        (line,) = by_class(message, "flowlix-seq__line")
        reference = re.fullmatch(r"url\(#([\w-]+)\)", line.get("marker-end") or "")
        assert reference and reference.group(1) in marker_ids, "the arrow has no marker"
        source, target = message.get("data-from"), message.get("data-to")
        if source == target:
            assert line.tag == f"{SVG}path"
            points = [float(n) for n in re.findall(r"[\d.]+", line.get("d"))]
            assert min(points[0], points[-1]) >= xs[source] - 0.5, (
                "a self-message leaves its lifeline"
            )
        else:
            assert line.tag == f"{SVG}line" and line.get("y1") == line.get("y2")
            assert abs(float(line.get("x1")) - xs[source]) <= diagrams.BADGE_RADIUS + 1
            assert abs(float(line.get("x2")) - xs[target]) <= 2, "the arrow misses its target"


def test_returns_are_dashed_and_calls_are_solid():
    svg = svg_of(render())
    kinds = []
    for message in by_class(svg, "flowlix-seq__message"):
        (line,) = by_class(message, "flowlix-seq__line")
        kinds.append("flowlix-seq__line--return" in line.get("class").split())
    assert kinds == [False, False, True, False, True, False, True, False, False]


def test_steps_are_numbered_or_not():
    numbered = svg_of(render())
    badges = ["".join(step.itertext()) for step in by_class(numbered, "flowlix-seq__step")]
    assert badges == [str(n) for n in range(1, 10)]
    plain = svg_of(render(numbered=False))
    assert not by_class(plain, "flowlix-seq__step")
    assert not re.search(r"\b1\. ", plain.find(f"{SVG}desc").text)


def test_labels_fit_between_the_lifelines_they_join():
    svg = svg_of(render())
    xs = lifeline_x(svg)
    for message in by_class(svg, "flowlix-seq__message"):
        source, target = message.get("data-from"), message.get("data-to")
        if source == target:
            continue
        label = by_class(message, "flowlix-seq__label")[0]
        for line in label:
            width = diagrams.measure(diagrams.words("".join(line.itertext())))
            assert width < abs(xs[target] - xs[source]), f"{''.join(line.itertext())!r} overflows"


def test_note_spans_the_participants_it_names_and_the_frame_holds_its_steps():
    svg = svg_of(render())
    xs = lifeline_x(svg)
    (note,) = by_class(svg, "flowlix-seq__note")
    rect = note.find(f"{SVG}rect")
    left, right = float(rect.get("x")), float(rect.get("x")) + float(rect.get("width"))
    assert left < xs["shop"] and right > xs["api"]
    assert left > xs["browser"] and right < xs["hpp"]
    assert shown(note.find(f"{SVG}text")) == "Confirm on the server before fulfilling"

    (frame,) = by_class(svg, "flowlix-seq__frame")
    top = float(frame.get("y"))
    bottom = top + float(frame.get("height"))
    inside = [
        message
        for message in by_class(svg, "flowlix-seq__message")
        if message.find(f"{SVG}line") is not None
        and top < float(message.find(f"{SVG}line").get("y1")) < bottom
    ]
    assert [(m.get("data-from"), m.get("data-to")) for m in inside] == [
        ("hpp", "browser"),
        ("browser", "hpp"),
    ]
    (tab,) = by_class(svg, "flowlix-seq__tab-text")
    assert shown(tab) == "If the issuer requires 3-D Secure"


def test_labels_are_xml_escaped_everywhere():
    source = (
        "participant a: A <client> & co\n"
        "participant b: B\n"
        'a -> b: if a < b & c then `x<y && z>"q"`\n'
        "note over a: 'quoted' & <b>not bold</b>\n"
    )
    figure = render(source, title='Escaping <"&">', id="escape-test")
    svg = svg_of(figure)
    assert svg.find(f"{SVG}title").text == 'Escaping <"&">'
    desc = svg.find(f"{SVG}desc").text
    assert 'if a < b & c then x<y && z>"q"' in desc and "<b>not bold</b>" in desc
    label = by_class(svg, "flowlix-seq__label")[0]
    assert shown(label) == 'if a < b & c then x<y && z>"q"'
    assert not list(svg.iter(f"{SVG}b")) and not list(svg.iter("b")), "markup leaked through"
    (code,) = by_class(label, "flowlix-seq__code")
    assert "".join(code.itertext()) == 'x<y && z>"q"'


def test_code_runs_break_only_where_allowed():
    lines = diagrams.wrap('`status "complete"`, `payment_status "paid"`, done', 150)
    texts = ["".join(diagrams._text_content(line)) for line in lines]
    assert all(not text.lstrip().startswith(",") for text in texts), texts
    label = "`GET /v1/checkout/sessions/cs_...`"
    long = diagrams.wrap(label, 120)
    assert len(long) > 1, "a code run longer than the line did not break"
    assert all(diagrams.measure(line) <= 120 for line in long)
    assert [line[0].text for line in long[1:]] != ["/"] * (len(long) - 1)
    joined = "".join(word.text for line in long for word in line)
    assert joined == label.strip("`").replace(" ", ""), "a break lost or added characters"
    assert all(line[-1].text.endswith("/") for line in long[1:-1]), "a break fell inside a name"


def test_ids_are_unique_and_prefixed_by_the_diagram_id():
    svg = svg_of(render(id="flow-one"))
    ids = [el.get("id") for el in svg.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert all(identifier.startswith("flow-one-") for identifier in ids)


def test_markdown_keeps_the_figure_as_one_html_block():
    html = diagrams.sequence_diagram(SAMPLE, title="Sample", id="sample")
    assert html.startswith("\n\n<figure") and html.endswith("</figure>\n\n")
    assert "\n" not in html.strip(), "a line break inside could end Markdown's HTML block"


def test_colours_come_from_the_theme_not_the_markup():
    svg = svg_of(render())
    painted = [el for el in svg.iter() if el.get("fill") or el.get("stroke")]
    assert not painted, "colours are set in site.css so that they follow the colour scheme"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("participant a: A\na -> b: hello", "unknown participant"),
        ("participant a: A\nopt Maybe\na -> a: x", "has no 'end'"),
        ("participant a: A\nend", "without 'opt'"),
        ("participant a: A\na => a: x", "cannot read"),
        ("participant a: A\na -> a: `open", "unbalanced backticks"),
        ("participant a: A\nparticipant a: again", "unique"),
    ],
)
def test_mistakes_in_the_description_fail_the_build(source, message):
    with pytest.raises(ValueError, match=message):
        diagrams.sequence_diagram(source, title="Broken")
