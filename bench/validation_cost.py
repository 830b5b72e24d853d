"""What validating one payment body costs: `json.loads` (constants rejected) and the model.

Run: `.venv/bin/python bench/validation_cost.py`. Prints the best of five runs of 200,000
validations, in microseconds of CPU time per request. Not part of `make bench`: a quick check after
changing the models.
"""

from __future__ import annotations

import json
import time
import timeit

from flowlix_mock.models import PaymentCreate
from flowlix_mock.plumbing import parse_json, validate

BODY = json.dumps(
    {
        "amount": 4999,
        "currency": "EUR",
        "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        "reference": "order-bench",
    }
).encode()
NUMBER = 200_000


def validate_payment() -> PaymentCreate:
    return validate(PaymentCreate, parse_json(BODY))


def main() -> None:
    best = min(timeit.repeat(validate_payment, number=NUMBER, repeat=5, timer=time.process_time))
    best /= NUMBER
    print(f"payment body, json.loads + PaymentCreate (strict, Luhn): {best * 1e6:.2f} us")


if __name__ == "__main__":
    main()
