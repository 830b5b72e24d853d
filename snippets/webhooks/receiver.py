"""A webhook receiver: verify the signature, handle each event once, answer quickly."""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.webhooks")


class EventInbox:
    """Which events were handled. In production: a table with the event id as its primary key."""

    def __init__(self) -> None:
        self._handled: dict[str, str] = {}
        self._lock = threading.Lock()

    def handle_once(self, event: dict) -> bool:
        """Handle the event unless it was handled before; True if it was new."""
        with self._lock:
            if event["id"] in self._handled:
                return False  # Flowlix delivers at least once: a repeat is normal
            self._handled[event["id"]] = event["type"]
        logger.info("handling %s %s", event["type"], event["id"])  # fulfil, email, ...
        return True

    def types(self) -> list[str]:
        with self._lock:
            return sorted(self._handled.values())


def receive_delivery(secret: str, inbox: EventInbox, raw_body: bytes, headers: dict) -> int:
    """The HTTP status to answer a delivery with."""
    try:
        event = Webhook(secret).verify(raw_body, headers)
    except WebhookVerificationError as error:
        logger.warning("rejected a delivery: %s", error)
        return 400
    inbox.handle_once(event)
    return 204


def webhook_server(port: int, on_delivery: Callable[[bytes, dict], int]) -> ThreadingHTTPServer:
    """An HTTP server that passes each POST's raw body and headers to `on_delivery`."""

    class WebhookHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            # The raw bytes, exactly as sent: the signature covers them.
            raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(on_delivery(raw_body, dict(self.headers)))
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

    return ThreadingHTTPServer(("127.0.0.1", port), WebhookHandler)


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


# Demo: a receiver on a free loopback port, a real delivery from the API, then a repeat.
inbox = EventInbox()
signing = {}  # the endpoint's secret, known once the endpoint is registered
deliveries = []


def on_delivery(raw_body: bytes, headers: dict) -> int:
    deliveries.append((raw_body, headers))
    return receive_delivery(signing["secret"], inbox, raw_body, headers)


server = webhook_server(0, on_delivery)
threading.Thread(target=server.serve_forever, daemon=True).start()
with flowlix_client() as client:
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/flowlix"
        endpoint = (
            client.post(
                "/webhook_endpoints",
                json={"url": url, "events": ["payment.succeeded", "payment.failed"]},
                headers={"Idempotency-Key": "webhook-endpoint-local"},
            )
            .raise_for_status()
            .json()
        )
        signing["secret"] = endpoint["secret"]
        card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        client.post(
            "/payments",
            json={"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
            headers={"Idempotency-Key": "payment-order-1234-1"},
        ).raise_for_status()
        deadline = time.monotonic() + 10
        while not inbox.types() and time.monotonic() < deadline:
            time.sleep(0.05)
        print("handled:", inbox.types())
        #> handled: ['payment.succeeded']

        # The same delivery again (a retry after a slow answer): accepted, not handled twice.
        raw_body, headers = deliveries[0]
        print("repeat answered", on_delivery(raw_body, headers), "handled:", inbox.types())
        #> repeat answered 204 handled: ['payment.succeeded']
        print("forged answered", on_delivery(b'{"id":"evt_forged"}', headers))
        #> forged answered 400
        client.delete(f"/webhook_endpoints/{endpoint['id']}").raise_for_status()
    except (httpx.HTTPError, IndexError) as error:
        sys.exit(f"webhook demo failed: {error!r}")
    finally:
        server.shutdown()
        server.server_close()
