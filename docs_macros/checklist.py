"""The go-live checklist and the testing page's scenario checklist, as mkdocs-macros.

Macros (registered by `define_env`, loaded through `plugins: macros: modules:` in mkdocs.yml):

- `go_live_checklist()`: the whole go-live checklist on /go-live/, section by section, with
  progress, a Reset button and "Copy progress as Markdown".
- `eea_checklist()`: the extra items for merchants with customers in the EEA (Strong Customer
  Authentication), on /go-live/ as a checklist of its own beside the 25 seed items.
- `checklist_item(id)`: one go-live item's checkbox, placed under the matching heading of a
  guide page; it shares its saved state with the same item on /go-live/.
- `scenario_checklist()`: the /testing/ page's own checklist: one item per test card in
  `flowlix_mock.catalog.TEST_CARDS`, then the scenarios listed in docs/data/checklist.yml.

The items come from docs/data/checklist.yml. The HTML works as a plain list without JavaScript
(the checkboxes render disabled); docs/javascripts/site.js enables them, keeps the state in
the browser's localStorage and updates the progress. An unknown item id raises; after the build,
the build step `docs_macros.publish` checks every guide link against the built pages
(`Renderer.broken_links`) and fails on a broken one.

In a page's Markdown copy the checklists are plain lists of the items, with no widget (no
checkbox, progress, buttons), and a single item under a guide heading is left out.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from docs_macros import links
from flowlix_mock.catalog import (
    AUTHENTICATION_FAILED,
    DOCS_BASE_URL,
    ERROR_CODES_BY_CODE,
    TEST_CARDS,
    TestCard,
)

DATA_FILE = Path("data") / "checklist.yml"
"""Where the checklist items live, relative to the docs directory."""

SEED_ITEM_IDS = frozenset(
    {
        "use-live-keys",
        "idempotency-key-on-post",
        "store-payment-id",
        "amounts-in-minor-units",
        "handle-all-error-types",
        "friendly-decline-messages",
        "retry-5xx",
        "no-retry-4xx",
        "respect-rate-limits",
        "secret-keys-server-side",
        "https-everywhere",
        "validate-webhooks",
        "never-log-card-numbers",
        "pci-dss",
        "test-payment-scenarios",
        "test-idempotency",
        "test-error-handling",
        "test-hpp-redirect",
        "log-request-id",
        "monitor-decline-rates",
        "set-up-alerts",
        "obtain-live-key",
        "set-live-key",
        "real-card-test-payment",
        "monitor-first-transactions",
    }
)
"""The seed checklist's 25 items: a reader's saved progress refers to them, so none may go."""

# Scenario ids are stable (a reader's saved progress refers to them). This card's id predates
# the 3-D Secure flows of revision 2, when it was the "3-D Secure required" decline.
LEGACY_CARD_SCENARIO_IDS = {"4000040000010114": "scenario-card-decline-authentication-required"}

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LINK_PATTERN = re.compile(r"^/(?:[a-z0-9-]+/)*(?:#[A-Za-z0-9_-]+)?$")
# `code` spans and [text](/site/path/#anchor) links: all the markup the item texts use.
INLINE_PATTERN = re.compile(r"`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)")


class ChecklistError(ValueError):
    """The checklist data or a macro call does not match the checklist contract."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    text: str
    link: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Group:
    """A checklist rendered as one block, with its own progress, reset and copy."""

    id: str
    name: str
    sections: tuple[Section, ...]
    noun: str = ""
    """Names this group in its controls when a page shows two ("EEA" -> "Reset EEA items")."""

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)


# --- data ---------------------------------------------------------------------------------


def _item(raw: dict, where: str) -> Item:
    missing = {"id", "title", "text", "link"} - set(raw)
    if missing:
        raise ChecklistError(f"{where}: item {raw!r} lacks {', '.join(sorted(missing))}")
    item = Item(*(" ".join(str(raw[key]).split()) for key in ("id", "title", "text", "link")))
    if not ID_PATTERN.match(item.id):
        raise ChecklistError(f"{where}: item id {item.id!r} is not lower-case words and hyphens")
    if not LINK_PATTERN.match(item.link):
        raise ChecklistError(
            f"{where}: item {item.id!r} links to {item.link!r}, not a site path like /page/#anchor"
        )
    return item


