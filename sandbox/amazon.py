"""A fake Amazon Selling Partner API: Login with Amazon's token endpoint, Orders API v2026-01-01
``searchOrders`` and ``getOrder``, and v0 ``confirmShipment``, in the forms Amazon's own clients
expect. Refuses what Amazon refuses (a ``lastUpdatedBefore`` later than two minutes ago, both
``createdAfter`` and ``lastUpdatedAfter``, a page token with other parameters, an expired
access token). A page token is a cursor into what the first page found, as Amazon's are (they live
24 hours): an order changed while the pages are read does not shift the later ones. Fault
switches: latency, 429, 5xx (``Faults``, also counted: ``throttle_next``, ``fail_next``),
short-lived tokens (``token_seconds``), a revoked grant (``revoke()``) and orders served with an
unreadable body (``malformed``)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from sandbox import seeding
from sandbox.amazon_wire import (
    INCLUDED_DATA,
    MARKETPLACE_ID,
    USAGE_PLANS,
    Bucket,
    errors,
    order_id,
    render,
)
from sandbox.server import App, Faults, Request, Response, json_response

ORDERS = r"/orders/2026-01-01/orders"
_SEARCH_KEYS = ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore", "marketplaceIds",
                "fulfillmentStatuses", "fulfilledBy")


class _Refused(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "InvalidInput") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class AmazonSandbox(App):
    name = "amazon"

    def __init__(self, orders: list[seeding.OrderSpec], *, faults: Faults | None = None,
                 client_id: str = "amzn1.application-oa2-client.sandbox", client_secret: str = "sandbox-secret",
                 refresh_token: str = "Atzr|sandbox-refresh-token", token_seconds: int = 3600,
                 usage_plans: dict[str, tuple[float, int]] | None = None) -> None:
        super().__init__(faults)
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.token_seconds = token_seconds
        self.revoked = False
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.token_requests = 0
        self.plans = dict(usage_plans or USAGE_PLANS)
        self.buckets = {op: Bucket(rate, burst) for op, (rate, burst) in self.plans.items()}
        self.confirmations: list[dict[str, Any]] = []
        self._results: dict[str, list[str]] = {}  # a search's query -> the order ids it found
        #: fault switch: these orders are served with an unreadable ``orderItems`` (for quarantine tests)
        self.malformed: set[str] = set()
        self._specs = {order_id(spec): spec for spec in orders}
        self._shipped: dict[int, int] = {}  # line id -> quantity confirmed
        self.add("POST", r"/auth/o2/token", self._token)
        self.add("GET", ORDERS, self._api("searchOrders", self._search))
        self.add("GET", ORDERS + r"/(?P<id>[0-9A-Za-z-]+)", self._api("getOrder", self._get))
        self.add("POST", r"/orders/v0/orders/(?P<id>[0-9A-Za-z-]+)/shipmentConfirmation",
                 self._api("confirmShipment", self._confirm))
        self.add("POST", r"/_sandbox/advance", self._control_advance)
        self.add("POST", r"/_sandbox/revoke", lambda r: self._switch(revoked=True))
        self.add("POST", r"/_sandbox/restore", lambda r: self._switch(revoked=False))
        self.add("POST", r"/_sandbox/expire", lambda r: self._switch(expire=True))
        self.add("GET", r"/_sandbox/state", self._control_state)

    # seeding and control ---------------------------------------------------------------------

    @property
    def specs(self) -> list[seeding.OrderSpec]:
        with self.lock:
            return list(self._specs.values())

    def credentials(self) -> dict[str, str]:
        return {"refresh_token": self.refresh_token, "client_id": self.client_id,
                "client_secret": self.client_secret}

    def add_orders(self, specs: list[seeding.OrderSpec]) -> None:
        with self.lock:
            self._specs.update({order_id(spec): spec for spec in specs})

    def advance(self, step: int, at: datetime | None = None) -> list[seeding.OrderSpec]:
        with self.lock:
            return seeding.advance(list(self._specs.values()), step, at or datetime.now(UTC))

    def revoke(self) -> None:
        """The seller removed the app's authorisation: the refresh token and its tokens die."""
        self._switch(revoked=True)

    def restore(self) -> None:
        self._switch(revoked=False)

    def expire_tokens(self) -> None:
        self._switch(expire=True)

    def _switch(self, *, revoked: bool | None = None, expire: bool = False) -> Response:
        with self.lock:
            if revoked is not None:
                self.revoked = revoked
            if revoked or expire:
                self.tokens.clear()
        return Response(204)

    def _control_advance(self, request: Request) -> Response:
        try:
            step = int((request.json() or {}).get("step", 1))
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
            return json_response({"errors": 'expected {"step": n}'}, 400)
        return json_response({"changed": [order_id(s) for s in self.advance(step)]})

    def _control_state(self, request: Request) -> Response:
        with self.lock:
            return json_response({"orders": len(self._specs), "confirmations": list(self.confirmations),
                                  "token_requests": self.token_requests, "revoked": self.revoked})

    # Login with Amazon -------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        with self.lock:
            self.token_requests += 1
        if form.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type",
                                  "error_description": "The authorization grant type is not supported"}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return json_response({"error": "invalid_client",
                                  "error_description": "Client authentication failed"}, 401)
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            return json_response({"error": "invalid_grant",
                                  "error_description": "The request has an invalid grant parameter : refresh_token"},
                                 400)
        token = "Atza|" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + self.token_seconds
        return json_response({"access_token": token, "refresh_token": self.refresh_token,
                              "token_type": "bearer", "expires_in": self.token_seconds})

    # plumbing --------------------------------------------------------------------------------

    def injected_fault(self, request: Request) -> Response | None:
        if request.path == "/auth/o2/token":
            return None
        with self.lock:  # always draw both, so a seed replays the same story
            throttle = self.faults.rng.random() < self.faults.http_429_rate
            unavailable = self.faults.rng.random() < self.faults.http_5xx_rate
            throttle, unavailable = self.faults.force(throttle, unavailable)
        if throttle:
            return errors(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
        if unavailable:
            return errors(503, "ServiceUnavailable", "Service temporarily unavailable.")
        return None

    def _api(self, operation: str, handler: Any) -> Any:
        def guarded(request: Request) -> Response:
            token = request.headers.get("x-amz-access-token", "")
            with self.lock:
                expiry = self.tokens.get(token)
            if expiry is None or expiry <= time.time():
                return errors(403, "Unauthorized", "The access token you provided has expired."
                              if expiry is not None else "Access to requested resource is denied.")
            limit = {"x-amzn-RateLimit-Limit": str(self.plans[operation][0])}
            if not self.buckets[operation].take():
                return errors(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", limit)
            try:
                with self.lock:
                    response: Response = handler(request)
            except _Refused as exc:
                response = errors(exc.status, exc.code, str(exc))
            response.headers.update(limit)
            return response

        return guarded

    # orders ----------------------------------------------------------------------------------

    def _search(self, request: Request) -> Response:
        query = {key: value for key in _SEARCH_KEYS if (value := request.arg(key)) is not None}
        included = _included(request.arg("includedData"))
        size = _page_size(request.arg("maxResultsPerPage"))
        after, before, field = _window(query)
        token = request.arg("paginationToken")
        start = _offset(token, query)
        if token is None:
            rows = sorted((s for s in self._specs.values() if after <= getattr(s, field) <= before),
                          key=lambda s: (getattr(s, field), s.order_id))
            marketplaces = query.get("marketplaceIds")
            if marketplaces and MARKETPLACE_ID not in marketplaces.split(","):
                rows = []
            self._results[_digest(query)] = [order_id(s) for s in rows]
        else:
            # the token is a cursor into the result the first page found (it lives 24 hours), so an
            # order that changes while the pages are read does not shift the later pages
            rows = [self._specs[i] for i in self._results.get(_digest(query), []) if i in self._specs]
        body: dict[str, Any] = {
            "orders": [self._render(s, included) for s in rows[start:start + size]],
            "lastUpdatedBefore" if field == "updated_at" else "createdBefore": _iso(before),
        }
        if start + size < len(rows):
            body["pagination"] = {"nextToken": _token_for(start + size, query)}
        return json_response(body)

    def _get(self, request: Request) -> Response:
        spec = self._specs.get(request.params["id"])
        if spec is None:
            raise _Refused(f"Order {request.params['id'][:40]} not found", 404, "NotFound")
        return json_response({"order": self._render(spec, _included(request.arg("includedData")))})

    def _render(self, spec: seeding.OrderSpec, included: frozenset[str]) -> dict[str, Any]:
        body = render(spec, self._shipped, included)
        if body.get("orderId") in self.malformed:
            body["orderItems"] = "unreadable"
        return body

    def _confirm(self, request: Request) -> Response:
        spec = self._specs.get(request.params["id"])
        if spec is None:
            raise _Refused("Order not found", 404, "NotFound")
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise _Refused("The request body is not JSON") from None
        package = _package(body)
        if body.get("marketplaceId") != MARKETPLACE_ID:
            raise _Refused("marketplaceId is not the order's marketplace")
        lines = {f"{line.line_id:014d}": line for line in spec.lines}
        for item in package["orderItems"]:
            line = lines.get(str(item.get("orderItemId")))
            quantity = item.get("quantity")
            if line is None or not isinstance(quantity, int) or quantity < 1:
                raise _Refused("orderItems names an item that is not in the order, or no quantity")
            if self._shipped.get(line.line_id, 0) + quantity > line.quantity:
                raise _Refused("The quantity is more than the item's unshipped quantity")
        for item in package["orderItems"]:
            line = lines[str(item["orderItemId"])]
            self._shipped[line.line_id] = self._shipped.get(line.line_id, 0) + item["quantity"]
        spec.updated_at = max(datetime.now(UTC).replace(microsecond=0), spec.updated_at + timedelta(seconds=1))
        self.confirmations.append({"orderId": request.params["id"], **package})
        return Response(204)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _Refused(f"{name} is not an ISO 8601 date") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _window(query: dict[str, str]) -> tuple[datetime, datetime, str]:
    created, updated = "createdAfter" in query, "lastUpdatedAfter" in query
    if created == updated:
        raise _Refused("Exactly one of createdAfter and lastUpdatedAfter must be provided")
    if updated and ("createdBefore" in query):
        raise _Refused("createdBefore cannot be combined with lastUpdatedAfter")
    prefix, field = ("lastUpdated", "updated_at") if updated else ("created", "created_at")
    after = _time(query[f"{prefix}After"], f"{prefix}After")
    latest = datetime.now(UTC) - timedelta(minutes=2)
    before = _time(query[f"{prefix}Before"], f"{prefix}Before") if f"{prefix}Before" in query else latest
    if before > latest:
        raise _Refused(f"{prefix}Before must be at least two minutes before the time of the request")
    if before < after:
        raise _Refused(f"{prefix}Before must be equal to or after {prefix}After")
    return after, before, field


def _included(raw: str | None) -> frozenset[str]:
    asked = frozenset(v for v in (raw or "").split(",") if v)
    unknown = asked - INCLUDED_DATA
    if unknown:
        raise _Refused(f"includedData holds an unknown value: {sorted(unknown)[0][:30]}")
    return asked


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw or "100")
    except ValueError:
        raise _Refused("maxResultsPerPage is not an integer") from None
    if not 1 <= size <= 100:
        raise _Refused("maxResultsPerPage must be between 1 and 100")
    return size


def _digest(query: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]


def _token_for(offset: int, query: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": _digest(query)}).encode()).decode()


def _offset(token: str | None, query: dict[str, str]) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, digest = int(data["o"]), str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise _Refused("Invalid paginationToken") from None
    if digest != _digest(query):
        # Amazon: every other parameter must have the values of the request that made the token
        raise _Refused("paginationToken was issued for other parameters")
    return offset


def _package(body: Any) -> dict[str, Any]:
    package = body.get("packageDetail") if isinstance(body, dict) else None
    if not isinstance(package, dict):
        raise _Refused("packageDetail is required")
    for key in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
        if not package.get(key):
            raise _Refused(f"packageDetail.{key} is required")
    if not str(package["packageReferenceId"]).isdigit():
        raise _Refused("packageReferenceId must be a positive number")
    if package["carrierCode"] == "Other" and not package.get("carrierName"):
        raise _Refused("carrierName is required when carrierCode is Other")
    _time(str(package["shipDate"]).replace("Z", "+00:00"), "shipDate")
    if not isinstance(package["orderItems"], list):
        raise _Refused("orderItems must be a list")
    return package
