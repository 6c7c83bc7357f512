"""Reading Amazon's HTTP answers and writing its requests: error bodies, the search query, the
shipment confirmation. Pure functions, so the connector stays about the API."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.amazon.errors import ERRORS, AmazonParseError, AmazonRequestFailed
from connectors.http import redact
from connectors.records import Shipment

INCLUDED_DATA = "RECIPIENT,BUYER,FULFILLMENT,PROCEEDS"
#: carriers Amazon knows by code; any other goes as ``Other`` with its name
CARRIER_CODES = {code.casefold(): code for code in (
    "UPS", "USPS", "FedEx", "DHL", "DHL eCommerce", "Royal Mail", "Parcelforce", "GLS", "DPD", "Hermes",
    "Evri", "Correos", "SEUR", "MRW", "Chronopost", "Colissimo", "La Poste", "Poste Italiane", "BRT", "TNT",
    "PostNL", "Deutsche Post", "Canada Post", "Japan Post", "Yamato Transport", "Amazon Shipping")}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_body(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise AmazonParseError(f"{what} is not JSON") from None


def error_code(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of the first entry of Amazon's ``{"errors": [...]}``; empty when absent."""
    try:
        errors = response.json().get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        return str(first.get("code") or ""), str(first.get("message") or "")
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return "", ""


def raise_for_status(response: httpx.Response, *, write: bool, secrets: tuple[str, ...]) -> None:
    detail = ""
    if 400 <= response.status_code < 500:
        code, message = error_code(response)
        if code or message:
            detail = ": " + redact(f"{code} {message}".strip(), *secrets)[:200]
    error = ERRORS.for_response(response, write=write, detail=detail)
    if error is not None:
        raise error


def page_token(before: datetime, token: str) -> str:
    """Amazon wants every other parameter repeated with a page's token: the upper bound the
    first page used travels with it."""
    return f"{stamp(before)} {token}"


def read_page_token(page: str) -> tuple[datetime, str]:
    bound, _, token = page.partition(" ")
    try:
        before = datetime.fromisoformat(bound)
    except ValueError:
        raise AmazonRequestFailed("the stored Amazon page token is not one this connector made") from None
    if not token:
        raise AmazonRequestFailed("the stored Amazon page token is empty")
    return before, token


def package_reference(tracking_number: str) -> str:
    """Amazon takes positive numbers only; the same tracking number gives the same package."""
    return str(int(hashlib.sha256(tracking_number.encode()).hexdigest()[:12], 16) % 10**9 + 1)


def shipment_items(shipment: Shipment, order: dict[str, Any]) -> list[dict[str, Any]]:
    """``orderItems`` of a confirmation: the shipment's lines, or every item not yet shipped."""
    known = [item for item in order.get("orderItems") or [] if isinstance(item, dict)]
    left = {str(item.get("orderItemId")): _unshipped(item) for item in known}
    if shipment.lines:
        by_sku = {str((item.get("product") or {}).get("sellerSku")): item for item in known}
        out = []
        for line in shipment.lines:
            item_id = line.external_id or str((by_sku.get(str(line.sku)) or {}).get("orderItemId") or "")
            if not item_id:
                raise AmazonRequestFailed("a shipped line matches no item of the Amazon order")
            # a parcel confirmed already (a retried push) has nothing left to confirm: Amazon would
            # refuse a quantity over what it still counts as unshipped
            quantity = min(line.quantity, left.get(item_id, line.quantity))
            if quantity > 0:
                left[item_id] = left.get(item_id, quantity) - quantity
                out.append({"orderItemId": item_id, "quantity": quantity})
        return out
    return [{"orderItemId": item_id, "quantity": n} for item_id, n in left.items() if n > 0]


def _unshipped(item: dict[str, Any]) -> int:
    ordered = item.get("quantityOrdered") or 0
    done = (item.get("fulfillment") or {}).get("quantityFulfilled") or 0
    if isinstance(ordered, int) and isinstance(done, int) and ordered > done:
        return ordered - done
    return 0


def confirmation(shipment: Shipment, marketplace_id: str, order_items: list[dict[str, Any]]) -> dict[str, Any]:
    tracking = shipment.tracking
    carrier = (tracking.carrier or "").strip()
    code = CARRIER_CODES.get(carrier.casefold())
    package: dict[str, Any] = {
        "packageReferenceId": package_reference(tracking.number),
        "carrierCode": code or "Other",
        "trackingNumber": tracking.number,
        "shipDate": stamp(tracking.at or datetime.now(UTC)),
        "orderItems": order_items,
    }
    if code is None:
        package["carrierName"] = carrier or "Other"
    return {"marketplaceId": marketplace_id, "packageDetail": package}
