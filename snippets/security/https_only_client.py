"""An API client that refuses plain HTTP (only loopback may use http://, for local tools)."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
logger = logging.getLogger("shop.payments")


class InsecureURL(Exception):
    """A request would have left this machine unencrypted."""


# --8<-- [start:focus]
def require_https(url: httpx.URL) -> None:
    if url.scheme == "https" or (url.scheme == "http" and url.host in LOOPBACK_HOSTS):
        return
    raise InsecureURL(f"refusing {url.scheme}://{url.host}: use https:// for every API call")


# --8<-- [end:focus]
def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


# --8<-- [start:focus]
def https_only_client(base_url: str, api_key: str) -> httpx.Client:
    """Checks the base URL now and every request URL as it is sent (redirects included)."""
    require_https(httpx.URL(base_url))
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        verify=True,  # never turn certificate checks off, not even "for a moment"
        event_hooks={
            "request": [lambda request: require_https(request.url)],
            "response": [log_request_id],
        },
    )


# --8<-- [end:focus]
api_key = os.environ.get("FLOWLIX_API_KEY")
if not api_key:
    sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")

with https_only_client(API_BASE, api_key) as client:
    try:
        response = client.get("/payments", params={"limit": 1})
        print("over https:", response.status_code)
        #> over https: 200
        client.get("http://api.flowlix.eu/v1/payments")  # snippet-rules: http-url (refused)
    except InsecureURL as error:
        print("refused:", error)
        #> refused: refusing http://api.flowlix.eu: use https:// for every API call
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

for base_url in [
    "http://api.flowlix.eu/v1",  # snippet-rules: http-url (refused below)
    "http://127.0.0.1:12111/v1",
]:
    try:
        https_only_client(base_url, api_key).close()
        verdict = "allowed"
    except InsecureURL:
        verdict = "refused"
    print(verdict, base_url)
    #> refused http://api.flowlix.eu/v1
    #> allowed http://127.0.0.1:12111/v1
