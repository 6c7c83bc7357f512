"""The Shopify sandbox's ``POST /fulfillments/{id}/update_tracking.json``: a fulfillment's
tracking replaced by a later (corrected) number, as Shopify's REST Admin API does it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sandbox.server import Request, Response, json_response

Handler = Callable[[Request], Response]


class _Shop(Protocol):
    fulfillments: list[dict[str, Any]]

    def add(self, method: str, pattern: str, handler: Handler) -> None: ...


def register(shop: _Shop, version: str, admin: Callable[[Handler], Handler],
             stamp: Callable[[], str]) -> None:
    def update_tracking(request: Request) -> Response:
        found = [f for f in shop.fulfillments if str(f["id"]) == request.params["id"]]
        if not found:
            return json_response({"errors": "Not Found"}, 404)
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        fulfillment = body.get("fulfillment") if isinstance(body, dict) else None
        info = fulfillment.get("tracking_info") if isinstance(fulfillment, dict) else None
        if not isinstance(info, dict) or not isinstance(fulfillment.get("notify_customer", False), bool) or any(  # type: ignore[union-attr]
                v is not None and not isinstance(v, str | int) for v in info.values()):
            return json_response({"errors": {"tracking_info": ["is invalid"]}}, 422)
        record = found[0]
        number = str(info["number"]) if info.get("number") is not None else None
        record.update({"tracking_number": number, "tracking_numbers": [number] if number else [],
                       "tracking_company": info.get("company", record.get("tracking_company")),
                       "tracking_url": info.get("url"), "tracking_urls": [info["url"]] if info.get("url") else [],
                       "updated_at": stamp()})
        return json_response({"fulfillment": record})

    shop.add("POST", version + r"/fulfillments/(?P<id>[0-9]+)/update_tracking\.json", admin(update_tracking))
