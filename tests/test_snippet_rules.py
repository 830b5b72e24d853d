"""The go-live checklist, applied to our own code: static checks over every snippet (with `ast`).

Rules:
- `key-literal`: no secret key literal (`fl_test_sk_...`, `fl_live_sk_...`).
- `key-from-env`: the key comes from `os.environ` / `os.getenv`; a `Bearer` header is never built
  from a string literal.
- `idempotency-key`: every POST (`.post(`, or a request with method POST) sends an
  `Idempotency-Key` header.
- `timeout`: every `httpx.Client`, `httpx.AsyncClient` and `httpx.request`/`get`/`post`/...
  call passes `timeout=`.
- `http-url`: no `http://` URL except loopback (localhost, 127.0.0.1, [::1]).
- `card-number`: no full card number (a Luhn-valid run of 12 to 19 digits, or a variable holding
  one, or a `number` / `card_number` / `pan` value) in a `print` or logging call.

A line may opt out of one rule with a comment `# snippet-rules: <rule> (<why>)`; the few places
that do (a demo of the very thing the rule forbids) are listed in ALLOWED_OPT_OUTS and reviewed.
Each rule is proven by a failing example below.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from flowlix_mock.catalog import luhn_valid

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
SNIPPETS = sorted(SNIPPETS_DIR.rglob("*.py"))

RULES = ("key-literal", "key-from-env", "idempotency-key", "timeout", "http-url", "card-number")
OPT_OUT = re.compile(r"#\s*snippet-rules:\s*([a-z-]+)")
ALLOWED_OPT_OUTS = {
    # The hosted page's card form is submitted by the customer's browser, not by our API client.
    ("hosted_payment_page/success_handler.py", "idempotency-key"),
    # So is the 3-D Secure challenge page's form (the mock stands in for the customer's bank).
    ("three_d_secure/return_handler.py", "idempotency-key"),
    # The webhook demo and the drills pay a checkout on the hosted page, as the customer would.
    ("webhooks/receiver.py", "idempotency-key"),
    ("testing/failure_drills.py", "idempotency-key"),
    # These show an insecure URL being refused.
    ("security/https_only_client.py", "http-url"),
    # This shows the logging filter masking a card number pasted into a support ticket.
    ("security/mask_card_numbers.py", "card-number"),
}

KEY_LITERAL = re.compile(r"fl_(test|live)_sk_[A-Za-z0-9]{8,}")
HTTP_URL = re.compile(r"http://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*)")
LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}
DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){11,18}")
HTTPX_TIMEOUT_CALLS = {
    "Client",
    "AsyncClient",
    "request",
    "stream",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
CARD_NAMES = {"number", "card_number", "pan", "card_pan"}


def string_parts(node: ast.AST) -> list[str]:
    """The literal text of a str constant or of an f-string's constant parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [part.value for part in node.values if isinstance(part, ast.Constant)]
    return []


def contains_card_number(text: str) -> bool:
    for match in DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 12 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def is_env_read(node: ast.AST) -> bool:
    """`os.environ.get(...)`, `os.getenv(...)` or `os.environ[...]`."""
    if isinstance(node, ast.Call):
        return dotted(node.func) in {"os.environ.get", "os.getenv"}
    if isinstance(node, ast.Subscript):
        return dotted(node.value) == "os.environ"
    return False


class Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = ast.parse(source)
        self.violations: list[tuple[str, int, str]] = []
        self.opt_outs: dict[int, set[str]] = {}
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and (match := OPT_OUT.search(token.string)):
                self.opt_outs.setdefault(token.start[0], set()).add(match.group(1))
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                child.parent = parent  # type: ignore[attr-defined]
        self.httpx_names = {"httpx"}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module == "httpx":
                self.httpx_names |= {f"@{alias.asname or alias.name}" for alias in node.names}
        # Every name's assigned values, anywhere in the module (scopes are small in a snippet).
        self.bindings: dict[str, list[ast.expr]] = {}
        for node in ast.walk(self.tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if isinstance(target, ast.Name):
                    self.bindings.setdefault(target.id, []).append(value)
                elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                    for element, element_value in zip(target.elts, value.elts, strict=False):
                        if isinstance(element, ast.Name):
                            self.bindings.setdefault(element.id, []).append(element_value)

    def report(self, rule: str, node: ast.AST, message: str) -> None:
        first = getattr(node, "lineno", 0)
        last = getattr(node, "end_lineno", first) or first
        # The opt-out comment sits on the node's lines or on the line just above it.
        if any(rule in self.opt_outs.get(line, ()) for line in range(first - 1, last + 1)):
            return
        self.violations.append((rule, first, message))

    def check(self) -> list[tuple[str, int, str]]:
        self.check_strings()
        self.check_key_source()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self.check_post(node)
                self.check_timeout(node)
                self.check_output(node)
        return self.violations

    # key-literal, http-url
    def check_strings(self) -> None:
        for node in ast.walk(self.tree):
            for text in string_parts(node):
                if KEY_LITERAL.search(text):
                    self.report("key-literal", node, "an API key literal")
                for match in HTTP_URL.finditer(text):
                    host = match.group(1)
                    # "http://" then an f-string field: the host is unknown, so not loopback.
                    unknown = (
                        not host and match.end() == len(text) and isinstance(node, ast.JoinedStr)
                    )
                    if (host and host not in LOOPBACK) or unknown:
                        self.report("http-url", node, f"plain http:// to {host or '?'}")

    # key-from-env
    def check_key_source(self) -> None:
        bearer_found = False
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith("Bearer ") and len(node.value) > len("Bearer "):
                    if not isinstance(getattr(node, "parent", None), ast.JoinedStr):
                        self.report("key-from-env", node, "an Authorization header literal")
            if isinstance(node, ast.JoinedStr) and any(
                text.startswith("Bearer") for text in string_parts(node)
            ):
                bearer_found = True
                for part in node.values:
                    if isinstance(part, ast.FormattedValue):
                        self.check_key_expression(part.value)
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and "api_key" in target.id.lower():
                        if string_parts(node.value):
                            self.report("key-from-env", node, f"{target.id} set from a literal")
        if bearer_found and not any(
            is_env_read(node)
            and any(
                "FLOWLIX_API_KEY" in text
                for child in ast.walk(node)
                for text in string_parts(child)
            )
            for node in ast.walk(self.tree)
        ):
            self.report(
                "key-from-env", self.tree.body[0], "FLOWLIX_API_KEY is never read from os.environ"
            )

    def check_key_expression(self, expression: ast.expr) -> None:
        if string_parts(expression):
            self.report("key-from-env", expression, "a Bearer token from a literal")
        for node in ast.walk(expression):
            if isinstance(node, ast.Name):
                for value in self.bindings.get(node.id, []):
                    if string_parts(value):
                        self.report("key-from-env", value, f"{node.id} is bound to a literal")

    # idempotency-key
    def has_idempotency_key(
        self, node: ast.expr | None, seen: frozenset[str] = frozenset()
    ) -> bool:
        if isinstance(node, ast.Dict):
            return any(
                isinstance(key, ast.Constant) and str(key.value).lower() == "idempotency-key"
                for key in node.keys
            )
        if isinstance(node, ast.Name) and node.id not in seen:
            return any(
                self.has_idempotency_key(value, seen | {node.id})
                for value in self.bindings.get(node.id, [])
            )
        return False

    def check_post(self, call: ast.Call) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        method = call.func.attr
        is_post = method == "post"
        if method in {"request", "build_request", "stream"} and call.args:
            first = call.args[0]
            is_post = not isinstance(first, ast.Constant) or str(first.value).upper() == "POST"
        if not is_post:
            return
        headers = next((kw.value for kw in call.keywords if kw.arg == "headers"), None)
        if not self.has_idempotency_key(headers):
            self.report(
                "idempotency-key", call, f"POST without Idempotency-Key: {ast.unparse(call.func)}"
            )

    # timeout
    def check_timeout(self, call: ast.Call) -> None:
        name = dotted(call.func)
        is_httpx = (
            isinstance(call.func, ast.Attribute)
            and dotted(call.func.value) in self.httpx_names
            and call.func.attr in HTTPX_TIMEOUT_CALLS
        ) or (
            isinstance(call.func, ast.Name)
            and f"@{name}" in self.httpx_names
            and name in HTTPX_TIMEOUT_CALLS
        )
        if is_httpx and not any(kw.arg == "timeout" for kw in call.keywords):
            self.report("timeout", call, f"{name}(...) without an explicit timeout=")

    # card-number
    def check_output(self, call: ast.Call) -> None:
        name = dotted(call.func)
        is_output = name == "print" or (
            isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS
        )
        if not is_output:
            return
        for argument in [*call.args, *(kw.value for kw in call.keywords)]:
            for node in self.output_nodes(argument):
                if any(contains_card_number(text) for text in string_parts(node)):
                    self.report("card-number", node, "a card number in output")
                if isinstance(node, ast.Name):
                    if self.holds_card_number(node.id) or (
                        node.id.lower() in CARD_NAMES and not self.is_sliced(node)
                    ):
                        self.report("card-number", node, f"{node.id} (a card number) in output")
                if (
                    isinstance(node, ast.Subscript)
                    and isinstance(node.slice, ast.Constant)
                    and node.slice.value in CARD_NAMES
                    and not self.is_sliced(node)
                ):
                    self.report("card-number", node, "a card's number in output")

    @staticmethod
    def output_nodes(node: ast.AST) -> list[ast.AST]:
        """What ends up in the output: the expression, but not what is only passed to a call
        (`print(charge(card))` prints the result, not the card), except str()/repr()/format()."""
        found = [node]
        if isinstance(node, ast.Call):
            if dotted(node.func) not in {"str", "repr", "format", "json.dumps"}:
                return found
            children = [*node.args, *(kw.value for kw in node.keywords)]
        else:
            children = list(ast.iter_child_nodes(node))
        for child in children:
            found += Checker.output_nodes(child)
        return found

    def holds_card_number(self, name: str) -> bool:
        """A name bound to a literal (a string, or a dict/list/tuple of them) with a card number."""

        def literal_has_number(node: ast.AST) -> bool:
            if any(contains_card_number(text) for text in string_parts(node)):
                return True
            if isinstance(node, ast.Dict | ast.List | ast.Tuple | ast.Set):
                return any(literal_has_number(child) for child in ast.iter_child_nodes(node))
            return False

        return any(literal_has_number(value) for value in self.bindings.get(name, []))

    @staticmethod
    def is_sliced(node: ast.AST) -> bool:
        """`number[-4:]`: only the last digits are used."""
        parent = getattr(node, "parent", None)
        return (
            isinstance(parent, ast.Subscript)
            and parent.value is node
            and isinstance(parent.slice, ast.Slice)
        )


def violations(source: str) -> list[tuple[str, int, str]]:
    return Checker(source).check()


@pytest.mark.parametrize(
    "path", SNIPPETS, ids=lambda path: path.relative_to(SNIPPETS_DIR).as_posix()
)
def test_snippet_follows_the_rules(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "path", SNIPPETS, ids=lambda path: path.relative_to(SNIPPETS_DIR).as_posix()
)
def test_opt_outs_are_reviewed(path: Path) -> None:
    name = path.relative_to(SNIPPETS_DIR).as_posix()
    for rule in OPT_OUT.findall(path.read_text(encoding="utf-8")):
        assert rule in RULES, f"unknown rule {rule}"
        assert (name, rule) in ALLOWED_OPT_OUTS, f"{name} opts out of {rule} without review"


@pytest.mark.parametrize(
    "path", SNIPPETS, ids=lambda path: path.relative_to(SNIPPETS_DIR).as_posix()
)
def test_printed_output_has_no_card_number(path: Path) -> None:
    """The `#>` output comments (what the reader sees printed) never show a full card number."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#>"):
            assert not contains_card_number(line), line


BAD_EXAMPLES = [
    ("key-literal", 'API_KEY = "fl_test_sk_abcdefghijklmnopqrstuvwx"\n'),
    # Assembled here so that no live-key-shaped literal is committed (secret scanners flag it).
    (
        "key-literal",
        'headers = {"Authorization": "Bearer ' + "fl_live_" + "sk_" + "a" * 24 + '"}\n',
    ),
    ("key-from-env", 'headers = {"Authorization": "Bearer abc123"}\n'),
    (
        "key-from-env",
        'import os\napi_key = "not-from-env"\nheaders = {"Authorization": f"Bearer {api_key}"}\n',
    ),
    (
        "key-from-env",
        'import os\nsecret = "xyz"\nheaders = {"Authorization": f"Bearer {secret}"}\n',
    ),
    (
        "key-from-env",
        'def client(token):\n    return {"Authorization": f"Bearer {token}"}\n',
    ),
    ("idempotency-key", 'client.post("/payments", json={"amount": 1})\n'),
    ("idempotency-key", 'client.post("/payments", json={}, headers={"Flowlix-Simulate": "x"})\n'),
    ("idempotency-key", 'httpx.request("POST", "https://x", timeout=5, headers={})\n'),
    ("idempotency-key", "client.request(method, url, headers=headers)\nheaders = {}\n"),
    ("timeout", 'import httpx\nclient = httpx.Client(base_url="https://api.flowlix.eu/v1")\n'),
    ("timeout", "import httpx\nasync_client = httpx.AsyncClient()\n"),
    ("timeout", 'import httpx\nhttpx.get("https://api.flowlix.eu/v1/payments")\n'),
    ("timeout", "from httpx import Client\nclient = Client()\n"),
    ("http-url", 'API_BASE = "http://api.flowlix.eu/v1"\n'),
    ("http-url", 'url = f"http://{host}/v1"\n'),
    ("card-number", 'print("paid with 4111111111111111")\n'),
    ("card-number", 'logger.info("card %s", "4111 1111 1111 1111")\n'),
    ("card-number", 'card = "5555555555554444"\nlogging.warning("card %s", card)\n'),
    ("card-number", "print(f\"card {card['number']}\")\n"),
    ("card-number", "for number in cards:\n    print(number)\n"),
]


@pytest.mark.parametrize(
    ("rule", "source"), BAD_EXAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(BAD_EXAMPLES)]
)
def test_each_rule_catches_a_bad_example(rule: str, source: str) -> None:
    assert rule in {found for found, _, _ in violations(source)}


GOOD_EXAMPLES = [
    'import os\nimport httpx\napi_key = os.environ.get("FLOWLIX_API_KEY")\n'
    'client = httpx.Client(headers={"Authorization": f"Bearer {api_key}"}, timeout=10)\n',
    'headers = {"Idempotency-Key": "payment-order-1"}\nclient.post("/payments", headers=headers)\n',
    'client.post("/refunds", headers={**extra, "Idempotency-Key": key})\n',
    'client.get("http://127.0.0.1:8000/x")\nclient.get("http://localhost/x")\n',
    'print(f"card ending {number[-4:]}")\nprint(payment["card"]["last4"])\n',
    'print("order 20260101 for 49.99 EUR")\n',
    'client.get("http://api.flowlix.eu/v1")  # snippet-rules: http-url (refused here)\n',
]


@pytest.mark.parametrize("source", GOOD_EXAMPLES)
def test_rules_accept_good_code(source: str) -> None:
    assert violations(source) == []
