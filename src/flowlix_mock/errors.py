"""The one error type of the mock, and the mapping of model validation failures onto it.

A `FlowlixError` knows its HTTP status and type from the catalog. `from_validation` turns a
pydantic `ValidationError` into the contract's `parameter_missing` / `parameter_unknown` /
`parameter_invalid` with the dotted `param`, or into the business-rule code a model validator
raised (its error type is the contract's code).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from . import catalog, redact


class FlowlixError(Exception):
    """An API error. Raise it anywhere in a handler; the pipeline renders it in one place."""

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
            and self.code not in catalog.NOT_STORED_CODES
        )

    def body(self, request_id: str) -> dict[str, Any]:
        """The error in the contract's shape (`models.ErrorResponse`); a card number in the
        message or the param is masked."""
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "decline_code": self.decline_code,
                "message": redact.mask(self.message),
                "param": None if self.param is None else redact.mask(self.param),
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
    """404 `resource_missing`; an id that looks like a card number is not echoed."""
    if redact.CARD_LIKE.search(object_id) or not object_id.isprintable() or len(object_id) > 255:
        return FlowlixError("resource_missing", f"No such {kind}.", param=param)
    return FlowlixError("resource_missing", f"No such {kind}: '{object_id}'.", param=param)


def _param(error: Any) -> str:
    loc = error["loc"]
    field = (error.get("ctx") or {}).get("field")
    if field is not None:
        loc = (*loc, field)
    return ".".join(str(part) for part in loc)


def _first(errors: list[Any]) -> Any:
    """The error a client should fix first, as the checks ran before: an unknown name before
    anything else in its object, otherwise the fields in their declared order."""
    unknown = [error for error in errors if error["type"] == "extra_forbidden"]
    first = errors[0]
    # the outermost unknown name whose object holds the first error
    for error in sorted(unknown, key=lambda item: len(item["loc"])):
        parent = error["loc"][:-1]
        if first["loc"][: len(parent)] == parent:
            return error
    return first


def _names_field(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    """Whether `loc` ends at a field of a model (not at a key of a dictionary or a list)."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return False
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return False
        current = field.annotation
    return True


def from_validation(error: ValidationError, model: type[BaseModel]) -> FlowlixError:
    """The contract's error for the first problem of a failed validation of `model`.

    Messages never quote the value sent: it may be a card number or a CVC.
    """
    found = _first(error.errors(include_url=False))
    kind = found["type"]
    param = _param(found)
    if kind != "extra_forbidden" and found["input"] is None and _names_field(model, found["loc"]):
        kind = "missing"  # `null` for a required field
    if kind == "missing":
        return missing(param)
    if kind == "extra_forbidden":
        return FlowlixError(
            "parameter_unknown",
            f"Unknown parameter: {param}. Check its spelling against the API reference.",
            param=param,
        )
    if kind in catalog.ERROR_CODES_BY_CODE and kind != "parameter_invalid":
        return FlowlixError(kind, found["msg"], param=param)
    message = found["msg"]
    return invalid(param, message[0].lower() + message[1:] + ("" if message.endswith(".") else "."))
