"""A fake Shopee shop speaking Open Platform v2: signed calls, ``get_order_list`` /
``get_order_detail``, ``logistics/ship_order`` / ``get_tracking_number`` and the token refresh.

It is strict where Shopee is strict: a bad or stale ``sign`` is refused, ``get_order_list`` takes at
most 15 days and 100 orders a page, ``get_order_detail`` at most 50 order numbers, access tokens
last 4 hours and each refresh token works once. Some buyers are masked (``****``) as Shopee masks
them. Fault switches: the shared ones (latency, 429, 5xx, the counted ``throttle_next`` and
``fail_next``) plus expired access tokens, a used refresh token and orders whose details are
unreadable (``malformed``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox import seeding
from sandbox.server import App, Faults, Request, Response, json_response

PARTNER_ID = "2001887"
SHOP_ID = "226001"
API = "/api/v2"
ACCESS_SECONDS = 4 * 3600
REFRESH_SECONDS = 30 * 24 * 3600
TIMESTAMP_SKEW = 300
WINDOW = 15 * 24 * 3600
STATUS_BODY = {"READY_TO_SHIP", "PROCESSED", "RETRY_SHIP"}
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def order_sn(spec: seeding.OrderSpec) -> str:
    """Shopee's order numbers: the day, then letters and digits (``201214JAJXU6G7``)."""
    n, tail = spec.order_id, ""
    while n:
        n, digit = divmod(n, 36)
        tail = _BASE36[digit] + tail
    return f"{spec.created_at:%y%m%d}{tail.rjust(8, '0')}"


def _price(amount: Decimal) -> float:
    return float(amount)  # Shopee's amounts are JSON numbers