def _sections(raw_sections: list, where: str) -> tuple[Section, ...]:
    sections = []
    for raw in raw_sections:
        if not raw.get("items"):
            raise ChecklistError(f"{where}: section {raw.get('section')!r} has no items")
        section_where = f"{where}, section {raw.get('section')!r}"
        items = tuple(_item(item, section_where) for item in raw["items"])
        sections.append(Section(raw["id"], raw["section"], items))
    return tuple(sections)


def _three_d_secure_scenario(card: TestCard) -> Item:
    """A 3-D Secure card's scenario: what the Direct API does without and with `return_url`."""
    number = f"`{card.number}`"
    slug = card.three_d_secure
    if card.after_challenge_decline_code:
        slug += "-then-" + card.after_challenge_decline_code.replace("_", "-")
    item_id = LEGACY_CARD_SCENARIO_IDS.get(card.number, f"scenario-card-3ds-{slug}")
    if card.three_d_secure != "challenge":
        result = "authenticated" if card.three_d_secure == "frictionless" else "exempted"
        shift = "true" if result == "authenticated" else "false"
        text = (
            f"Pay with {number}; expect `status: succeeded` with `three_d_secure.flow: "
            f"{card.three_d_secure}`, `result: {result}` and `liability_shift: {shift}`."
        )
        return Item(item_id, card.scenario, text, "/3d-secure/#test-cards")
    error = ERROR_CODES_BY_CODE[card.code]
    if card.after_challenge_decline_code:
        completed = (
            f"`status: failed` with `decline_code: {card.after_challenge_decline_code}` "
            "and its customer-safe message"
        )
    else:
        completed = "`status: succeeded`"
    text = (
        f"Pay with {number} without a `return_url`; expect HTTP {error.status} `{error.code}` "
        f"with `decline_code: {card.decline_code}`. With a `return_url`: `201` "
        f"`requires_action`; complete the challenge and expect {completed}; fail it and expect "
        f"`decline_code: {AUTHENTICATION_FAILED}`."
    )
    if card.hosted_page:
        text += f" On the Hosted Payment Page: {card.hosted_page}."
    return Item(item_id, card.scenario, text, "/3d-secure/#test-cards")


def _card_scenarios() -> Section:
    """One scenario per test card, generated from the catalog so a new card appears by itself."""
    items = []
    for card in TEST_CARDS:
        number = f"`{card.number}`"
        if card.three_d_secure:
            items.append(_three_d_secure_scenario(card))
            continue
        if card.outcome == "success":
            item_id = f"scenario-card-success-{card.brand}"
            text = f"Pay with {number}; expect `status: succeeded`."
            link = "/testing/#test-cards"
        else:
            error = ERROR_CODES_BY_CODE[card.code]
            item_id = f"scenario-card-decline-{card.decline_code.replace('_', '-')}"
            text = (
                f"Pay with {number}; expect HTTP {error.status} `{error.code}` with "
                f"`decline_code: {card.decline_code}` and the customer-safe message."
            )
            link = f"/decline-codes/#{card.decline_code}"
        if card.hosted_page:
            text += f" On the Hosted Payment Page: {card.hosted_page}."
        items.append(Item(item_id, card.scenario, text, link))
    return Section("scenario-test-cards", "Test cards", tuple(items))


