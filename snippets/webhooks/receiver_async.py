"""The webhook receiver as an ASGI app: verify, do each event's work once, then record it."""

import asyncio
import logging
import os
import sys

import httpx
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

API_BASE = os.environ.get("FLOWLIX_API_BASE", "https://api.flowlix.eu/v1")
logger = logging.getLogger("shop.webhooks")


# --8<-- [start:focus]
class WebhookApp:
    """A minimal ASGI app for POST /webhooks/flowlix; mount it in any ASGI framework."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.handled: dict[str, str] = {}  # in production: a table keyed by event id
        self.arrived = asyncio.Event()

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        raw_body = b""
        while True:  # the raw bytes, exactly as sent: the signature covers them
            message = await receive()
            raw_body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        status = self.receive_delivery(raw_body, headers)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def receive_delivery(self, raw_body: bytes, headers: dict) -> int:
        try:
            event = Webhook(self.secret).verify(raw_body, headers)
        except WebhookVerificationError as error:
            logger.warning("rejected a delivery: %s", error)
            return 400
        if event["id"] in self.handled:  # at-least-once delivery: repeats are normal
            return 204
        try:
            self.handle(event)
        except Exception:
            logger.exception("event %s failed; Flowlix will deliver it again", event["id"])
            return 500
        # Recorded only once the work is done (in production: in the work's own transaction).
        self.handled[event["id"]] = event["type"]
        self.arrived.set()
        return 204

    def handle(self, event: dict) -> None:
        """The event's work: quick database updates; slow work queued for after the answer."""
        logger.info("handling %s %s", event["type"], event["id"])


# --8<-- [end:focus]
async def log_request_id(response: httpx.Response) -> None:
    request = response.request
    logger.info(
        "%s %s -> %s request_id=%s",
        request.method,
        request.url.path,
        response.status_code,
        response.headers.get("Flowlix-Request-Id"),
    )


def flowlix_client() -> httpx.AsyncClient:
    api_key = os.environ.get("FLOWLIX_API_KEY")
    if not api_key:
        sys.exit("FLOWLIX_API_KEY is not set: export your Flowlix secret key and run again.")
    return httpx.AsyncClient(
        base_url=API_BASE,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(10.0, connect=5.0),
        event_hooks={"response": [log_request_id]},
    )


async def main() -> None:
    """Demo: serve the app on a free loopback port, get a real delivery, stop again."""
    app = WebhookApp(secret="")
    deliveries = []
    receive_delivery = app.receive_delivery

    def recording(raw_body: bytes, headers: dict) -> int:
        deliveries.append((raw_body, headers))
        return receive_delivery(raw_body, headers)

    app.receive_delivery = recording
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with flowlix_client() as client:
            response = await client.post(
                "/webhook_endpoints",
                json={
                    "url": f"http://127.0.0.1:{port}/webhooks/flowlix",
                    "events": ["refund.succeeded"],
                },
                headers={"Idempotency-Key": "webhook-endpoint-local-async"},
            )
            endpoint = response.raise_for_status().json()
            app.secret = endpoint["secret"]
            card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
            payment = await client.post(
                "/payments",
                json={"amount": 4999, "currency": "EUR", "card": card, "reference": "order-1234"},
                headers={"Idempotency-Key": "payment-order-1234-1"},
            )
            refund = await client.post(
                "/refunds",
                json={"payment": payment.raise_for_status().json()["id"]},
                headers={"Idempotency-Key": "refund-order-1234-1"},
            )
            refund.raise_for_status()
            await asyncio.wait_for(app.arrived.wait(), timeout=10)
            print("handled:", sorted(app.handled.values()))
            #> handled: ['refund.succeeded']

            raw_body, headers = deliveries[0]
            print("repeat answered", app.receive_delivery(raw_body, headers), len(app.handled))
            #> repeat answered 204 1
            await client.delete(f"/webhook_endpoints/{endpoint['id']}")
    finally:
        server.should_exit = True
        await serving


try:
    asyncio.run(main())
except (httpx.HTTPError, TimeoutError) as error:
    sys.exit(f"webhook demo failed: {error!r}")
