"""A logging filter that masks card numbers, keeping only the last four digits."""

import io
import logging
import re

# 12 to 19 digits, alone or grouped by single spaces or dashes, as people paste them.
CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")


# --8<-- [start:focus]
def mask_card_numbers(text: str) -> str:
    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "*" * (len(digits) - 4) + digits[-4:]

    return CARD_NUMBER.sub(mask, text)


class CardNumberFilter(logging.Filter):
    """Rewrites each record so no handler after it can write a full card number.

    Attach it to every handler (a logger's own filters skip records from child loggers).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_card_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_card_numbers(record.exc_text)
        return True


# --8<-- [end:focus]
log_output = io.StringIO()  # stands in for your log file or log shipper
handler = logging.StreamHandler(log_output)
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
handler.addFilter(CardNumberFilter())
logger = logging.getLogger("shop.support")
logger.addHandler(handler)
logger.setLevel(logging.INFO)

# A customer pasted their card number into a support form; our code logs the form.
ticket_text = "Please charge 4111 1111 1111 1111 again, or 5555-5555-5555-4444"
logger.warning("ticket 981: %s", ticket_text)  # snippet-rules: card-number (masked)
logger.info("payment %s paid with card ending %s", "pay_a1b2c3", "1111")
logger.info("order 20260101 for 3 items, 49.99 EUR")  # short numbers stay as they are

for line in log_output.getvalue().splitlines():
    print(line)
    #> WARNING shop.support: ticket 981: Please charge ************1111 again, or ************4444
    #> INFO shop.support: payment pay_a1b2c3 paid with card ending 1111
    #> INFO shop.support: order 20260101 for 3 items, 49.99 EUR