def load_groups(docs_dir: str | Path) -> dict[str, Group]:
    """Read and check docs/data/checklist.yml; raise ChecklistError on anything off-contract."""
    path = Path(docs_dir) / DATA_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    go_live = Group("go-live", "Flowlix go-live checklist", _sections(data["go_live"], str(path)))
    eea = Group(
        "go-live-eea",
        "Flowlix go-live checklist: for EEA customers",
        _sections(data["go_live_eea"], str(path)),
        noun="EEA",
    )
    scenarios = Group(
        "scenarios",
        "Flowlix test scenarios",
        (_card_scenarios(), *_sections(data["scenarios"], str(path))),
    )
    lost = SEED_ITEM_IDS - {item.id for item in go_live.items}
    if lost:
        raise ChecklistError(
            f"{path}: the go-live checklist lost seed items {sorted(lost)} (saved progress "
            "refers to them)"
        )
    seen: set[str] = set()
    for group in (go_live, eea, scenarios):
        for item in group.items:
            if item.id in seen:
                raise ChecklistError(f"{path}: checklist item id {item.id!r} is used twice")
            seen.add(item.id)
    return {group.id: group for group in (go_live, eea, scenarios)}


# --- rendering ----------------------------------------------------------------------------


class Renderer:
    """Turns checklist groups into HTML for the page being rendered."""

    def __init__(self, groups: dict[str, Group]):
        self.groups = groups
        self.items = {item.id: item for group in groups.values() for item in group.items}
        self._dom_ids = itertools.count(1)

    # links ------------------------------------------------------------------------------

    def href(self, link: str, page_url: str | None) -> str:
        """A site path as a link relative to the current page (works under any base path)."""
        if page_url is None:
            return link
        return links.relative(link.lstrip("/"), page_url)

    @staticmethod
    def canonical(link: str) -> str:
        """The public URL, for the Markdown copy (whoever reads it may not have this site)."""
        return f"{DOCS_BASE_URL}{link}"

    def inline(self, text: str, page_url: str | None) -> str:
        """Item text to HTML: escaped, with `code` spans and [links](/path/)."""
        out, position = [], 0
        for match in INLINE_PATTERN.finditer(text):
            out.append(escape(text[position : match.start()]))
            code, label, target = match.groups()
            if code is not None:
                out.append(f"<code>{escape(code)}</code>")
            else:
                out.append(f'<a href="{escape(self.href(target, page_url))}">{escape(label)}</a>')
            position = match.end()
        out.append(escape(text[position:]))
        return "".join(out)

    # pieces -----------------------------------------------------------------------------

    def checkbox(self, item: Item, dom_id: str, describedby: str) -> str:
        """The native checkbox: disabled until site.js has restored the saved state."""
        return (
            f'<input type="checkbox" id="{dom_id}" class="flx-checklist__box" '
            f'data-checklist-item="{item.id}" data-checklist-title="{escape(item.title)}" '
            f'data-checklist-url="{escape(self.canonical(item.link))}" '
            f'aria-describedby="{describedby}" disabled>'
        )

    def list_item(self, item: Item, page_url: str | None) -> str:
        dom_id = f"flx-check-{next(self._dom_ids)}"
        text_id = f"{dom_id}-text"
        guide = escape(self.href(item.link, page_url))
        return (
            f'<li class="flx-checklist__item" id="{item.id}">'
            f"{self.checkbox(item, dom_id, text_id)}"
            f'<label for="{dom_id}" class="flx-checklist__title">'
            f"{self.inline(item.title, page_url)}</label>"
            f'<p class="flx-checklist__text" id="{text_id}">{self.inline(item.text, page_url)} '
            f'<a class="flx-checklist__guide" href="{guide}" data-search-exclude>Read the guide'
            f'<span class="flx-visually-hidden">: {self.inline(item.title, None)}</span></a>'
            f"</p></li>"
        )

    @staticmethod
    def notice() -> str:
        # Filled in and shown by site.js when the browser refuses storage.
        return '<p class="flx-checklist__notice" data-checklist-notice hidden></p>'

    def group(self, group: Group, page_url: str | None, heading_level: int | None = 2) -> str:
        """A whole checklist. Each section is a Markdown heading (so the table of contents and
        search list it), inside a `markdown="1"` block (md_in_html); the rest is HTML.

        Widget text (the note, progress, buttons, counts) carries `data-search-exclude`, so
        search indexes the items, not "0 of 4". Parts only site.js makes work are marked
        `data-checklist-js`: they take their place in the layout from the start (so showing them
        shifts nothing) and stay invisible without JavaScript (site.css).
        """
        total = len(group.items)
        label_id = f"flx-{group.id}-progress-label"
        # A second checklist on the same page names itself in its label and buttons.
        progress = f"{group.noun} progress" if group.noun else "Progress"
        copy = f"Copy {group.noun} progress as Markdown".replace("  ", " ")
        reset = f"Reset {group.noun} items" if group.noun else "Reset"
        blocks = [
            f'<div class="flx-checklist" data-checklist-group="{group.id}" '
            f'data-checklist-name="{escape(group.name)}" markdown="1">',
            '<p class="flx-checklist__note" data-search-exclude>Your progress is kept in this '
            "browser only: nothing is sent anywhere, and another browser or device starts "
            "empty.</p>",
            self.notice(),
            "\n".join(
                [
                    '<div class="flx-checklist__summary" data-checklist-js data-search-exclude>',
                    f'<p class="flx-checklist__overall"><span id="{label_id}">{progress}:</span> '
                    f'<span data-checklist-count="{group.id}">0 of {total}</span> done</p>',
                    f'<progress class="flx-checklist__bar" data-checklist-bar max="{total}" '
                    f'value="0" aria-labelledby="{label_id}"></progress>',
                    '<div class="flx-checklist__controls">',
                    '<button type="button" class="md-button flx-checklist__button" '
                    f'data-checklist-action="copy">{copy}</button>',
                    '<button type="button" class="md-button flx-checklist__button" '
                    f'data-checklist-action="reset">{reset}</button>',
                    "</div>",
                    '<div class="flx-checklist__fallback" data-checklist-fallback hidden>',
                    f'<label for="flx-{group.id}-markdown">Your clipboard is not available here: '
                    "select this text and copy it.</label>",
                    f'<textarea id="flx-{group.id}-markdown" class="flx-checklist__markdown" '
                    'rows="8" readonly></textarea>',
                    "</div>",
                    "</div>",
                ]
            ),
            '<p class="flx-checklist__status" role="status" aria-live="polite" '
            "data-checklist-status data-search-exclude></p>",
        ]
        for section in group.sections:
            count = len(section.items)
            if heading_level:
                blocks.append(f"{'#' * heading_level} {section.title} {{ #{section.id} }}")
                labelled = f'aria-labelledby="{section.id}"'
            else:  # one section under the page's own heading: no heading of its own
                labelled = f'aria-label="{escape(section.title)}"'
            blocks += [
                "\n".join(
                    [
                        f'<div class="flx-checklist__section" role="group" {labelled} '
                        f'data-checklist-section="{section.id}" '
                        f'data-checklist-heading="{escape(section.title)}">',
                        '<p class="flx-checklist__section-count" data-checklist-js '
                        f'data-search-exclude><span data-checklist-count="{section.id}">'
                        f"0 of {count}</span> done</p>",
                        '<ul class="flx-checklist__items">',
                        *(self.list_item(item, page_url) for item in section.items),
                        "</ul>",
                        "</div>",
                    ]
                ),
            ]
        blocks.append("</div>")
        # Blank lines between blocks: md_in_html parses each as its own block.
        return "\n\n" + "\n\n".join(blocks) + "\n\n"

    def single(self, item_id: str, page_url: str | None) -> str:
        item = self.items.get(item_id)
        go_live_items = self.groups["go-live"].items + self.groups["go-live-eea"].items
        if item is None or item_id not in {i.id for i in go_live_items}:
            known = ", ".join(i.id for i in go_live_items)
            raise ChecklistError(
                f"checklist_item({item_id!r}): no go-live checklist item has this id "
                f"(see docs/data/checklist.yml). Known ids: {known}"
            )
        dom_id = f"flx-check-{next(self._dom_ids)}"
        text_id = f"{dom_id}-text"
        full_list = escape(self.href(f"/go-live/#{item.id}", page_url))
        return "\n".join(
            [
                # Excluded from search: the guide's own text is what a search should find.
                '<div class="flx-checklist flx-checklist--single" data-checklist-single '
                "data-search-exclude>",
                f'<p class="flx-checklist__single">{self.checkbox(item, dom_id, text_id)}'
                f'<label for="{dom_id}" class="flx-checklist__title">Go-live checklist: '
                f"{self.inline(item.title, page_url)}</label></p>",
                f'<p class="flx-checklist__text" id="{text_id}">Tick it when your integration '
                f'does this. <a href="{full_list}">See the whole go-live checklist</a>.</p>',
                self.notice(),
                "</div>",
            ]
        )

    # Markdown copy -----------------------------------------------------------------------

    @staticmethod
    def markdown_text(text: str) -> str:
        """Item text for the Markdown copy: its site links made absolute."""

        def link(match: re.Match) -> str:
            code, label, target = match.groups()
            if code is not None:
                return match.group(0)
            return f"[{label}]({links.href(target)})"

        return INLINE_PATTERN.sub(link, text)

    def markdown_group(self, group: Group) -> str:
        lines = []
        for section in group.sections:
            lines += ["", f"**{self.markdown_text(section.title)}**", ""]
            for item in section.items:
                lines.append(
                    f"- **{self.markdown_text(item.title)}**: {self.markdown_text(item.text)} "
                    f"([guide]({links.href(item.link)}))"
                )
        return "\n".join(lines) + "\n"

    # post-build check ---------------------------------------------------------------------

    def broken_links(self, site_dir: str | Path) -> list[str]:
        """Every item whose guide link has no matching page and anchor in the built site."""
        problems = []
        pages: dict[str, str | None] = {}
        for item in self.items.values():
            for link in dict.fromkeys([item.link, *re.findall(r"\]\((/[^)\s]*)\)", item.text)]):
                path, _, anchor = link.partition("#")
                if path not in pages:
                    html_file = Path(site_dir) / path.strip("/") / "index.html"
                    pages[path] = (
                        html_file.read_text(encoding="utf-8") if html_file.is_file() else None
                    )
                html = pages[path]
                if html is None:
                    problems.append(f"item {item.id!r} links to {link}, but {path} is not built")
                elif anchor and not re.search(rf"""\sid=["']?{re.escape(anchor)}["'\s>]""", html):
                    problems.append(
                        f"item {item.id!r} links to {link}, but {path} has no id {anchor!r}"
                    )
        return problems


