"""The BigBuy supplier connector: create, look up, quote, track, read the wallet.

Every call is paced by the shared bucket (1 request/s per account) and its answer goes through
``answers.classify``. Reads are retried (bounded); creates never are, here: a create whose outcome
is unclear raises ``OutcomeUnknown`` so the engine looks the reference up before sending again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote as urlquote

import httpx

from connectors import http
from connectors.base import SupplierConnector
from connectors.bigbuy import answers, shipping, wire
from connectors.bigbuy.answers import Call
from connectors.bigbuy.errors import ERRORS, BigBuyConfigError, BigBuyOutcomeUnknown, BigBuyParseError
from connectors.errors import ConnectorError
from connectors.records import (
    Quote,
    ShippingOption,
    SupplierOrder,
    SupplierOrderRequest,
    SupplierRefusal,
    SupplierSubmission,
    Tracking,
)

T = TypeVar("T")

#: what a parser may raise on a shape it cannot read
_SHAPE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError)
#: carriers can be added at BigBuy: an unknown carrier id refreshes the cached names, at most hourly
_CARRIER_REFRESH_SECONDS = 3600.0


class BigBuyConnector(SupplierConnector):
    kind: ClassVar[str] = "bigbuy"
    credential_keys: ClassVar[tuple[str, ...] | None] = ("api_key",)
    tracking_batch_size: ClassVar[int] = 100
    #: attempts per read (reads only; creates are never repeated here)
    read_attempts: int = 4

    # read once per connector (replaced, never changed in place)
    _carrier_names: dict[str, str] | None = None
    _carriers_at = 0.0
    _status_names: dict[str, str] | None = None

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        base = self.config.url.rstrip("/")
        if base.endswith("/rest"):
            base = base[: -len("/rest")]
        return http.make_client(base, headers={"Authorization": f"Bearer {self._key()}"}, transport=transport)

    def _key(self) -> str:
        try:
            return self.config.secret("api_key")
        except KeyError:
            raise BigBuyConfigError(f"no api_key configured for {self.config.name}") from None

    def check(self) -> str:
        outcome = self._send(Call.PURSE, "GET", "/rest/user/purse.json")
        if not isinstance(outcome, answers.Ok):
            raise self._error(Call.PURSE, outcome)
        balance = self._parse(Call.PURSE, lambda: wire.purse(_payload(outcome)))
        return f"GET /rest/user/purse.json answered (wallet {balance})"

    # Orders -----------------------------------------------------------------------------------

    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        """Multishipping create: one supplier order per warehouse; partial creates keep both
        the created orders and the refusals."""
        outcome = self._send(Call.CREATE, "POST", "/rest/order/create/multishipping.json", self._body(request))
        return self._submission(Call.CREATE, request.internal_reference, outcome)

    def create_single(self, request: SupplierOrderRequest) -> SupplierSubmission:
        """``order/create.json``, for accounts without multishipping: one order, id in ``Location``."""
        outcome = self._send(Call.CREATE_SINGLE, "POST", "/rest/order/create.json", self._body(request))
        return self._submission(Call.CREATE_SINGLE, request.internal_reference, outcome)

    def quote(self, request: SupplierOrderRequest) -> Quote:
        outcome = self._read(
            Call.CHECK_MULTI,
            "POST",
            "/rest/order/check/multishipping.json",
            self._body(request),
            accept=(answers.Ok, answers.Refused),
        )
        if isinstance(outcome, answers.Refused):
            return Quote(total=Decimal("0"), refusals=self._clean(outcome.refusals))
        quote = self._parse(Call.CHECK_MULTI, lambda: wire.quote(_payload(outcome)))
        return quote.model_copy(update={"refusals": self._clean(quote.refusals)})

    def find_by_reference(self, internal_reference: str) -> SupplierSubmission | None:
        """The order BigBuy holds under this reference, or None.

        BigBuy answers only one order per reference, so after a multishipping create that split
        the order, the other warehouses' orders cannot be found this way.
        """
        path = f"/rest/order/reference/{urlquote(internal_reference, safe='')}.json"
        outcome = self._read(Call.REFERENCE, "GET", path, accept=(answers.Ok, answers.NotFound))
        if isinstance(outcome, answers.NotFound):
            return None
        return self._parse(Call.REFERENCE, lambda: wire.found(internal_reference, _payload(outcome)))

    def order_status(self, supplier_order_id: str) -> str | None:
        path = f"/rest/order/{urlquote(supplier_order_id, safe='')}.json"
        outcome = self._read(Call.ORDER, "GET", path, accept=(answers.Ok, answers.NotFound))
        if isinstance(outcome, answers.NotFound):
            return None
        payload = _payload(outcome)
        raw = payload.get("status") if isinstance(payload, dict) else None
        names = self.order_statuses() if isinstance(raw, int) or str(raw).isdigit() else None
        return self._parse(Call.ORDER, lambda: wire.order_status(payload, names))

    def held_order(self, supplier_order_id: str) -> SupplierOrderRequest | None:
        path = f"/rest/order/{urlquote(supplier_order_id, safe='')}.json"
        outcome = self._read(Call.ORDER, "GET", path, accept=(answers.Ok, answers.NotFound))
        if isinstance(outcome, answers.NotFound):
            return None
        payload = _payload(outcome)
        return self._parse(Call.ORDER, lambda: wire.held_order(payload))

    def order_statuses(self) -> dict[str, str]:
        """Status id -> name; BigBuy documents the names nowhere else, so they are read once."""
        if self._status_names is None:
            outcome = self._read(Call.STATUSES, "GET", "/rest/order/orderstatuses.json")
            self._status_names = self._parse(Call.STATUSES, lambda: wire.status_names(_payload(outcome)))
        return dict(self._status_names)

    def shipping_options(self, request: SupplierOrderRequest) -> list[ShippingOption]:
        """How BigBuy can ship this request. A cart spread over warehouses is asked again per
        warehouse, and only the carriers every part offers are kept: an order names its carriers
        once for all its parts."""
        options, parts = self._shipping(request)
        if not parts:
            return options
        kept: list[ShippingOption] | None = None
        for references in parts[:10]:
            lines = [line for line in request.lines if line.supplier_sku in references]
            part, split = self._shipping(request.model_copy(update={"lines": lines}))
            if split:
                raise BigBuyParseError(f"BigBuy {Call.SHIPPING}: a warehouse's part is still split")
            codes = {o.carrier for o in part}
            kept = part if kept is None else [o for o in kept if o.carrier in codes]
        return kept or []

    def _shipping(self, request: SupplierOrderRequest) -> tuple[list[ShippingOption], list[list[str]]]:
        """(the options, []) or, when the cart mixes warehouses, ([], each warehouse's references)."""
        outcome = self._read(Call.SHIPPING, "POST", "/rest/shipping/orders.json", shipping.shipping_body(request))
        payload = _payload(outcome)
        parts = shipping.warehouse_parts(payload)
        if len(parts) > 1:
            return [], parts
        return self._parse(Call.SHIPPING, lambda: shipping.shipping_options(payload)), []

    # Tracking and wallet ----------------------------------------------------------------------

    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        if len(supplier_order_ids) > self.tracking_batch_size:
            raise ValueError(
                f"at most {self.tracking_batch_size} orders per tracking call, got {len(supplier_order_ids)}"
            )
        if not supplier_order_ids:
            return []
        body = {"track": {"orders": [{"id": str(i)} for i in supplier_order_ids]}}
        outcome = self._read(Call.TRACKING, "POST", "/rest/tracking/orders.json", body)
        payload = _payload(outcome)
        names = self._carriers(self._parse(Call.TRACKING, lambda: wire.carrier_ids(payload)))
        return self._parse(Call.TRACKING, lambda: wire.trackings(payload, names))

    def tracking_of(self, supplier_order_id: str) -> list[Tracking]:
        """One order's tracking (``tracking/order/{id}.json``); empty until it ships."""
        path = f"/rest/tracking/order/{urlquote(supplier_order_id, safe='')}.json"
        outcome = self._read(Call.TRACKING_ORDER, "GET", path, accept=(answers.Ok, answers.NotFound))
        if isinstance(outcome, answers.NotFound):
            return []
        payload = _payload(outcome)
        names = self._carriers(self._parse(Call.TRACKING_ORDER, lambda: wire.carrier_ids(payload)))
        return self._parse(Call.TRACKING_ORDER, lambda: wire.trackings(payload, names))

    def carriers(self) -> dict[str, str]:
        """Carrier id -> name (``tracking/carriers.json``), cached for the process."""
        return dict(self._carriers(set()))

    def wallet_balance(self) -> Decimal:
        outcome = self._read(Call.PURSE, "GET", "/rest/user/purse.json")
        return self._parse(Call.PURSE, lambda: wire.purse(_payload(outcome)))

    def _carriers(self, wanted: set[str]) -> dict[str, str]:
        stale = time.monotonic() - self._carriers_at > _CARRIER_REFRESH_SECONDS
        missing = self._carrier_names is not None and not wanted <= set(self._carrier_names)
        if self._carrier_names is None or (missing and stale):
            outcome = self._read(Call.CARRIERS, "GET", "/rest/tracking/carriers.json")
            self._carrier_names = self._parse(Call.CARRIERS, lambda: wire.carriers(_payload(outcome)))
            self._carriers_at = time.monotonic()
        return self._carrier_names

    # Plumbing ---------------------------------------------------------------------------------

    def _body(self, request: SupplierOrderRequest) -> dict[str, Any]:
        settings = self.config.settings
        language = request.language
        if "language" not in request.model_fields_set and settings.get("language"):
            language = str(settings["language"])  # the account's default beats the record's
        carriers = list(request.carriers) or [str(c) for c in settings.get("carriers") or []]
        return wire.order_body(request, language=language, carriers=carriers)

    def _submission(self, call: Call, reference: str, outcome: answers.Outcome) -> SupplierSubmission:
        if isinstance(outcome, answers.Ok):
            try:
                if call is Call.CREATE:
                    made = wire.submission(reference, outcome.payload)
                    return made.model_copy(update={"refusals": self._clean(made.refusals)})
                order = SupplierOrder(supplier_order_id=str(outcome.payload["order_id"]))
                return SupplierSubmission(internal_reference=reference, orders=[order])
            except _SHAPE_ERRORS:
                raise BigBuyOutcomeUnknown(f"BigBuy {call}: the answer names no order; look the reference up") from None
        if isinstance(outcome, answers.AlreadyExists):
            orders = [SupplierOrder(supplier_order_id=outcome.order_id)] if outcome.order_id else []
            if not orders:  # ER008 without its orderId: one look-up to learn the id
                existing = self.find_by_reference(reference)
                orders = existing.orders if existing else []
            return SupplierSubmission(internal_reference=reference, orders=orders, already_existed=True)
        if isinstance(outcome, answers.Refused):
            return SupplierSubmission(internal_reference=reference, refusals=self._clean(outcome.refusals))
        raise self._error(call, outcome)

    def _send(self, call: Call, method: str, path: str, body: Any = None) -> answers.Outcome:
        self.pacer.wait()
        try:
            response = self.client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise ERRORS.for_transport(exc, write=call.writes) from None
        return answers.classify(call, response.status_code, response.headers, response.content)

    def _read(
        self,
        call: Call,
        method: str,
        path: str,
        body: Any = None,
        *,
        accept: tuple[type, ...] = (answers.Ok,),
    ) -> answers.Outcome:
        def once() -> answers.Outcome:
            outcome = self._send(call, method, path, body)
            if isinstance(outcome, accept):
                return outcome
            raise self._error(call, outcome)

        return http.with_retries(once, attempts=self.read_attempts)

    def _error(self, call: Call, outcome: answers.Outcome) -> ConnectorError:
        """BigBuy's own readings, in the classes of the shared error map."""
        message = self._redact(f"BigBuy {call}: {getattr(outcome, 'message', type(outcome).__name__)}")
        if isinstance(outcome, answers.Retry):
            if not outcome.rate_limited:
                return ERRORS.retry_later(message, retry_after=outcome.retry_after)
            now = time.time()
            reset = outcome.reset_at or now + (outcome.retry_after or 1.0)
            self.pacer.hold_until(reset)  # every worker sharing the bucket pauses, not just this one
            return ERRORS.rate_limited(message, retry_after=max(0.0, reset - now))
        if isinstance(outcome, answers.Unknown):
            return ERRORS.outcome_unknown(message)
        if isinstance(outcome, answers.Loud):
            if outcome.auth:
                return ERRORS.auth_failed(message)
            return ERRORS.fail_loudly(message, status=outcome.status)
        if isinstance(outcome, answers.AlreadyExists):
            return ERRORS.fail_loudly(f"BigBuy {call}: unexpected ER008")
        return ERRORS.fail_loudly(message)  # a refusal or "not found" where none can be

    def _parse(self, call: Call, parse: Callable[[], T]) -> T:
        try:
            return parse()
        except _SHAPE_ERRORS as exc:
            # pydantic's texts quote the input: only our own plain messages are kept
            detail = str(exc) if type(exc) is ValueError else type(exc).__name__
            raise BigBuyParseError(self._redact(f"BigBuy {call}: unexpected answer ({detail})")) from None

    def _clean(self, refusals: Any) -> list[SupplierRefusal]:
        return [r.model_copy(update={"message": self._redact(r.message)}) for r in refusals]

    def _redact(self, text: str) -> str:
        secret = self.config.credentials.get("api_key")
        return http.redact(text, secret.get_secret_value()) if secret else text


def _payload(outcome: answers.Outcome) -> Any:
    return outcome.payload if isinstance(outcome, answers.Ok) else None
