"""Macros that render the Flowlix facts into the docs, so that each fact is written once.

Every table of test cards, decline codes, currencies, error codes, error types and limits on the
site comes from `flowlix_mock.catalog`; the HTTP endpoint reference comes from the mock's OpenAPI
document. Pages call these macros (`{{ decline_code_table() }}`) and read the catalog's values
(`{{ limits.rate_limit_test_per_second }}`) instead of copying them.

Diagrams are drawn at build time as inline SVG by `docs_macros.diagrams` (the
`sequence_diagram` macro), so no page needs a diagram library.

Every macro also renders for a page's Markdown copy (`docs_macros.markdown_copy`): tables become
Markdown tables, diagrams their text, links absolute URLs (see `docs_macros.links`).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docs_macros import diagrams, links
from docs_macros.code_blocks import annotate
from flowlix_mock import catalog

# What each limit means, in words; the numbers come from catalog.LIMITS.
LIMIT_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "amount_min": ("Smallest `amount`", "minor units"),
    "amount_max": ("Largest `amount`", "minor units"),
    "reference_max_length": ("`reference` length", "characters at most"),
    "description_max_length": ("`description` length", "characters at most"),
    "metadata_max_keys": ("`metadata` keys", "at most"),
    "metadata_key_max_length": ("`metadata` key length", "characters at most"),
    "metadata_value_max_length": ("`metadata` value length", "characters at most"),
    "body_max_bytes": ("Request body size", "bytes at most"),
    "idempotency_key_max_length": (
        "`Idempotency-Key` length",
        "printable ASCII characters at most",
    ),
    "idempotency_retention_seconds": ("Idempotency key retention", "seconds"),
    "rate_limit_test_per_second": ("Rate limit, test mode", "requests per second per account"),
    "rate_limit_live_per_second": ("Rate limit, live mode", "requests per second per account"),
    "list_limit_default": ("List page size, default", "objects"),
    "list_limit_max": ("List page size, largest `limit`", "objects"),
    "checkout_session_lifetime_seconds": ("Checkout session lifetime", "seconds"),
    "three_d_secure_challenge_lifetime_seconds": (
        "3-D Secure challenge lifetime (a `requires_action` payment's `next_action.expires_at`)",
        "seconds",
    ),
    "webhook_tolerance_seconds": ("Webhook timestamp tolerance", "seconds either way"),
    "webhook_retry_schedule_seconds": ("Webhook redelivery delays", "seconds after each failure"),
    "webhook_timeout_seconds": ("Webhook delivery timeout", "seconds to answer a delivery"),
    "url_max_length": (
        "URL length (`success_url`, `cancel_url`, `return_url`, webhook `url`)",
        "characters at most",
    ),
    "retry_backoff_seconds": (
        "Recommended retry backoff (full jitter: a random wait up to each value)",
        "seconds before the 2nd, 3rd and 4th attempt",
    ),
    "retry_max_attempts": ("Recommended attempts per request, retries included", "at most"),
    "retry_total_seconds": (
        "Recommended time for all attempts and waits of one request together",
        "seconds at most",
    ),
    "simulation_delay_max_ms": (
        "`Flowlix-Simulate: delay=MS`, longest hold (test mode)",
        "milliseconds",
    ),
    "simulation_count_max": (
        "`Flowlix-Simulate: ...;count=N`, largest `N` (test mode)",
        "attempts",
    ),
    "clock_advance_max_seconds": ("Test clock, longest single advance", "seconds"),
}

WHO_ACTS = {
    "customer": "Customer",
    "merchant": "You (the merchant)",
}

RETRY_LABELS = {
    "soft": ("Soft", "A later attempt can succeed, usually after the customer acts."),
    "hard": ("Hard", "The same card details will keep failing: do not retry them."),
}


# --- small helpers -----------------------------------------------------------------------------


def inline(text: str) -> str:
    """Catalog prose to HTML: escape it, then turn `backticks` into <code>."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def markdown_cell(cell_html: str) -> str:
    """A table cell's HTML as Markdown, for a page's Markdown copy."""

    def link(match: re.Match) -> str:
        target, label = html.unescape(match.group(1)), match.group(2)
        return label if target.startswith("#") else f"[{label}]({target})"

    text = re.sub(r"<code>(.*?)</code>", r"`\1`", cell_html)
    text = re.sub(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', link, text)
    text = re.sub(r"<q>(.*?)</q>", r'"\1"', text)
    text = re.sub(r"<br\s*/?>\s*<small[^>]*>(.*?)</small>", r" (\1)", text)
    text = re.sub(r"<br\s*/?>", "; ", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).replace("|", "\\|").strip()


def markdown_table(headers: list[str], rows: list[tuple[dict[str, str], list[str]]]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |" for _, cells in rows),
    ]
    return "\n\n" + "\n".join(lines) + "\n\n"


def _visible_length(cell_html: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", "", cell_html)))


def _inert(cell_html: str) -> str:
    """A cell's copy that keeps its look but no id, heading or link (for the sizing row)."""
    cell_html = re.sub(r'\s(?:id|href|title)="[^"]*"', "", cell_html)
    cell_html = re.sub(r"<(/?)h[1-6]\b", r"<\1div", cell_html)  # a block, as the heading is
    return re.sub(r"<(/?)a\b", r"<\1span", cell_html)


def html_table(headers: list[str], rows: list[tuple[dict[str, str], list[str]]], css: str) -> str:
    """An HTML table; each row is (attributes of the <tr>, cells already in HTML).

    In a page's Markdown copy, the same table in Markdown.
    """
    if links.markdown_mode():
        return markdown_table(headers, rows)
    head = "".join(f"<th>{html.escape(header)}</th>" for header in headers)
    body = []
    for attributes, cells in rows:
        attrs = "".join(f' {name}="{html.escape(value)}"' for name, value in attributes.items())
        body.append(f"<tr{attrs}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    # A browser may paint a long table before it has parsed all of it; later rows with wider
    # cells then widen its columns and move what was painted (seen on /reference/ at a phone's
    # CPU speed). The widest cell of each column comes first, in a row that is never shown
    # (`visibility: collapse` still sizes the columns, site.css), read aloud or searched.
    widest = [
        _inert(max((cells[column] for _, cells in rows), key=_visible_length))
        for column in range(len(headers))
    ]
    sizer = (
        '<tr class="flowlix-table__sizer" aria-hidden="true" data-search-exclude>'
        + "".join(f"<td>{cell}</td>" for cell in widest)
        + "</tr>"
    )
    # Material's own scroll wrapper, in the HTML from the start: a table wider than the column
    # scrolls inside it, never the page. Material's JavaScript wraps unclassed tables only after
    # the page has painted, which moves them (layout shift); this table has a class, so the
    # script leaves it alone, and site.css gives the class Material's table look.
    # Blank lines around: Markdown passes an HTML block through only when it stands alone.
    return (
        f'\n\n<div class="md-typeset__scrollwrap flowlix-table flowlix-table--{css}">'
        '<div class="md-typeset__table">\n<table class="flowlix-table__table">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{sizer}\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</div></div>\n\n"
    )


def anchor_cell(anchor: str, label: str | None = None, heading_level: int | None = None) -> str:
    """A cell that is the target of /page/#anchor links and links to itself.

    With a heading level the code is a small heading that carries the anchor: site search makes
    one entry of every heading with an id, so a reader searching for `insufficient_funds` or
    "insufficient funds" lands on this row, not on the whole table. The heading is styled as
    the cell text it replaces, and it is not in the table of contents (raw HTML).
    """
    label = label or anchor
    link = (
        f'<a class="flowlix-anchor" href="#{anchor}" title="Link to {html.escape(label)}">'
        f"<code>{html.escape(label)}</code></a>"
    )
    if heading_level is None:
        return link
    tag = f"h{heading_level}"
    return f'<{tag} class="flowlix-row-heading" id="{anchor}">{link}</{tag}>'


def duration(seconds: int) -> str:
    """86400 -> '24 hours', 3600 -> '1 hour', 300 -> '5 minutes', 30 -> '30 seconds'."""
    for unit_seconds, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % unit_seconds == 0 and seconds >= unit_seconds:
            count = seconds // unit_seconds
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def seconds_list(values: tuple[int, ...]) -> str:
    """(1, 2, 4) -> '1 s, 2 s, 4 s'."""
    return ", ".join(f"{value} s" for value in values)


def error_link(code: str) -> str:
    """Markdown link to an error code's row on /errors/, with its HTTP status."""
    item = catalog.ERROR_CODES_BY_CODE[code]
    return f"[`{item.status} {code}`](errors.md#{code})"


def not_stored_links() -> str:
    """Links to the codes of requests rejected before they ran (never stored for a key)."""
    return ", ".join(
        error_link(item.code)
        for item in catalog.ERROR_CODES
        if item.code in catalog.NOT_STORED_CODES and item.code != "idempotency_key_in_use"
    )


def decline_link(decline_code: str) -> str:
    """Markdown link to a decline code's row on /decline-codes/."""
    catalog.DECLINE_CODES_BY_CODE[decline_code]  # KeyError for a code the catalog lacks
    return f"[`{decline_code}`](decline-codes.md#{decline_code})"


def status_of(code: str) -> int:
    """The HTTP status of an error code."""
    return catalog.ERROR_CODES_BY_CODE[code].status


def test_card(key: str) -> str:
    """The test card number for a decline code, or for a brand's successful payment."""
    for card in catalog.TEST_CARDS:
        if card.decline_code == key or (card.outcome == "success" and card.brand == key):
            return card.number
    raise KeyError(f"no test card for {key!r}")


def cards_for(key: str) -> catalog.TestCard:
    """The whole test-card record for `test_card(key)`."""
    return catalog.TEST_CARDS_BY_NUMBER[test_card(key)]


def three_d_secure_card(flow: str, issuer_declines: bool = False) -> str:
    """The test card for a 3-D Secure flow (`issuer_declines`: declined after its challenge)."""
    for card in catalog.TEST_CARDS:
        declines = bool(card.after_challenge_decline_code)
        if card.three_d_secure == flow and declines == issuer_declines:
            return card.number
    raise KeyError(f"no 3-D Secure test card for {flow!r} (issuer_declines={issuer_declines})")


def _decline_cell(code: str, decline_code: str, prefix: str = "402 ") -> str:
    return (
        f"{prefix}<code>{code}</code> / "
        f'<a href="{links.href(f"/decline-codes/#{decline_code}")}"><code>{decline_code}</code></a>'
    )


def _decline_anchor(decline_code: str) -> str:
    return (
        f'<a href="{links.href(f"/decline-codes/#{decline_code}")}"><code>{decline_code}</code></a>'
    )


def _after_challenge(card: catalog.TestCard) -> str:
    """What a completed challenge leads to, in HTML."""
    if card.after_challenge_decline_code:
        return "<code>failed</code> with " + _decline_anchor(card.after_challenge_decline_code)
    return "<code>succeeded</code>"


def _direct_api_result(card: catalog.TestCard) -> str:
    """The Direct API's answer for a test card, with and without `return_url` where it differs."""
    if card.outcome == "success":
        result = '<span class="flowlix-badge flowlix-badge--success">201 succeeded</span>'
        if card.three_d_secure:
            result += f"<br><small>3-D Secure: {html.escape(card.three_d_secure)}</small>"
        return result
    declined = _decline_cell(card.code, card.decline_code)
    if card.three_d_secure != "challenge":
        return declined
    failed = _decline_anchor(catalog.AUTHENTICATION_FAILED)
    return (
        f"Without <code>return_url</code>: {declined}.<br>With <code>return_url</code>: "
        f"201 <code>requires_action</code>; the challenge completed: {_after_challenge(card)}; "
        f"failed: <code>failed</code> with {failed}"
    )


# --- tables ------------------------------------------------------------------------------------


def error_type_table(heading_level: int = 3) -> str:
    rows = []
    for item in catalog.ERROR_TYPES:
        rows.append(
            (
                {},
                [
                    anchor_cell(item.type, heading_level=heading_level),
                    ", ".join(str(status) for status in item.statuses),
                    inline(item.meaning),
                    inline(item.retry),
                    inline(item.action),
                ],
            )
        )
    return html_table(
        ["type", "HTTP status", "What happened", "Retry?", "What to do"], rows, "error-types"
    )


def error_code_table(error_type: str | None = None, heading_level: int | None = None) -> str:
    """Error codes, all or of one type (the type column is left out when the table has one).

    Each code is a heading (see `anchor_cell`), one level below the section the table is in:
    h4 under a type's h3 on /errors/, h3 for the table of all codes."""
    codes = [item for item in catalog.ERROR_CODES if error_type in (None, item.type)]
    if not codes:
        raise ValueError(f"no error codes of type {error_type!r}")
    if heading_level is None:
        heading_level = 3 if error_type is None else 4
    rows = []
    for item in codes:
        cells = [anchor_cell(item.code, heading_level=heading_level), str(item.status)]
        if error_type is None:
            cells.append(f"<code>{item.type}</code>")
        cells += [inline(item.meaning), inline(item.action)]
        rows.append(({}, cells))
    headers = (
        ["code", "HTTP"] + (["type"] if error_type is None else []) + ["Meaning", "What to do"]
    )
    return html_table(headers, rows, "error-codes")


def decline_code_table(heading_level: int = 3) -> str:
    cards_by_decline: dict[str, catalog.TestCard] = {}
    for card in catalog.TEST_CARDS:
        if card.decline_code:
            cards_by_decline.setdefault(card.decline_code, card)
    rows = []
    for item in catalog.DECLINE_CODES:
        label, explanation = RETRY_LABELS[item.retry]
        card = cards_by_decline.get(item.decline_code)
        if card and card.three_d_secure == "challenge":
            try_it = f"<code>{card.number}</code> without <code>return_url</code>"
        elif card:
            try_it = f"<code>{card.number}</code>"
        elif item.decline_code == catalog.AUTHENTICATION_FAILED:
            try_it = (
                f"<code>{three_d_secure_card('challenge')}</code> with <code>return_url</code>: "
                f'<a href="{links.href("/3d-secure/#test-cards")}">fail the challenge</a>'
            )
        else:
            try_it = "Any other Luhn-valid number in test mode"
        fraud_note = (
            '<br><small class="flowlix-note">Never tell the customer the reason.</small>'
            if item.decline_code in catalog.FRAUD_DECLINE_CODES
            else ""
        )
        rows.append(
            (
                {"data-retry": item.retry},
                [
                    anchor_cell(item.decline_code, heading_level=heading_level)
                    + f"<small>code <code>{item.code}</code></small>",
                    inline(item.meaning),
                    f'<span class="flowlix-badge flowlix-badge--{item.retry}" '
                    f'title="{html.escape(explanation)}">{label}</span>',
                    html.escape(WHO_ACTS[item.who_acts]),
                    f"<q>{html.escape(item.customer_message)}</q>{fraud_note}",
                    inline(item.next_step),
                    try_it,
                ],
            )
        )
    return html_table(
        [
            "decline_code",
            "Meaning",
            "Retry",
            "Who acts",
            "Message for the customer",
            "Next step",
            "Test card",
        ],
        rows,
        "decline-codes",
    )


def test_card_table(outcome: str | None = None) -> str:
    rows = []
    for card in catalog.TEST_CARDS:
        if outcome not in (None, card.outcome):
            continue
        result = _direct_api_result(card)
        if card.hosted_page:
            hosted = html.escape(card.hosted_page)
        elif card.three_d_secure:
            hosted = "Pays at once, as on the Direct API"
        else:
            hosted = "Same as the Direct API"
        rows.append(
            (
                {"id": f"card-{card.number}"},
                [
                    f"<code>{card.number}</code>",
                    html.escape(card.scenario),
                    html.escape(card.brand),
                    str(card.cvc_length),
                    result,
                    hosted,
                ],
            )
        )
    return html_table(
        [
            "Card number",
            "Scenario",
            "Brand",
            "CVC digits",
            "Direct API result",
            "Hosted Payment Page",
        ],
        rows,
        "test-cards",
    )


def _three_d_secure_cell(flow: str, result: str | None) -> str:
    details = catalog.three_d_secure_details(flow, result)
    return (
        f"<code>result: {details['result']}</code><br>"
        f"<code>liability_shift: {json.dumps(details['liability_shift'])}</code>"
    )


def three_d_secure_card_table() -> str:
    """The 3-D Secure test cards: what the issuer does, and the payment's `three_d_secure`."""
    rows = []
    for card in catalog.TEST_CARDS:
        if not card.three_d_secure:
            continue
        if card.three_d_secure == "challenge":
            failed = _decline_anchor(catalog.AUTHENTICATION_FAILED)
            expired = _decline_anchor(catalog.AUTHENTICATION_REQUIRED)
            lifetime = duration(catalog.LIMITS.three_d_secure_challenge_lifetime_seconds)
            outcome = (
                "201 <code>requires_action</code>, then:<br>"
                f"<strong>completed</strong>: {_after_challenge(card)}<br>"
                f"<strong>failed</strong>: <code>failed</code> with {failed}<br>"
                f"<strong>unanswered for {lifetime}</strong>: <code>failed</code> with {expired}"
            )
            details = (
                f"Completed: {_three_d_secure_cell('challenge', 'authenticated')}<br>"
                f"Failed: {_three_d_secure_cell('challenge', 'failed')}"
            )
        else:
            result = "authenticated" if card.three_d_secure == "frictionless" else "exempted"
            outcome = '<span class="flowlix-badge flowlix-badge--success">201 succeeded</span>'
            details = _three_d_secure_cell(card.three_d_secure, result)
        rows.append(
            (
                {"id": f"3ds-card-{card.number}"},
                [
                    f"<code>{card.number}</code><br><code>flow: {card.three_d_secure}</code>",
                    f"<strong>{html.escape(card.scenario)}</strong>. "
                    + inline(card.three_d_secure_note or ""),
                    outcome,
                    details,
                    html.escape(card.hosted_page or "Pays at once"),
                ],
            )
        )
    return html_table(
        [
            "Card number",
            "What the issuer does",
            "Direct API with return_url",
            "three_d_secure",
            "Hosted Payment Page",
        ],
        rows,
        "three-d-secure-cards",
    )


def payment_status_table() -> str:
    rows = [
        ({"id": f"status-{status.replace('_', '-')}"}, [f"<code>{status}</code>", inline(meaning)])
        for status, meaning in catalog.PAYMENT_STATUS_MEANINGS
    ]
    return html_table(["status", "What it means"], rows, "payment-statuses")


def currency_table() -> str:
    rows = []
    for currency in catalog.CURRENCIES:
        ten_major = 10 * 10**currency.exponent
        rows.append(
            (
                {"id": f"currency-{currency.code.lower()}"},
                [
                    f"<code>{currency.code}</code>",
                    html.escape(currency.name),
                    str(currency.exponent),
                    f"<code>{ten_major}</code> = {catalog.format_amount(ten_major, currency.code)}",
                    catalog.format_amount(currency.minor_unit_step, currency.code),
                    "multiple of 10" if currency.minor_unit_step > 1 else "any integer",
                ],
            )
        )
    return html_table(
        [
            "Code",
            "Currency",
            "Exponent",
            "Ten units as amount",
            "Smallest amount",
            "amount must be",
        ],
        rows,
        "currencies",
    )


def currency_codes(exponent: int) -> str:
    """The codes of the currencies with an exponent, as inline code: `EUR`, `USD`, ..."""
    codes = [f"`{c.code}`" for c in catalog.CURRENCIES if c.exponent == exponent]
    return ", ".join(codes)


def limit_value(name: str) -> str:
    value = getattr(catalog.LIMITS, name)
    if isinstance(value, tuple):
        return seconds_list(value)
    if name.endswith("_seconds"):
        return f"{value:,} ({duration(value)})"
    return f"{value:,}"


def limits_table() -> str:
    fields = list(catalog.as_json()["limits"])
    missing = set(fields) - set(LIMIT_DESCRIPTIONS)
    if missing:
        raise KeyError(f"describe these limits in docs_macros/site.py: {sorted(missing)}")
    rows = []
    for name in fields:
        what, unit = LIMIT_DESCRIPTIONS[name]
        rows.append(
            ({"id": f"limit-{name.replace('_', '-')}"}, [inline(what), limit_value(name), unit])
        )
    return html_table(["Limit", "Value", "Unit"], rows, "limits")


def rate_limit_table() -> str:
    limits = catalog.LIMITS
    rows = [
        (
            {},
            [
                "Test mode (<code>fl_test_sk_</code> keys, and the mock)",
                str(limits.rate_limit_test_per_second),
                "Change it on the mock with <code>--rate-limit N</code>",
            ],
        ),
        (
            {},
            [
                "Live mode (<code>fl_live_sk_</code> keys)",
                str(limits.rate_limit_live_per_second),
                "",
            ],
        ),
    ]
    return html_table(["Mode", "Requests per second per account", "Note"], rows, "rate-limits")


def event_type_table() -> str:
    rows = [
        ({"id": f"event-{name.replace('.', '-')}"}, [f"<code>{name}</code>", inline(meaning)])
        for name, meaning in catalog.EVENT_TYPES
    ]
    return html_table(["Event type", "When it is sent"], rows, "event-types")


def simulation_table() -> str:
    rows = [
        (
            {"id": f"simulate-{value.replace('_', '-')}"},
            [f"<code>Flowlix-Simulate: {value}</code>", inline(effect)],
        )
        for value, effect in catalog.SIMULATIONS
    ]
    return html_table(["Header", "What the mock does"], rows, "simulations")


# --- the HTTP reference, from the mock's OpenAPI document -----------------------------------


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _schema_type(document: dict, schema: dict) -> str:
    schema = _resolve(document, schema or {})
    if schema.get("pattern") == catalog.CURRENCY_PATTERN:
        # A currency in a request: the codes in any letter case, as a pattern in the document.
        schema = schema | {"enum": list(catalog.CURRENCY_CODES), "either_case": True}
    if "enum" in schema:
        values = [json.dumps(value) for value in schema["enum"]]
        # An enum that accepts each value in either case (the currencies) counts each once.
        folded = list(dict.fromkeys(value.upper() for value in values))
        either_case = len(folded) < len(values) or schema.get("either_case", False)
        if either_case:
            values = folded
        if len(values) > 6:  # e.g. the currencies: name the count, list them in a tooltip
            case = ", either case" if either_case else ""
            return (
                f'<abbr title="{html.escape(", ".join(values))}">'
                f"{html.escape(schema.get('type', 'value'))}, one of {len(values)} values"
                f"{case}</abbr>"
            )
        return " | ".join(f"<code>{html.escape(value)}</code>" for value in values)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return f"array of {_schema_type(document, schema.get('items', {}))}"
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return " | ".join(_schema_type(document, option) for option in schema[combinator])
    return html.escape(kind or "object")


def _parameters(document: dict, operation: dict, path_item: dict) -> list[str]:
    items = []
    for raw in path_item.get("parameters", []) + operation.get("parameters", []):
        parameter = _resolve(document, raw)
        if parameter.get("in") == "header" and parameter["name"].lower() == "authorization":
            continue
        required = " (required)" if parameter.get("required") else ""
        items.append(
            f"<code>{html.escape(parameter['name'])}</code> "
            f"<small>{html.escape(parameter.get('in', ''))}, "
            f"{_schema_type(document, parameter.get('schema', {}))}{required}</small>"
        )
    body = _resolve(document, operation.get("requestBody", {}))
    content = body.get("content", {}).get("application/json")
    if content:
        schema = _resolve(document, content.get("schema", {}))
        required_names = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            required = " (required)" if name in required_names else ""
            items.append(
                f"<code>{html.escape(name)}</code> "
                f"<small>body, {_schema_type(document, prop)}{required}</small>"
            )
    return items


def _responses(document: dict, operation: dict) -> list[str]:
    items = []
    for status, raw in sorted(operation.get("responses", {}).items()):
        response = _resolve(document, raw)
        items.append(
            f"<strong>{html.escape(str(status))}</strong> "
            + _link_error_codes(inline(response.get("description", "").strip()))
        )
    return items


def _link_error_codes(text_html: str) -> str:
    """Turn every `<code>error_code</code>` of the catalog into a link to its row on /errors/."""

    def link(match: re.Match) -> str:
        code = match.group(1)
        if code in catalog.ERROR_CODES_BY_CODE:
            return f'<a href="{links.href(f"/errors/#{code}")}"><code>{code}</code></a>'
        return match.group(0)

    return re.sub(r"<code>([a-z_]+)</code>", link, text_html)


def load_openapi_document() -> dict:
    from flowlix_mock.openapi import openapi_document

    return openapi_document()


def endpoint_table() -> str:
    document = load_openapi_document()
    servers = document.get("servers") or [{"url": ""}]
    base_path = urlsplit(servers[0]["url"]).path.rstrip("/")  # "/v1"
    methods = ("get", "post", "put", "patch", "delete")
    rows = []
    for path, path_item in document.get("paths", {}).items():
        for method in methods:
            operation = path_item.get(method)
            if not operation:
                continue
            anchor = operation.get("operationId") or f"{method}-{path}"
            anchor = "endpoint-" + re.sub(r"[^a-z0-9]+", "-", anchor.lower()).strip("-")
            summary = operation.get("summary") or operation.get("description", "")
            parameters = _parameters(document, operation, path_item)
            responses = _responses(document, operation)
            rows.append(
                (
                    {"id": anchor},
                    [
                        f'<span class="flowlix-method flowlix-method--{method}">'
                        f"{method.upper()}</span>",
                        f"<code>{html.escape(base_path + path)}</code>",
                        inline(summary.strip()),
                        "<br>".join(parameters) or "none",
                        "<br>".join(responses),
                    ],
                )
            )
    if not rows:
        raise ValueError("the OpenAPI document lists no operations")
    return html_table(
        ["Method", "Path", "What it does", "Parameters", "Responses"], rows, "endpoints"
    )


TEST_ONLY = "x-flowlix-test-only"


def openapi_test_only_note() -> str:
    """A sentence naming what the document marks as test-only (contract section 18), if any."""
    document = load_openapi_document()
    marked: list[str] = []
    for path, path_item in document.get("paths", {}).items():
        for method, operation in path_item.items():
            if isinstance(operation, dict) and operation.get(TEST_ONLY):
                marked.append(f"`{method.upper()} /v1{path}`")
    for parameter in document.get("components", {}).get("parameters", {}).values():
        if parameter.get(TEST_ONLY):
            marked.append(f"the `{parameter['name']}` {parameter.get('in', 'parameter')}")
    if not marked:
        return ""
    listed = ", ".join(marked[:-1]) + (" and " if len(marked) > 1 else "") + marked[-1]
    return f"What exists in test mode only ({listed}) is marked `{TEST_ONLY}: true`."


def openapi_info() -> dict:
    return load_openapi_document().get("info", {})


def sequence_diagram(source: str, title: str, id: str = "sequence", numbered: bool = True) -> str:
    """Macro: an inline SVG sequence diagram; in a page's Markdown copy, its text."""
    if links.markdown_mode():
        return f"{title}:\n\n```text\n{source.strip()}\n```\n"
    return diagrams.sequence_diagram(source, title=title, id=id, numbered=numbered)


# --- mkdocs-macros entry point -----------------------------------------------------------------


def define_env(env) -> None:
    """Register the catalog's values and the table macros with mkdocs-macros."""
    links.bind(env)
    values = {
        "limits": catalog.LIMITS,
        "mock_limits": catalog.MOCK_LIMITS,
        "currencies": catalog.CURRENCIES,
        "test_cards": catalog.TEST_CARDS,
        "decline_codes": catalog.DECLINE_CODES,
        "error_codes": catalog.ERROR_CODES,
        "error_types": catalog.ERROR_TYPES,
        "refund_reasons": catalog.REFUND_REASONS,
        "event_types": catalog.EVENT_TYPES,
        "generic_decline_message": catalog.GENERIC_DECLINE_MESSAGE,
        "production_api_base": catalog.PRODUCTION_API_BASE,
        "docs_base_url": catalog.DOCS_BASE_URL,
        "test_mode_live_card": catalog.TEST_MODE_LIVE_CARD,
        "three_d_secure_version": catalog.THREE_D_SECURE_VERSION,
        "key_min_random_length": catalog.KEY_MIN_RANDOM_LENGTH,
    }
    for name, value in values.items():
        env.variables[name] = value
    for function in (
        error_type_table,
        error_code_table,
        decline_code_table,
        test_card_table,
        currency_table,
        currency_codes,
        limits_table,
        rate_limit_table,
        event_type_table,
        simulation_table,
        endpoint_table,
        openapi_info,
        openapi_test_only_note,
        duration,
        seconds_list,
        error_link,
        not_stored_links,
        decline_link,
        status_of,
        test_card,
        three_d_secure_card,
        three_d_secure_card_table,
        payment_status_table,
        limit_value,
        sequence_diagram,
    ):
        env.macro(function)
    env.macro(links.file_link, "file_link")
    env.macro(catalog.format_amount, "format_amount")
    env.macro(catalog.customer_message, "customer_message")
    env.macro(lambda key: cards_for(key).last4, "test_card_last4")
    env.macro(lambda key: cards_for(key).cvc_length, "test_card_cvc_length")


def on_pre_page_macros(env) -> None:
    """Give every code block that embeds a snippet its title and highlighted lines (the HTML
    site only: a page's Markdown copy keeps its plain fences)."""
    if links.markdown_mode(env):
        return
    env.markdown = annotate(env.markdown, Path(env.conf["config_file_path"]).resolve().parent)
