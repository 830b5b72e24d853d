"""Pages, snippets, the catalog and the mock say the same thing on the points issue 14 found.

Each test pins one former contradiction to its single source, so that it cannot come back:
the built pages are read as a reader sees them (text without markup).
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flowlix_mock import catalog, cli

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page, whitespace collapsed."""
    reader = _Text()
    reader.feed((site / page / "index.html").read_text(encoding="utf-8"))
    text = " ".join(" ".join(reader.parts).split())
    # Inline elements leave a space before punctuation: "the key ( payment-order-1 , then".
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([,.;:)])", r"\1", text))


def markdown_text(path: Path) -> str:
    """A Markdown file as the words a reader sees: links and code spans reduced to their text."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", path.read_text(encoding="utf-8"))
    return " ".join(text.replace("`", "").replace("**", "").split())


def test_the_key_per_attempt_rule_is_the_same_words_on_three_pages(built_site: Path) -> None:
    rule = markdown_text(SNIPPETS / "text" / "key-per-attempt.md")
    assert "payment-order-1234-1" in rule and "before you send the request" in rule
    for page in ("payments", "idempotency", "hosted-payment-page"):
        assert rule in page_text(built_site, page), page


def test_snippets_derive_payment_keys_from_the_order_and_the_attempt() -> None:
    """No snippet keys a payment or a session by the order alone (`payment-{order_id}`)."""
    for path in sorted(SNIPPETS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_fstrings = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in in_fstrings:
                parts = [node]
            elif isinstance(node, ast.JoinedStr):
                parts = node.values
            else:
                continue
            first = parts[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if not re.match(r"(payment|checkout)-", first.value):
                continue
            last = parts[-1]
            if isinstance(last, ast.FormattedValue):  # ...-{attempt}
                assert "attempt" in ast.unparse(last.value), f"{path.name}: {ast.unparse(node)}"
            else:  # ...-1
                assert re.search(r"-\d+$", last.value), f"{path.name}: {ast.unparse(node)}"


def test_webhook_retries_and_when_they_stop_are_stated_from_the_catalog(built_site: Path) -> None:
    schedule = catalog.LIMITS.webhook_retry_schedule_seconds
    text = page_text(built_site, "webhooks")
    assert f"retried {len(schedule)} times" in text
    assert ", ".join(f"{delay} s" for delay in schedule) in text
    assert f"about {round(sum(schedule) / 60)} minutes after the first attempt" in text
    assert "Then Flowlix stops retrying" in text


def test_the_signature_example_uses_the_event_id_as_webhook_id() -> None:
    for name in ("verify_signature.py", "verify_with_standardwebhooks.py"):
        source = (SNIPPETS / "webhooks" / name).read_text(encoding="utf-8")
        body_ids = set(re.findall(r'\\?"id\\?":\\?"(\w+)', source))
        header_ids = set(re.findall(r'"webhook-id": "(\w+)"', source))
        assert header_ids and header_ids <= body_ids, name
    # The ports sign the same example: the id they sign with is the event id in their body
    # (msg_p5jX... is the Standard Webhooks specification's own test vector, with its body).
    for name in ("verify_signature.mjs", "verify_signature.php", "verify_signature.sh"):
        source = (SNIPPETS / "webhooks" / name).read_text(encoding="utf-8")
        assert "msg_1" not in source and "evt_1" in source, name


def test_every_mock_option_is_in_the_mock_page_table() -> None:
    table = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    for action in cli.parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"| `{option}" in table or f", `{option}" in table, option


def test_the_rate_limit_page_names_the_limiter_its_snippet_uses(built_site: Path) -> None:
    snippet = (SNIPPETS / "rate_limits" / "client_side_limiter.py").read_text(encoding="utf-8")
    assert "sliding one-second window" in snippet
    text = page_text(built_site, "rate-limits")
    assert "sliding one-second window" in text and "token bucket" not in text
    assert "half a second" not in text  # Retry-After is at least 1 s


def test_test_mode_and_the_mock_agree_on_simulations(built_site: Path) -> None:
    """Flowlix-Simulate and the test clock are test mode features (contract 12, 13)."""
    for page in ("", "testing", "mock"):
        assert "cannot give you" not in page_text(built_site, page)
    assert "Flowlix test mode" in page_text(built_site, "")


def test_card_errors_retry_only_as_new_attempts_processing_error_included() -> None:
    card_error = next(item for item in catalog.ERROR_TYPES if item.type == "card_error")
    assert "new attempt" in card_error.retry and "processing_error" in card_error.retry
    processing = catalog.DECLINE_CODES_BY_CODE["processing_error"]
    assert "new `Idempotency-Key`" in processing.next_step


def test_the_reference_counts_each_currency_once(built_site: Path) -> None:
    text = page_text(built_site, "reference")
    assert f"one of {len(catalog.CURRENCIES)} values, either case" in text
    assert f"one of {2 * len(catalog.CURRENCIES)} values" not in text


def test_amounts_page_names_the_float_bug_and_the_acquirer_rule(built_site: Path) -> None:
    text = page_text(built_site, "amounts")
    assert int(19.99 * 100) == 1998 and round(19.99 * 100) == 1999  # what the page claims
    assert "int(19.99 * 100) is 1998" in text
    assert "acquirers" in text and "Card networks settle" not in text


@pytest.mark.parametrize("field", ['session["status"]', 'session["currency"]'])
def test_the_success_handler_checks_what_the_page_says(field: str) -> None:
    source = (SNIPPETS / "hosted_payment_page" / "success_handler.py").read_text(encoding="utf-8")
    handler = source[source.index("def handle_success_redirect") : source.index("class _Form")]
    assert field in handler
