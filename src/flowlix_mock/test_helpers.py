"""Test helpers (contract section 13): the account's test clock. Test mode only."""

from __future__ import annotations

from .models import ClockAdvance, TestClock
from .plumbing import Context, Route


def advance_clock(ctx: Context, body: ClockAdvance) -> TestClock:
    now = ctx.owner.advance(body.seconds)
    ctx.on_clock_advanced()
    return TestClock(object="test_clock", now=now, advanced_by=body.seconds)


ROUTES = [
    Route(
        "POST",
        "/v1/test_helpers/clock/advance",
        advance_clock,
        operation_id="advanceTestClock",
        summary="Advance the test clock",
        description="Moves this account's clock forward: idempotency retention, checkout "
        "session and 3-D Secure challenge expiry, and `created` follow it.",
        tag="Test helpers",
        request=ClockAdvance,
        response=TestClock,
        test_only=True,
    ),
]
