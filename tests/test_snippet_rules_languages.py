"""The go-live rules of tests/test_snippet_rules.py, for the Node.js, PHP and curl programs.

These are text checks (no JavaScript, PHP or shell parser in the test environment): calls are
found with balanced parentheses, shell commands with their continuation lines joined. Rules:
- `key-literal`: no secret key literal (`fl_test_sk_...`, `fl_live_sk_...`).
- `key-from-env`: a program that sends `Bearer` reads FLOWLIX_API_KEY from the environment
  (`process.env`, `getenv()`, `$FLOWLIX_API_KEY`), and no Bearer token is a literal.
- `idempotency-key`: every POST sends an `Idempotency-Key`: a call that names POST passes one
  (`idempotencyKey`, or the header), and the code that can send a body with a method it is given
  (`fetch` with a `method`, a PHP function that runs curl with a method or POSTFIELDS, a `curl`
  command with `--data`) sets the header.
- `timeout`: every `fetch` has `signal: AbortSignal.timeout(...)`; every PHP function that runs
  `curl_exec` sets `CURLOPT_TIMEOUT`; every `curl` command has `--max-time`.
- `http-url`: no `http://` URL except loopback.
- `card-number`: nothing printed or logged holds a full card number (a Luhn-valid run of 12 to 19
  digits) or a card's `number` (`card.number`, `['number']`, `$number`).

A statement may opt out of one rule with a comment `snippet-rules: <rule> (<why>)` on its first
line or the line before (a PHP function, anywhere in it); the few that do are listed in
ALLOWED_OPT_OUTS and reviewed.
Each rule is proven by a bad example below, in each language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowlix_mock.catalog import luhn_valid

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
SUFFIXES = {".mjs": "node", ".php": "php", ".sh": "curl"}
PROGRAMS = sorted(path for suffix in SUFFIXES for path in SNIPPETS_DIR.rglob(f"*{suffix}"))

RULES = (
    "key-literal",
    "key-from-env",
    "idempotency-key",
    "timeout",
    "http-url",
    "card-number",
)
OPT_OUT = re.compile(r"snippet-rules:\s*([a-z-]+)")
ALLOWED_OPT_OUTS = {
    # The customer's browser submits the hosted page's card form and the 3-D Secure challenge,
    # not our API client; the programs do it in test mode to play the customer.
    *((f"hosted_payment_page/success_handler{suffix}", "idempotency-key") for suffix in SUFFIXES),
    *((f"three_d_secure/direct_api_payment{suffix}", "idempotency-key") for suffix in SUFFIXES),
}

KEY_LITERAL = re.compile(r"fl_(test|live)_sk_[A-Za-z0-9]{8,}")
HTTP_URL = re.compile(r"http://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*)")
LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}
DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){11,18}")
CARD_FIELD = re.compile(r"""(\.|\[\s*['"]|\$|\$\{)(number|card_number|pan|cardNumber)\b""")
ENV_KEY = {
    "node": re.compile(r"process\.env(\.FLOWLIX_API_KEY|\[\s*['\"]FLOWLIX_API_KEY)"),
    "php": re.compile(r"(getenv\(\s*|\$_(ENV|SERVER)\[\s*)['\"]FLOWLIX_API_KEY['\"]"),
    "curl": re.compile(r"\$\{?FLOWLIX_API_KEY\b"),
}
# A Bearer token from a literal: `Bearer ` followed by neither an interpolation nor a variable.
LITERAL_BEARER = re.compile(r"Bearer (?!\$|\{\$|\$\{|['\"`]?\s*\+|['\"`]?\s*\.)[A-Za-z0-9_]")


def contains_card_number(text: str) -> bool:
    for match in DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 12 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


# --- finding statements in source text -------------------------------------------------------


def regex_can_start(text: str, index: int) -> bool:
    """A `/` that starts a JavaScript regex literal (after an operator), not a division."""
    if text.startswith(("//", "/*"), index):
        return False
    before = text[:index].rstrip()
    return bool(before) and before[-1] in "(,=:[!&|?{};"


def regex_end(text: str, index: int) -> int:
    """The index of the `/` that closes the regex literal starting at `index`."""
    in_class = False
    index += 1
    while index < len(text) and text[index] != "\n":
        char = text[index]
        if char == "\\":
            index += 1
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            return index
        index += 1
    return index


def close_paren(text: str, start: int) -> int:
    """The index after the `)` that closes the `(` at `start`, skipping strings and comments."""
    depth, index, quote = 0, start, None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == "/" and regex_can_start(text, index):
            index = regex_end(text, index)
        elif text.startswith("//", index) or (char == "#" and text[index - 1] in " \n"):
            index = text.find("\n", index) - 1
            if index < 0:
                return len(text)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def calls(text: str, name: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of every call of `name` (a regex), arguments included."""
    for match in re.finditer(rf"(?<![\w$>.]){name}\s*\(", text):
        yield match.start(), text[match.start() : close_paren(text, match.end() - 1)]


def method_calls(text: str) -> Iterator[tuple[int, str]]:
    """Every call, `f(...)`, `obj.f(...)` or `$obj->f(...)`, with its arguments."""
    for match in re.finditer(r"[A-Za-z_][\w]*\s*\(", text):
        yield match.start(), text[match.start() : close_paren(text, match.end() - 1)]


def shell_commands(text: str) -> Iterator[tuple[int, str]]:
    """Each shell command with its `\\` continuation lines joined, comments dropped."""
    offset, pending, start = 0, "", 0
    for line in text.splitlines(keepends=True):
        code = re.sub(r"(^|\s)#.*$", "", line.rstrip("\n"))
        if not pending:
            start = offset
        pending += code
        offset += len(line)
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        yield start, pending
        pending = ""
    if pending:
        yield start, pending


def functions(text: str) -> Iterator[tuple[int, str]]:
    """Each named function with the text up to the next one (top-level code, closures in it)."""
    named = re.finditer(r"\bfunction\s+\w+", text)
    starts = [0] + [match.start() for match in named] + [len(text)]
    for begin, end in zip(starts, starts[1:], strict=False):
        yield begin, text[begin:end]


# --- the checker ------------------------------------------------------------------------------


class Checker:
    def __init__(self, source: str, language: str) -> None:
        self.source = source
        self.language = language
        self.violations: list[tuple[str, int, str]] = []
        self.lines = source.splitlines()

    def line_of(self, offset: int) -> int:
        return self.source.count("\n", 0, offset) + 1

    def report(self, rule: str, offset: int, message: str, scope: str = "") -> None:
        """A violation, unless opted out on its line, the line before, or in `scope`."""
        line = self.line_of(offset)
        nearby = [*self.lines[max(0, line - 2) : line], scope]
        if any(rule in OPT_OUT.findall(text) for text in nearby):
            return
        self.violations.append((rule, line, message))

    def check(self) -> list[tuple[str, int, str]]:
        self.check_key()
        self.check_http_urls()
        getattr(self, f"check_{self.language}")()
        return self.violations

    # key-literal, key-from-env, http-url: the same in every language
    def check_key(self) -> None:
        for match in KEY_LITERAL.finditer(self.source):
            self.report("key-literal", match.start(), "a secret key literal")
        for match in LITERAL_BEARER.finditer(self.source):
            self.report("key-from-env", match.start(), "a Bearer token from a literal")
        if "Bearer" in self.source and not ENV_KEY[self.language].search(self.source):
            self.report("key-from-env", 0, "FLOWLIX_API_KEY is never read from the environment")

    def check_http_urls(self) -> None:
        for match in HTTP_URL.finditer(self.source):
            if match.group(1).rstrip(".") not in LOOPBACK:  # a sentence may end after it
                self.report("http-url", match.start(), f"an insecure URL: {match.group()}")

    def check_output(self, offset: int, statement: str) -> None:
        if contains_card_number(statement) or CARD_FIELD.search(statement):
            self.report("card-number", offset, f"a card number in output: {statement[:60]}")

    @staticmethod
    def names_post(statement: str) -> bool:
        return bool(re.search(r"""['"]POST['"]""", statement))

    def check_node(self) -> None:
        for offset, call in method_calls(self.source):
            if self.names_post(call) and not re.search(r"idempotencyKey|Idempotency-Key", call):
                self.report(
                    "idempotency-key",
                    offset,
                    f"POST without Idempotency-Key: {call[:60]}",
                )
        for offset, call in calls(self.source, "fetch"):
            if "AbortSignal.timeout(" not in call:
                self.report("timeout", offset, "fetch() without signal: AbortSignal.timeout()")
            method = re.search(r"\bmethod\b\s*(:\s*(['\"]?)(\w+))?", call)
            can_post = method and method.group(3) not in {"GET", "HEAD", "DELETE"}
            if can_post and "Idempotency-Key" not in call:
                self.report(
                    "idempotency-key",
                    offset,
                    "fetch() with a method, no Idempotency-Key",
                )
        for offset, call in calls(self.source, r"console\.(log|error|info|warn|debug)"):
            self.check_output(offset, call)

    def check_php(self) -> None:
        for offset, call in method_calls(self.source):
            if self.names_post(call) and not re.search(r"idempotencyKey|Idempotency-Key", call):
                self.report(
                    "idempotency-key",
                    offset,
                    f"POST without Idempotency-Key: {call[:60]}",
                )
        for offset, body in functions(self.source):
            if "curl_exec(" not in body:
                continue
            if "CURLOPT_TIMEOUT" not in body:
                self.report("timeout", offset, "curl_exec() without CURLOPT_TIMEOUT")
            if re.search(r"CURLOPT_(POST|POSTFIELDS|CUSTOMREQUEST)\b", body) and (
                "Idempotency-Key" not in body
            ):
                self.report(
                    "idempotency-key",
                    offset,
                    "a POST-capable request, no Idempotency-Key",
                    scope=body,
                )
        statements = [
            (
                match.start(),
                self.source[match.start() : self.source.find(";", match.start())],
            )
            for match in re.finditer(r"\b(echo|print)\b", self.source)
        ]
        statements += list(
            calls(self.source, r"(printf|fwrite|fprintf|error_log|var_dump|print_r)")
        )
        for offset, statement in statements:
            self.check_output(offset, statement)

    def check_curl(self) -> None:
        for offset, command in shell_commands(self.source):
            words = command.split()
            if "curl" in words and not re.search(r"--max-time\b|(^|\s)-m\s", command):
                self.report("timeout", offset, "curl without --max-time")
            sends_data = re.search(r"--data|--json|--form|(^|\s)-[dF]\s", command)
            posts = re.search(r"\bPOST\b", command) or ("curl" in words and sends_data)
            if posts and "Idempotency-Key" not in command:
                self.report(
                    "idempotency-key",
                    offset,
                    f"POST without Idempotency-Key: {command[:60]}",
                )
            for match in re.finditer(r"\b(echo|printf)\b[^|;&]*", command):
                self.check_output(offset, match.group())


def violations(source: str, language: str) -> list[tuple[str, int, str]]:
    return Checker(source, language).check()


def relative(path: Path) -> str:
    return path.relative_to(SNIPPETS_DIR).as_posix()


@pytest.mark.parametrize("path", PROGRAMS, ids=relative)
def test_program_follows_the_rules(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), SUFFIXES[path.suffix]) == []


@pytest.mark.parametrize("path", PROGRAMS, ids=relative)
def test_opt_outs_are_reviewed(path: Path) -> None:
    for rule in OPT_OUT.findall(path.read_text(encoding="utf-8")):
        assert rule in RULES, f"unknown rule {rule}"
        assert (relative(path), rule) in ALLOWED_OPT_OUTS, f"{path} opts out of {rule}"


@pytest.mark.parametrize("path", PROGRAMS, ids=relative)
def test_expected_output_has_no_card_number(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    output = text[text.rfind("Output:") :]
    assert not contains_card_number(output)


BAD_EXAMPLES = [
    # node
    ("node", "key-literal", 'const key = "fl_test_sk_abcdefghijklmnopqrstuvwx";\n'),
    (
        "node",
        "key-from-env",
        'fetch(url, {headers: {Authorization: "Bearer abc123"}});\n',
    ),
    ("node", "key-from-env", "const h = {Authorization: `Bearer ${token}`};\n"),
    ("node", "idempotency-key", 'await flowlix("POST", "/payments", { body });\n'),
    (
        "node",
        "idempotency-key",
        'fetch(url, { method: "POST", body, signal: AbortSignal.timeout(5000) });\n',
    ),
    (
        "node",
        "idempotency-key",
        "fetch(url, { method, body, signal: AbortSignal.timeout(1) });\n",
    ),
    (
        "node",
        "timeout",
        "const response = await fetch(API_BASE + path, { headers });\n",
    ),
    ("node", "http-url", 'const API_BASE = "http://api.flowlix.eu/v1";\n'),
    ("node", "card-number", 'console.log("paid with 4111 1111 1111 1111");\n'),
    ("node", "card-number", "console.error(`card ${card.number}`);\n"),
    # php
    # assembled here so that no live-key-shaped literal sits in the repository itself
    ("php", "key-literal", "$key = 'fl_live_" + "sk_" + "abcdefgh" * 3 + "';\n"),
    ("php", "key-from-env", '$headers = ["Authorization: Bearer abc123"];\n'),
    ("php", "key-from-env", '$headers = ["Authorization: Bearer $token"];\n'),
    ("php", "idempotency-key", "$flowlix->request('POST', '/refunds', body: $body);\n"),
    (
        "php",
        "idempotency-key",
        "function pay() {\n  curl_setopt_array($c, [CURLOPT_POSTFIELDS => $json,"
        " CURLOPT_TIMEOUT => 10]);\n  curl_exec($c);\n}\n",
    ),
    (
        "php",
        "timeout",
        "function get($c) {\n  curl_setopt($c, CURLOPT_URL, $u);\n  curl_exec($c);\n}\n",
    ),
    ("php", "http-url", "$base = 'http://api.flowlix.eu/v1';\n"),
    ("php", "card-number", 'echo "card 4111111111111111\\n";\n'),
    ("php", "card-number", "fwrite(STDERR, \"card {$card['number']}\\n\");\n"),
    # curl
    (
        "curl",
        "key-literal",
        "export FLOWLIX_API_KEY=fl_test_sk_abcdefghijklmnopqrstuvwx\n",
    ),
    (
        "curl",
        "key-from-env",
        'curl --max-time 5 -H "Authorization: Bearer abc123" "$url"\n',
    ),
    (
        "curl",
        "key-from-env",
        'curl --max-time 5 -H "Authorization: Bearer $token" "$url"\n',
    ),
    (
        "curl",
        "idempotency-key",
        'curl --max-time 10 "$API_BASE/refunds" \\\n  --data "$body"\n',
    ),
    ("curl", "idempotency-key", "flowlix POST /payments --data @body.json\n"),
    (
        "curl",
        "timeout",
        'curl --silent "$API_BASE/payments" -H "Authorization: Bearer $KEY"\n',
    ),
    ("curl", "http-url", "API_BASE=http://api.flowlix.eu/v1\n"),
    ("curl", "card-number", "echo paid with 4111111111111111\n"),
    ("curl", "card-number", 'echo "card $number"\n'),
]


@pytest.mark.parametrize(
    ("language", "rule", "source"),
    BAD_EXAMPLES,
    ids=[f"{language}-{rule}-{index}" for index, (language, rule, _) in enumerate(BAD_EXAMPLES)],
)
def test_each_rule_catches_a_bad_example(language: str, rule: str, source: str) -> None:
    assert rule in {found for found, _, _ in violations(source, language)}


def test_every_rule_has_a_bad_example_in_every_language() -> None:
    covered = {(language, rule) for language, rule, _ in BAD_EXAMPLES}
    assert covered == {(language, rule) for language in SUFFIXES.values() for rule in RULES}


GOOD_EXAMPLES = [
    (
        "node",
        "const key = process.env.FLOWLIX_API_KEY;\nconst h = {Authorization: `Bearer ${key}`};\n",
    ),
    (
        "node",
        'await flowlix("POST", "/refunds", { body, idempotencyKey: `refund-${id}-1` });\n',
    ),
    ("node", "console.log(`${payment.card.brand} ending in ${payment.card.last4}`);\n"),
    ("node", "fetch(url, { signal: AbortSignal.timeout(10_000) });\n"),
    (
        "php",
        "$key = getenv('FLOWLIX_API_KEY');\n$h = [\"Authorization: Bearer $key\"];\n",
    ),
    (
        "php",
        "$flowlix->request('POST', '/refunds', body: $b, idempotencyKey: \"refund-$id\");\n",
    ),
    ("php", "echo \"{$payment['card']['last4']}\\n\";\n"),
    (
        "curl",
        'curl --max-time 10 -H "Authorization: Bearer $FLOWLIX_API_KEY" "$API_BASE/x"\n',
    ),
    ("curl", 'flowlix POST /refunds --header "Idempotency-Key: refund-$1" --data @f\n'),
    ("curl", "curl --max-time 5 http://127.0.0.1:8000/x\n"),
    ("curl", 'echo "order 20260101 for 49.99 EUR"\n'),
]


@pytest.mark.parametrize(("language", "source"), GOOD_EXAMPLES)
def test_rules_accept_good_code(language: str, source: str) -> None:
    assert violations(source, language) == []