class _Refused(Exception):
    def __init__(self, error: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.error, self.message, self.status = error, message, status


class ShopeeSandbox(App):
    name = "shopee"

    def __init__(self, orders: list[seeding.OrderSpec], *, partner_key: str = "shopee-sandbox-partner-key",
                 masked_every: int = 5, faults: Faults | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(faults)
        self.partner_id, self.shop_id, self.partner_key = PARTNER_ID, SHOP_ID, partner_key
        self.masked_every = masked_every
        self.clock = clock
        self._specs: dict[str, seeding.OrderSpec] = {}
        self.shipped: dict[str, str] = {}  # order_sn -> tracking number
        #: fault switch: these orders' details come with an unreadable ``item_list``
        self.malformed: set[str] = set()
        self.refreshes = 0
        self._access: dict[str, float] = {}  # token -> expiry
        self._refresh: dict[str, float] = {}  # unused refresh token -> expiry
        self._clock = seeding.BASE_TIME
        self.access_token, self.refresh_token = self._issue()
        self.add_orders(orders)
        for path, method, handler in (
            ("/order/get_order_list", "GET", self._order_list),
            ("/order/get_order_detail", "GET", self._order_detail),
            ("/logistics/get_tracking_number", "GET", self._tracking_number),
            ("/logistics/ship_order", "POST", self._ship_order),
        ):
            self.add(method, API + path, self._shop(handler))
        self.add("POST", API + "/auth/access_token/get", self._public(self._refresh_tokens))
        self.add("POST", r"/_sandbox/expire_access_tokens", lambda r: self._control(self.expire_access_tokens))
        self.add("POST", r"/_sandbox/use_refresh_token", lambda r: self._control(self.use_refresh_token))
        self.add("POST", r"/_sandbox/advance", self._control_advance)
        self.add("GET", r"/_sandbox/state", lambda r: json_response(self.state()))

    # seeding, control and fault switches -----------------------------------------------------

    def credentials(self) -> dict[str, str]:
        return {"partner_id": self.partner_id, "partner_key": self.partner_key, "shop_id": self.shop_id,
                "access_token": self.access_token, "refresh_token": self.refresh_token}

    @property
    def specs(self) -> list[seeding.OrderSpec]:
        with self.lock:
            return list(self._specs.values())

    def add_orders(self, specs: list[seeding.OrderSpec]) -> None:
        with self.lock:
            for spec in specs:
                self._specs[order_sn(spec)] = spec
                self._clock = max(self._clock, spec.updated_at)

    def masked(self, spec: seeding.OrderSpec) -> bool:
        return self.masked_every > 0 and spec.order_id % self.masked_every == 0

    def advance(self, step: int, at: datetime | None = None) -> list[seeding.OrderSpec]:
        with self.lock:
            wall = datetime.now(UTC).replace(microsecond=0)
            self._clock = max(wall, self._clock + timedelta(seconds=1))
            ahead = (self._clock - datetime.now(UTC)).total_seconds()
            if at is None and 0 < ahead <= 1:
                # a change one second after the last one must not be dated after Shopee's own now:
                # a pull reading up to now would not list it, nor the next one
                time.sleep(ahead)
            return seeding.advance(list(self._specs.values()), step, at or self._clock)

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far is past its 4 hours."""
        with self.lock:
            for token in self._access:
                self._access[token] = 0.0

    def use_refresh_token(self) -> None:
        """The current refresh token was spent elsewhere: the next refresh with it is refused."""
        with self.lock:
            self._refresh.clear()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"orders": len(self._specs), "shipped": dict(self.shipped), "refreshes": self.refreshes}

    def _control(self, switch: Callable[[], None]) -> Response:
        switch()
        return json_response({"ok": True})

    def _control_advance(self, request: Request) -> Response:
        try:
            step = int((request.json() or {}).get("step", 1))
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
            return json_response({"error": "error_param", "message": 'expected {"step": n}'}, 400)
        return json_response({"changed": [order_sn(s) for s in self.advance(step)]})

    def _issue(self) -> tuple[str, str]:
        now = self.clock()
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self._access[access] = now + ACCESS_SECONDS
        self._refresh[refresh] = now + REFRESH_SECONDS
        return access, refresh

    # signing, faults -------------------------------------------------------------------------

    def injected_fault(self, request: Request) -> Response | None:
        with self.lock:  # always draw both, so a seed replays the same story
            throttle = self.faults.rng.random() < self.faults.http_429_rate
            unavailable = self.faults.rng.random() < self.faults.http_5xx_rate
            throttle, unavailable = self.faults.force(throttle, unavailable)
        if throttle:
            return _error("error_too_many_request", "Too many requests, please try again later.", 429)
        if unavailable:
            return _error("error_server", "Internal server error, please try again later.", 500)
        return None

    def _sign(self, *parts: str) -> str:
        return hmac.new(self.partner_key.encode(), "".join(parts).encode(), hashlib.sha256).hexdigest()

    def _check_sign(self, request: Request, path: str, *extra: str) -> None:
        partner_id, timestamp, sign = request.arg("partner_id"), request.arg("timestamp"), request.arg("sign")
        if not partner_id or not timestamp or not sign:
            raise _Refused("error_param", "partner_id, timestamp and sign are required.", 400)
        if partner_id != self.partner_id:
            raise _Refused("error_auth", "Invalid partner_id.", 403)
        if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > TIMESTAMP_SKEW:
            raise _Refused("error_auth", "Invalid timestamp.", 403)
        if not hmac.compare_digest(sign, self._sign(partner_id, path, timestamp, *extra)):
            raise _Refused("error_sign", "Wrong sign.", 403)

    def _shop(self, handler: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            try:
                token, shop_id = request.arg("access_token") or "", request.arg("shop_id") or ""
                if not token or not shop_id:
                    raise _Refused("error_param", "access_token and shop_id are required.", 400)
                self._check_sign(request, request.path, token, shop_id)
                if shop_id != self.shop_id:
                    raise _Refused("error_auth", "Invalid shop_id.", 403)
                with self.lock:
                    if self._access.get(token, 0.0) <= self.clock():
                        raise _Refused("invalid_acceess_token", "Invalid access_token.", 403)
                    body = handler(request)
            except _Refused as exc:
                return _error(exc.error, exc.message, exc.status)
            return json_response({"error": "", "message": "", "response": body, "request_id": _request_id()})

        return guarded

    def _public(self, handler: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            try:
                self._check_sign(request, request.path)
                with self.lock:
                    body = handler(request)
            except _Refused as exc:
                return _error(exc.error, exc.message, exc.status)
            return json_response({"error": "", "message": "", "request_id": _request_id(), **body})

        return guarded

    def _refresh_tokens(self, request: Request) -> dict[str, Any]:
        try:
            payload = request.json() or {}
        except (ValueError, UnicodeDecodeError):
            raise _Refused("error_param", "The body is not JSON.") from None
        if not isinstance(payload, dict) or str(payload.get("shop_id")) != self.shop_id \
                or str(payload.get("partner_id")) != self.partner_id:
            raise _Refused("error_param", "partner_id and shop_id must be this shop's.")
        refresh = payload.get("refresh_token")
        if not isinstance(refresh, str) or self._refresh.get(refresh, 0.0) <= self.clock():
            raise _Refused("error_param", "Invalid refresh_token: it has been used or it has expired.")
        del self._refresh[refresh]  # each refresh token works once
        self.access_token, self.refresh_token = self._issue()
        self.refreshes += 1
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expire_in": ACCESS_SECONDS, "partner_id": int(self.partner_id), "shop_id": int(self.shop_id)}

    # orders ------------------------------------------------------------------------------------

    def status(self, spec: seeding.OrderSpec) -> str:
        if spec.cancelled:
            return "CANCELLED"
        if not spec.paid:
            return "UNPAID"
        return "SHIPPED" if order_sn(spec) in self.shipped else "READY_TO_SHIP"

    def _order_list(self, request: Request) -> dict[str, Any]:
        field = request.arg("time_range_field")
        if field not in ("create_time", "update_time"):
            raise _Refused("error_param", "time_range_field must be create_time or update_time.")
        try:
            start, end = int(request.arg("time_from") or ""), int(request.arg("time_to") or "")
            size = int(request.arg("page_size") or "")
            offset = int(request.arg("cursor") or "0")
        except ValueError:
            raise _Refused("error_param", "time_from, time_to, page_size and cursor must be numbers.") from None
        if end <= start or end - start > WINDOW:
            raise _Refused("error_param", "The time range must be more than 0 and at most 15 days.")
        if not 1 <= size <= 100:
            raise _Refused("error_param", "page_size must be between 1 and 100.")
        key = "created_at" if field == "create_time" else "updated_at"
        found = sorted((s for s in self._specs.values() if start <= int(getattr(s, key).timestamp()) <= end),
                       key=lambda s: (getattr(s, key), order_sn(s)))
        page = found[offset : offset + size]
        more = offset + size < len(found)
        return {"more": more, "next_cursor": str(offset + size) if more else "",
                "order_list": [{"order_sn": order_sn(s), "order_status": self.status(s)} for s in page]}

    def _order_detail(self, request: Request) -> dict[str, Any]:
        numbers = [n for n in (request.arg("order_sn_list") or "").split(",") if n]
        if not 1 <= len(numbers) <= 50:
            raise _Refused("error_param", "order_sn_list takes 1 to 50 order numbers.")
        fields = set((request.arg("response_optional_fields") or "").split(","))
        return {"order_list": [self.render(self._specs[n], fields) for n in numbers if n in self._specs]}

    def render(self, spec: seeding.OrderSpec, fields: set[str] | None = None) -> dict[str, Any]:
        """One order as ``get_order_detail`` gives it, with the optional ``fields`` asked for."""
        wanted = fields if fields is not None else {"recipient_address", "item_list", "total_amount",
                                                   "buyer_user_id", "buyer_username", "pay_time"}
        body: dict[str, Any] = {
            "order_sn": order_sn(spec), "region": spec.country_code, "currency": spec.currency, "cod": False,
            "order_status": self.status(spec), "create_time": int(spec.created_at.timestamp()),
            "update_time": int(spec.updated_at.timestamp()), "days_to_ship": 3,
            "ship_by_date": int((spec.created_at + timedelta(days=3)).timestamp()),
            "message_to_seller": "", "reverse_shipping_fee": 0,
        }
        masked = self.masked(spec)
        optional: dict[str, Any] = {
            "buyer_user_id": spec.customer_id or 0,
            "buyer_username": "b*****r" if masked else f"buyer{spec.order_id}",
            "total_amount": _price(spec.total),
            "pay_time": int(spec.created_at.timestamp()) + 60 if spec.paid else None,
            "recipient_address": self._recipient(spec, masked),
            "item_list": [self._item(spec, line) for line in spec.lines],
        }
        body.update({k: v for k, v in optional.items() if k in wanted})
        if body["order_sn"] in self.malformed:
            body["item_list"] = "unreadable"
        return body

    def _recipient(self, spec: seeding.OrderSpec, masked: bool) -> dict[str, Any]:
        if masked:
            return {"name": "****", "phone": "******" + spec.phone[-2:], "town": "", "district": "",
                    "city": "****", "state": "****", "region": spec.country_code, "zipcode": "****",
                    "full_address": "****"}
        street = ", ".join(p for p in (spec.address1, spec.address2) if p)
        return {"name": f"{spec.first_name} {spec.last_name}".strip(), "phone": spec.phone, "town": "",
                "district": "", "city": spec.city, "state": spec.region, "region": spec.country_code,
                "zipcode": spec.postcode, "full_address": street}

    @staticmethod
    def _item(spec: seeding.OrderSpec, line: seeding.LineSpec) -> dict[str, Any]:
        return {"item_id": 3_000_000 + line.line_id, "item_name": line.title, "item_sku": line.sku,
                "model_id": 0, "model_name": "", "model_sku": "", "model_quantity_purchased": line.quantity,
                "model_original_price": _price(line.unit_price), "model_discounted_price": _price(line.unit_price),
                "wholesale": False, "weight": 0.5, "add_on_deal": False, "main_item": False,
                "order_item_id": line.line_id, "promotion_type": "", "promotion_id": 0}

    # logistics ---------------------------------------------------------------------------------

    def _known(self, number: object) -> seeding.OrderSpec:
        spec = self._specs.get(str(number)) if number else None
        if spec is None:
            raise _Refused("error_not_found", "The order_sn is not found.")
        return spec

    def _tracking_number(self, request: Request) -> dict[str, Any]:
        spec = self._known(request.arg("order_sn"))
        return {"tracking_number": self.shipped.get(order_sn(spec), "")}

    def _ship_order(self, request: Request) -> dict[str, Any]:
        try:
            payload = request.json() or {}
        except (ValueError, UnicodeDecodeError):
            raise _Refused("error_param", "The body is not JSON.") from None
        if not isinstance(payload, dict):
            raise _Refused("error_param", "The body must be an object.")
        spec = self._known(payload.get("order_sn"))
        info = payload.get("non_integrated")
        number = info.get("tracking_number") if isinstance(info, dict) else None
        if not isinstance(number, str) or not number.strip():
            raise _Refused("error_param", "non_integrated.tracking_number is required for this channel.")
        if self.status(spec) not in STATUS_BODY:
            raise _Refused("logistics.order_status_error", "The order cannot be shipped in its status.")
        self.shipped[order_sn(spec)] = number
        spec.updated_at = max(spec.updated_at + timedelta(seconds=1), datetime.now(UTC).replace(microsecond=0))
        return {}


def _error(code: str, message: str, status: int = 200) -> Response:
    return json_response({"error": code, "message": message, "request_id": _request_id()}, status)


def _request_id() -> str:
    return secrets.token_hex(16)
