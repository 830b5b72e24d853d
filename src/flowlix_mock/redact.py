"""Keeping card numbers out of what the mock logs (contract section 17).

Every log line passes `MaskingFormatter`, so a card number never reaches the log in any form:
digits with spaces, dashes, dots or any other punctuation between them, in a path (logged after
percent-decoding, then re-encoded), a header or a webhook URL, inside a traceback. The mask is
deliberately wide: any run of 12 or more digits, whatever non-letters sit between them, becomes
`*`, Luhn-valid or not. Paths are logged percent-encoded, so a `%0a` in a path cannot start a
forged log line.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

# A digit, then at least 11 more, each after any run of non-letters, non-digits (spaces, dashes,
# dots, slashes, control characters...). `\d` matches every script's decimal digits.
CARD_LIKE = re.compile(r"\d(?:[\W_]*\d){11,}")
# What stays readable in a logged path; everything else is percent-encoded.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def _stars(match: re.Match[str]) -> str:
    return re.sub(r"\d", "*", match.group())


def mask(text: str) -> str:
    """`text` with every card-number-like digit run's digits replaced by `*`."""
    return CARD_LIKE.sub(_stars, text)


def path_for_log(path: str) -> str:
    """A request path (already percent-decoded by the server) as it may be logged: masked,
    then percent-encoded so that control characters and line breaks stay on one line."""
    return quote(mask(path), safe=_PATH_SAFE)


def url_for_log(url: str) -> str:
    """A URL the mock was given (a webhook endpoint's), masked and kept on one line."""
    return quote(mask(url), safe=_PATH_SAFE + "?#[]%")


def one_line(text: str) -> str:
    """`text` masked, with line breaks and other control characters escaped."""
    masked = mask(text)
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode()
        for char in masked
    )


class MaskingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback) is masked.

    Only the first line of a record is a log line of its own; the traceback lines that follow
    are indented, so a forged line inside an exception message cannot pass as a request line.
    """

    def format(self, record: logging.LogRecord) -> str:
        text = mask(super().format(record))
        head, newline, rest = text.partition("\n")
        if not newline:
            return head
        return head + "\n" + "\n".join("    " + line for line in rest.split("\n"))
