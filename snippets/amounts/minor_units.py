"""Convert between a price (major units) and the API's integer amount (minor units)."""

from decimal import Decimal

# Digits after the decimal point per currency. Flowlix supports exactly these.
CURRENCY_EXPONENTS = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "JPY": 0,
    "ISK": 0,
    "KRW": 0,
    "BHD": 3,
    "JOD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
}


def exponent_of(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency.upper()]
    except KeyError:
        raise ValueError(f"{currency} is not a currency Flowlix supports") from None


# --8<-- [start:focus]
def to_minor_units(price: Decimal | str, currency: str) -> int:
    """`to_minor_units("49.99", "EUR") == 4999`; refuses what the currency cannot express."""
    # Decimal, never float: float("0.1") + float("0.2") is not 0.3, and pennies go missing.
    price = Decimal(price)
    exponent = exponent_of(currency)
    minor = price.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"{price} {currency} has more than {exponent} decimal places")
    amount = int(minor)
    # Three-decimal currencies settle in steps of 10 minor units: 1.234 KWD cannot be charged.
    if exponent == 3 and amount % 10:
        raise ValueError(f"{price} {currency} must end in 0 (a multiple of 0.010)")
    return amount


# --8<-- [end:focus]
def to_major_units(amount: int, currency: str) -> Decimal:
    """`to_major_units(4999, "EUR") == Decimal("49.99")`, for display and accounting."""
    return Decimal(amount).scaleb(-exponent_of(currency))


print(to_minor_units("49.99", "EUR"), to_minor_units("1500", "JPY"), to_minor_units("1.23", "KWD"))
#> 4999 1500 1230
print(to_major_units(4999, "EUR"), to_major_units(1500, "JPY"), to_major_units(1230, "KWD"))
#> 49.99 1500 1.230
print(to_minor_units(Decimal("0.1") + Decimal("0.2"), "USD"))
#> 30

for price, currency in [("49.995", "EUR"), ("1500.5", "JPY"), ("1.234", "KWD"), ("10", "XYZ")]:
    try:
        to_minor_units(price, currency)
    except ValueError as error:
        print("refused:", error)
        #> refused: 49.995 EUR has more than 2 decimal places
        #> refused: 1500.5 JPY has more than 0 decimal places
        #> refused: 1.234 KWD must end in 0 (a multiple of 0.010)
        #> refused: XYZ is not a currency Flowlix supports
