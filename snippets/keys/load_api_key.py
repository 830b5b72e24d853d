"""Load the Flowlix secret key from the environment and refuse the wrong key for the place."""

import os
import re
import sys

KEY_PATTERN = re.compile(r"fl_(test|live)_sk_[A-Za-z0-9]{24,}")


class ApiKeyError(Exception):
    """The key is missing, malformed or in the wrong mode for this environment."""


# --8<-- [start:focus]
def check_api_key(api_key: str, environment: str) -> str:
    """Return the key's mode ("test" or "live"), or raise if it must not be used here."""
    if not KEY_PATTERN.fullmatch(api_key):
        raise ApiKeyError(
            "FLOWLIX_API_KEY is not a Flowlix secret key (fl_test_sk_... or fl_live_sk_...)"
        )
    mode = "live" if api_key.startswith("fl_live_sk_") else "test"
    # A live key moves real money: it belongs in production and nowhere else.
    if mode == "live" and environment != "production":
        raise ApiKeyError(f"refusing a live key outside production (APP_ENV={environment})")
    return mode


def load_api_key() -> tuple[str, str]:
    """Read the key from the server's environment, never from code or a file in the repository."""
    api_key = os.environ.get("FLOWLIX_API_KEY", "").strip()
    if not api_key:
        raise ApiKeyError(
            "FLOWLIX_API_KEY is not set; export your Flowlix secret key and run again"
        )
    return api_key, check_api_key(api_key, os.environ.get("APP_ENV", "development"))


# --8<-- [end:focus]
try:
    api_key, mode = load_api_key()
except ApiKeyError as error:
    sys.exit(f"error: {error}")

# Show only the last characters of a key, like the dashboard does.
print(f"Loaded a {mode} key ending in {api_key[-4:]}")
#> Loaded a test key ending in KmxA

# The same check stops a live key that leaked into a development machine.
leaked_live_key = api_key.replace("fl_test_sk_", "fl_live_sk_")
try:
    check_api_key(leaked_live_key, "development")
except ApiKeyError as error:
    print(f"Refused: {error}")
    #> Refused: refusing a live key outside production (APP_ENV=development)
print(f"In production the live key is accepted: {check_api_key(leaked_live_key, 'production')}")
#> In production the live key is accepted: live