def define_env(env) -> None:
    """Register the checklist macros with mkdocs-macros."""
    renderer = Renderer(load_groups(env.conf["docs_dir"]))

    def page_url() -> str | None:
        page = getattr(env, "page", None)
        return page.url if page is not None else None

    def group(group_id: str, heading_level: int | None = 2) -> str:
        if links.markdown_mode(env):
            return renderer.markdown_group(renderer.groups[group_id])
        return renderer.group(renderer.groups[group_id], page_url(), heading_level)

    @env.macro
    def go_live_checklist() -> str:
        """The whole go-live checklist, with progress, Reset and Copy as Markdown."""
        return group("go-live")

    @env.macro
    def eea_checklist() -> str:
        """The go-live items for merchants with customers in the EEA (or the UK): SCA."""
        return group("go-live-eea", heading_level=None)

    @env.macro
    def checklist_item(item_id: str) -> str:
        """One go-live item's checkbox, bound to the same saved state as on /go-live/."""
        html = renderer.single(item_id, page_url())  # raises for an unknown id, in any output
        return "" if links.markdown_mode(env) else html

    @env.macro
    def scenario_checklist() -> str:
        """The testing page's checklist: one scenario per test card, refunds, idempotency, HPP."""
        return group("scenarios", heading_level=3)

    env.variables["flowlix_checklist"] = renderer
