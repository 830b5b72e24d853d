"""3-D Secure on the Direct API (contract section 16): what the issuer decides, and the
challenges that wait for a customer.

A payment created with a `return_url` for a card whose issuer asks for a challenge is stored as
`requires_action`; this module keeps its challenge, which the customer answers on a page served
by `hosted.py` at `next_action.url`. The challenge id in that URL is the capability (the customer
has no API key), and every view of the page carries its own one-time token.

A challenge closes once: when the customer answers it, or when its hour of the account's clock
has passed (on the next look, after a test clock advance, or at the next background sweep). The
payment then takes its final status and its one event, `payment.succeeded` or `payment.failed`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Literal

from . import catalog
from .models import NextAction, Payment, ThreeDSecure
from .plumbing import Core, OpenObjects
from .storage import Account

MAX_TOKENS_PER_CHALLENGE = 20
"""Views of one challenge page whose tokens stay valid (the oldest is dropped past this)."""


def details(flow: catalog.ThreeDSecureFlow, result: str | None) -> ThreeDSecure:
    """The payment's `three_d_secure`: the liability shift comes with authentication only."""
    return ThreeDSecure(**catalog.three_d_secure_details(flow, result))  # type: ignore[typeddict-item]


def issuer_decline(test_card: catalog.TestCard, authenticated: bool) -> str | None:
    """The decline code once the customer answered a challenge; None: the issuer approves."""
    if not authenticated:
        return catalog.AUTHENTICATION_FAILED
    return test_card.after_challenge_decline_code


@dataclass
class Challenge:
    """A challenge of one `requires_action` payment."""

    id: str
    account: Account
    payment: Payment  # the same dict as in account.payments
    test_card: catalog.TestCard
    return_url: str
    tokens: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.payment["status"] == "requires_action"


class Challenges:
    """Every challenge waiting for a customer, and their expiry (a service of the core)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._by_id: dict[str, Challenge] = {}
        self._open = OpenObjects(core, self._refresh, "3-D Secure challenge sweep")
        core.services[Challenges] = self

    def start(
        self,
        account: Account,
        payment: Payment,
        test_card: catalog.TestCard,
        *,
        return_url: str,
        origin: str,
    ) -> NextAction:
        """Open the challenge of a new `requires_action` payment; its `next_action`."""
        challenge = Challenge(account.new_id("3ds"), account, payment, test_card, return_url)
        self._by_id[challenge.id] = challenge
        self._open.of(account)[challenge.id] = challenge
        lifetime = catalog.LIMITS.three_d_secure_challenge_lifetime_seconds
        return NextAction(
            type="redirect_to_url",
            url=f"{origin}/3ds/{challenge.id}",
            return_url=return_url,
            expires_at=payment["created"] + lifetime,
        )

    # --- for the challenge page -------------------------------------------------------------

    def find(self, challenge_id: str) -> Challenge | None:
        """The challenge behind a page, with its expiry brought up to date."""
        challenge = self._by_id.get(challenge_id)
        if challenge is not None:
            self._refresh(challenge)
        return challenge

    @staticmethod
    def new_token(challenge: Challenge) -> str:
        """A one-time token for one view of the page (a reload gets another)."""
        token = secrets.token_urlsafe(24)
        challenge.tokens.append(token)
        del challenge.tokens[:-MAX_TOKENS_PER_CHALLENGE]
        return token

    def answer(
        self, challenge: Challenge, token: str, authenticated: bool
    ) -> Literal["answered", "closed", "invalid"]:
        """The customer's answer: settles the payment once; a token works once."""
        if not challenge.open:
            return "closed"
        matched = next(
            (known for known in challenge.tokens if hmac.compare_digest(known, token)), None
        )
        if matched is None:
            return "invalid"
        challenge.tokens.clear()  # the challenge is answered: every token of it is used up
        decline_code = issuer_decline(challenge.test_card, authenticated)
        self._settle(
            challenge,
            details("challenge", "authenticated" if authenticated else "failed"),
            decline_code,
        )
        return "answered"

    # --- closing ----------------------------------------------------------------------------

    def _settle(self, challenge: Challenge, secure: ThreeDSecure, decline_code: str | None) -> None:
        payment = challenge.payment
        payment["three_d_secure"] = secure
        payment["next_action"] = None
        if decline_code is None:
            payment["status"] = "succeeded"
        else:
            payment["status"] = "failed"
            payment["failure_code"] = catalog.DECLINE_CODES_BY_CODE[decline_code].code
            payment["decline_code"] = decline_code
        self._open.of(challenge.account).pop(challenge.id, None)
        event = "payment.succeeded" if decline_code is None else "payment.failed"
        self.core.emit(challenge.account, event, payment)

    def _refresh(self, challenge: Challenge) -> None:
        action = challenge.payment["next_action"]
        if not challenge.open or action is None:
            return
        if challenge.account.now() < action["expires_at"]:
            return
        challenge.tokens.clear()
        # Nobody answered: the challenge stays unanswered (result null), the payment fails.
        self._settle(challenge, details("challenge", None), catalog.AUTHENTICATION_REQUIRED)

    def expire_due(self, account: Account) -> None:
        """Close every open challenge of `account` whose hour has passed."""
        self._open.expire_due(account)
