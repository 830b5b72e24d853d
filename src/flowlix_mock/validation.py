"""Checks for request parameters: each failure is the contract's 400 with `param` set."""

from __future__ import annotations

from typing import Any

from . import catalog
from .errors import FlowlixError, invalid, missing


def object_body(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise FlowlixError("invalid_json", "The request body must be a JSON object.")
    return body


def no_unknown(values: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
    for name in values:
        if name not in allowed:
            raise FlowlixError(
                "parameter_unknown",
                f"Unknown parameter: {prefix}{name}. Allowed: {', '.join(allowed)}.",
                param=f"{prefix}{name}",
            )


def integer(
    values: dict[str, Any],
    name: str,
    low: int,
    high: int,
    *,
    param: str | None = None,
    required: bool = True,
) -> int | None:
    param = param or name
    value = values.get(name)
    if value is None:
        if required:
            raise missing(param)
        return None
    # bool is a subclass of int in Python; JSON true/false are not amounts.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(param, f"must be an integer from {low} to {high}.")
    if not low <= value <= high:
        raise invalid(param, f"must be an integer from {low} to {high}.")
    return value


def string(
    values: dict[str, Any],
    name: str,
    max_length: int,
    *,
    param: str | None = None,
    required: bool = False,
) -> str | None:
    param = param or name
    value = values.get(name)
    if value is None:
        if required:
            raise missing(param)
        return None
    if not isinstance(value, str):
        raise invalid(param, "must be a string.")
    if len(value) > max_length:
        raise invalid(param, f"must be at most {max_length} characters.")
    return value


def digits(values: dict[str, Any], name: str, lengths: range, *, param: str) -> str:
    """A string of digits; the value itself is never echoed (it may be a card number or CVC)."""
    value = values.get(name)
    if value is None:
        raise missing(param)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise invalid(param, "must be a string of digits.")
    if len(value) not in lengths:
        raise invalid(param, f"must be {lengths.start} to {lengths.stop - 1} digits.")
    return value


def amount(values: dict[str, Any], *, required: bool = True) -> int | None:
    limits = catalog.LIMITS
    return integer(values, "amount", limits.amount_min, limits.amount_max, required=required)


def currency(values: dict[str, Any]) -> catalog.Currency:
    value = values.get("currency")
    if value is None:
        raise missing("currency")
    found = catalog.CURRENCIES_BY_CODE.get(value.upper()) if isinstance(value, str) else None
    if found is None:
        raise invalid("currency", "must be a supported ISO 4217 currency code.")
    return found


def amount_fits_currency(value: int, found: catalog.Currency, param: str = "amount") -> None:
    step = found.minor_unit_step
    if value % step:
        raise FlowlixError(
            "amount_invalid_for_currency",
            f"{found.code} has three decimals and settles in steps of {step} minor units: "
            f"the amount must end in 0.",
            param=param,
        )


def choice(values: dict[str, Any], name: str, options: tuple[str, ...]) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if value not in options:
        raise invalid(name, f"must be one of {', '.join(options)}.")
    return value


def metadata(values: dict[str, Any]) -> dict[str, str]:
    value = values.get("metadata")
    if value is None:
        return {}
    limits = catalog.LIMITS
    if not isinstance(value, dict):
        raise invalid("metadata", "must be an object of string keys and string values.")
    if len(value) > limits.metadata_max_keys:
        raise invalid("metadata", f"must have at most {limits.metadata_max_keys} keys.")
    for key, item in value.items():
        if len(key) > limits.metadata_key_max_length:
            raise invalid(
                "metadata", f"keys must be at most {limits.metadata_key_max_length} characters."
            )
        if not isinstance(item, str) or len(item) > limits.metadata_value_max_length:
            raise invalid(
                f"metadata.{key}",
                f"must be a string of at most {limits.metadata_value_max_length} characters.",
            )
    return dict(value)
