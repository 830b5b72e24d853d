"""The route table: every operation of the mock, one row each, from the feature modules.

The router (`app.py`), the OpenAPI document (`openapi.py`) and through it the docs' endpoint
table are all built from this list. A new endpoint is a model, a handler and its row in its
feature module's `ROUTES`.
"""

from __future__ import annotations

from . import checkout, hosted, payments, test_helpers, webhooks
from .plumbing import Route

ROUTES: list[Route] = [
    *payments.ROUTES,
    *checkout.ROUTES,
    *webhooks.ROUTES,
    *test_helpers.ROUTES,
    *hosted.ROUTES,
]

API_ROUTES = [route for route in ROUTES if route.kind == "api"]
