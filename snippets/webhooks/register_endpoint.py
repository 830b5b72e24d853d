"""Register a webhook endpoint and keep its signing secret out of code and logs."""

import logging
import os
import sys

import httpx

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.webhooks")


def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


def flowlix_client() -> httpx.Client:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.Client(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        event_hooks={"response": [log_request_id]},
    )


# --8<-- [start:focus]
def register_endpoint(client: httpx.Client, url: str, events: list[str]) -> dict:
    """Create the endpoint. The answer holds the signing secret: this is the only time."""
    response = client.post(
        "/webhook_endpoints",
        json={"url": url, "events": events},
        headers={"Idempotency-Key": f"webhook-endpoint-{url}"},
    )
    response.raise_for_status()
    return response.json()


# --8<-- [end:focus]
with flowlix_client() as client:
    try:
        endpoint = register_endpoint(
            client,
            "https://shop.example.com/webhooks/flowlix",
            ["payment.succeeded", "payment.failed", "refund.succeeded"],
        )
        listed = client.get("/webhook_endpoints").json()["data"]
    except httpx.HTTPStatusError as error:
        sys.exit(f"Flowlix answered {error.response.status_code}: {error.response.text}")
    except httpx.HTTPError as error:
        sys.exit(f"could not reach Flowlix: {error!r}")

# Put the secret into your secret store (for example as FLOWLIX_WEBHOOK_SECRET); never print it.
secret = endpoint["secret"]
print(endpoint["id"], endpoint["url"])
#> we_wPJeLQ9Uwfr7vWDoDHtTpJOJ https://shop.example.com/webhooks/flowlix
print("events:", ", ".join(endpoint["events"]))
#> events: payment.succeeded, payment.failed, refund.succeeded
print("secret format ok:", secret.startswith("whsec_"), "| endpoints:", len(listed))
#> secret format ok: True | endpoints: 1
