"""The one error type of the mock: it knows its HTTP status, type and code from the catalog."""

from __future__ import annotations

from . import catalog

# Errors raised before a request runs: never stored under an idempotency key, so a corrected
# retry with the same key runs normally (contract section 10).
REJECTED_BEFORE_RUNNING = frozenset(
    {
        "invalid_json",
        "unsupported_media_type",
        "request_too_large",
        "parameter_missing",
        "parameter_unknown",
        "parameter_invalid",
        "amount_invalid_for_currency",
        "idempotency_key_invalid",
        "idempotency_key_reused",
        "idempotency_key_in_use",
        "method_not_allowed",
    }
)


class FlowlixError(Exception):
    """An API error. Raise it anywhere in a handler; the app renders it in one place."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        param: str | None = None,
        decline_code: str | None = None,
        payment_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        info = catalog.ERROR_CODES_BY_CODE[code]
        self.code = code
        self.status = info.status
        self.type = info.type
        self.message = message
        self.param = param
        self.decline_code = decline_code
        self.payment_id = payment_id
        self.headers = headers or {}

    @property
    def storable(self) -> bool:
        """Whether an idempotency key keeps this response (business-rule results only)."""
        return (
            self.status < 500
            and self.status not in (401, 429)
            and (self.code not in REJECTED_BEFORE_RUNNING)
        )

    def body(self, request_id: str) -> dict:
        """The error in the contract's shape."""
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "decline_code": self.decline_code,
                "message": self.message,
                "param": self.param,
                "payment_id": self.payment_id,
                "doc_url": catalog.doc_url(self.code, self.decline_code),
                "request_id": request_id,
            }
        }


def missing(param: str) -> FlowlixError:
    return FlowlixError("parameter_missing", f"Missing required parameter: {param}.", param=param)


def invalid(param: str, why: str) -> FlowlixError:
    return FlowlixError("parameter_invalid", f"Invalid {param}: {why}", param=param)


def not_found(kind: str, object_id: str, param: str | None = None) -> FlowlixError:
    return FlowlixError("resource_missing", f"No such {kind}: '{object_id}'.", param=param)
