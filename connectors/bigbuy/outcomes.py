"""What an answer from BigBuy amounts to: the outcome types, and the small text readers every
module reading bodies shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.records import SupplierRefusal

MAX_TEXT = 300


class Call(StrEnum):
    """What was asked: decides whether a failure may have stored something."""

    CREATE = "create"  # POST order/create/multishipping.json
    CREATE_SINGLE = "create_single"  # POST order/create.json
    CHECK = "check"  # POST order/check.json
    CHECK_MULTI = "check_multi"  # POST order/check/multishipping.json
    REFERENCE = "reference"  # GET order/reference/{ref}.json
    ORDER = "order"  # GET order/{id}.json
    STATUSES = "statuses"
    TRACKING = "tracking"  # POST tracking/orders.json (a read, despite the verb)
    TRACKING_ORDER = "tracking_order"
    CARRIERS = "carriers"
    PURSE = "purse"
    SHIPPING = "shipping"  # POST shipping/orders.json (a read, despite the verb)
    CATALOGUE = "catalogue"  # GET catalog/* lists (paged, limited per hour)

    @property
    def writes(self) -> bool:
        return self in (Call.CREATE, Call.CREATE_SINGLE)

    @property
    def lookup(self) -> bool:
        """A read of one thing, where "not found" is an answer rather than a failure."""
        return self in (Call.REFERENCE, Call.ORDER, Call.TRACKING_ORDER)

    @property
    def may_refuse(self) -> bool:
        """Calls whose 4xx are verdicts on the order (refusals), not on our request."""
        return self.writes or self in (Call.CHECK, Call.CHECK_MULTI)


@dataclass(frozen=True)
class Ok:
    payload: Any


@dataclass(frozen=True)
class NotFound:
    message: str


@dataclass(frozen=True)
class AlreadyExists:
    """ER008: the reference was used before; the existing order's id when BigBuy gave it."""

    order_id: str | None


@dataclass(frozen=True)
class Refused:
    refusals: tuple[SupplierRefusal, ...]
    message: str


@dataclass(frozen=True)
class Retry:
    message: str
    retry_after: float | None = None
    reset_at: float | None = None  # epoch seconds, from X-Ratelimit-Reset
    rate_limited: bool = False


@dataclass(frozen=True)
class Unknown:
    """A write may or may not have been stored."""

    message: str


@dataclass(frozen=True)
class Loud:
    message: str
    auth: bool = False
    status: int | None = None


Outcome = Ok | NotFound | AlreadyExists | Refused | Retry | Unknown | Loud
OUTCOMES: tuple[type, ...] = (Ok, NotFound, AlreadyExists, Refused, Retry, Unknown, Loud)


def loads(raw: bytes) -> tuple[Any, bool]:
    if not raw:
        return None, False
    try:
        return json.loads(raw), True
    except (ValueError, RecursionError):
        return None, False


def short(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str)
        except (ValueError, TypeError, RecursionError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def strings(value: Any) -> list[str]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value[:200] if isinstance(v, (str, int)) and not isinstance(v, bool)]
