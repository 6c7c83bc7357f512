"""How the Shopify sandbox lists orders: the REST Admin filters, ``order``, ``fields`` and cursor
paging through ``page_info`` with Shopify's rules (no filters next to a cursor, ``limit`` at most
250), keyset-based so a page stays stable while orders change."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox import seeding
from sandbox.server import Request, Response, json_response
from sandbox.shopify_render import SHOP_TZ, BadRequest

_FILTERS = ("status", "updated_at_min", "updated_at_max", "created_at_min", "created_at_max",
            "since_id", "ids", "order", "financial_status")


@dataclass
class Row:
    """What listing needs of an order before rendering it (rendering is the expensive part)."""

    id: int
    created_at: datetime
    updated_at: datetime
    cancelled: bool
    financial_status: str | None
    spec: seeding.OrderSpec | None = None
    raw: dict[str, Any] | None = None


def list_orders(request: Request, every: list[Row], render: Callable[[Row], dict[str, Any]]) -> Response:
    """One page of ``every`` as ``GET /orders.json`` answers it, with its ``Link`` header."""
    limit = _limit(request.arg("limit", "50"))
    token = request.arg("page_info")
    if token is not None:
        extra = sorted(k for k in request.query if k not in ("limit", "page_info", "fields"))
        if extra:
            raise BadRequest({"page_info": f"cannot be combined with {', '.join(extra)}"})
        cursor = _decode(token)
        query = cursor["query"]
    else:
        cursor = None
        query = {k: request.arg(k) for k in _FILTERS if request.arg(k) is not None}
    field, descending = _ordering(query.get("order"))
    rows = sorted((r for r in every if _matches(r, query)),
                  key=lambda r: (_sort_value(r, field), r.id), reverse=descending)
    start, end = 0, min(limit, len(rows))
    if cursor is not None:
        mark = _mark(cursor, field)
        keys = [_key(r, field) for r in rows]
        if cursor["direction"] == "next":  # keyset paging: stable while rows change
            start = sum(1 for k in keys if not _precedes(mark, k, descending))
            end = min(start + limit, len(rows))
        else:
            end = sum(1 for k in keys if _precedes(k, mark, descending))
            start = max(0, end - limit)
    page = rows[start:end]
    links = []
    base = f"http://{request.headers.get('host', 'localhost')}{request.path}"
    if page and end < len(rows):
        links.append(f'<{base}?limit={limit}&page_info={_encode("next", page[-1], field, query)}>; '
                     'rel="next"')
    if page and start > 0:
        links.append(f'<{base}?limit={limit}&page_info={_encode("prev", page[0], field, query)}>; '
                     'rel="previous"')
    fields = request.arg("fields")
    orders = [only(render(r), fields) for r in page]
    return json_response({"orders": orders}, headers={"Link": ", ".join(links)} if links else None)


def _limit(raw: str | None) -> int:
    limit = _integer(raw or "50", "limit")
    if not 1 <= limit <= 250:
        raise BadRequest({"limit": "must be between 1 and 250"})
    return limit


def _integer(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest({name: "expected an integer"}) from None


def _ordering(raw: str | None) -> tuple[str, bool]:
    field, _, direction = (raw or "created_at desc").strip().partition(" ")
    if field not in ("updated_at", "created_at", "id") or direction.strip() not in ("", "asc", "desc"):
        raise BadRequest({"order": "is invalid"})
    return field, direction.strip() == "desc" or raw is None


def _parse_time(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        raise BadRequest({name: "is not a valid date"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHOP_TZ)


def lenient_time(raw: Any, default: datetime) -> datetime:
    try:
        return _parse_time(raw, "") if isinstance(raw, str) else default
    except BadRequest:
        return default


def _sort_value(row: Row, field: str) -> Any:
    return row.id if field == "id" else getattr(row, field)


def _key(row: Row, field: str) -> tuple[Any, int]:
    return _sort_value(row, field), row.id


def _mark(cursor: dict[str, Any], field: str) -> tuple[Any, int]:
    value = cursor["last_value"]
    if isinstance(value, int) == (field == "id"):
        return (value if field == "id" else _parse_time(value, "page_info")), cursor["last_id"]
    raise BadRequest({"page_info": "Invalid value."})


def _precedes(a: tuple[Any, int], b: tuple[Any, int], descending: bool) -> bool:
    return a > b if descending else a < b


def _matches(row: Row, query: dict[str, str]) -> bool:
    status = query.get("status", "open")
    if status not in ("open", "closed", "cancelled", "any"):
        raise BadRequest({"status": "is invalid"})
    if (status == "open" and row.cancelled) or (status == "cancelled" and not row.cancelled) \
            or status == "closed":
        return False
    for name, attr, below in (("updated_at_min", "updated_at", False), ("updated_at_max", "updated_at", True),
                              ("created_at_min", "created_at", False), ("created_at_max", "created_at", True)):
        if name in query:
            bound, value = _parse_time(query[name], name), getattr(row, attr)
            if (value > bound) if below else (value < bound):
                return False
    if "since_id" in query and row.id <= _integer(query["since_id"], "since_id"):
        return False
    if "ids" in query and str(row.id) not in query["ids"].split(","):
        return False
    paid = query.get("financial_status", "any")
    return paid == "any" or row.financial_status == paid


def _encode(direction: str, row: Row, field: str, query: dict[str, str]) -> str:
    value = _sort_value(row, field)
    last = value if isinstance(value, int) else value.isoformat()
    data = {"direction": direction, "last_id": row.id, "last_value": last, "query": query}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        query = data["query"]
        if (data["direction"] in ("next", "prev") and isinstance(data["last_id"], int)
                and isinstance(data["last_value"], str | int) and isinstance(query, dict)
                and all(isinstance(v, str) for v in query.values())):
            return dict(data)
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise BadRequest({"page_info": "Invalid value."})



def only(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return body
    wanted = {f.strip() for f in fields.split(",")}
    return {k: v for k, v in body.items() if k in wanted}
