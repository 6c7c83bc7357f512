"""The platforms' webhook deliveries: ``POST /webhooks/{kind}/{channel}`` (``shopify``,
``woocommerce``; any kind whose connector reads webhooks).

Authenticated by the platform's signature over the raw body and nothing else: no session, no
CSRF token (a platform has neither). The answer comes at once: the delivery is checked, stored
once and handed to a worker, which reads the order from the channel. Unknown channel, no secret
and bad signature are answered alike (401), storing nothing; a body over ``MAX_BODY`` is refused
(413) before it is read whole. Logs name the channel and the topic, never buyer data.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sync import webhooks
from sync.typed import digits

log = structlog.get_logger(__name__)
router = APIRouter()
#: Shopify's and WooCommerce's order bodies are a few kB; a megabyte is far beyond any of them
MAX_BODY = 1024 * 1024
REFUSED = {"detail": "not a signed delivery of this channel"}


@router.post("/webhooks/{kind}/{channel}")
async def deliver(kind: str, channel: str, request: Request) -> Response:
    declared = request.headers.get("content-length")
    if declared is not None and (not digits(declared) or int(declared) > MAX_BODY):
        return _too_large(kind) if digits(declared) else JSONResponse({"detail": "bad Content-Length"}, 400)
    body = await _read(request)
    if body is None:
        return _too_large(kind)
    try:
        received = await run_in_threadpool(webhooks.receive, request.app.state.db, kind, channel,
                                           dict(request.headers), body)
    except webhooks.Refused as exc:
        log.warning("webhook.refused", kind=kind[:20], channel=channel[:100], reason=str(exc)[:100])
        return JSONResponse(REFUSED, status_code=401)
    if received.status == "stored" and received.delivery_row is not None:
        # after the commit that stored it; a lost message is sent again by the reconciler
        await run_in_threadpool(request.app.state.webhook_sink, received.delivery_row)
    return JSONResponse({"received": received.status})


async def _read(request: Request) -> bytes | None:
    """The raw body, or None past ``MAX_BODY`` (a chunked body has no Content-Length to trust)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(kind: str) -> Response:
    log.warning("webhook.too_large", kind=kind[:20], limit=MAX_BODY)
    return JSONResponse({"detail": f"a delivery is at most {MAX_BODY} bytes"}, status_code=413)
