"""The wc/v3 wire helpers the WooCommerce sandbox answers with: error bodies, and the order
listing's parameters as WooCommerce validates and applies them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox import seeding
from sandbox.server import Request, Response, json_response

SITE_OFFSET = timedelta(hours=1)
#: (modified, created, id, status, spec or raw body)
Row = tuple[datetime, datetime, int, str, "seeding.OrderSpec | dict[str, Any]"]
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
#: WordPress date queries are exclusive: "after" means strictly later
BOUNDS: dict[str, Callable[[Row, datetime], bool]] = {
    "modified_after": lambda r, t: r[0] > t,
    "modified_before": lambda r, t: r[0] < t,
    "after": lambda r, t: r[1] > t,
    "before": lambda r, t: r[1] < t,
}


def error(code: str, message: str, status: int, **extra: Any) -> Response:
    return json_response({"code": code, "message": message, "data": {"status": status, **extra}},
                         status)


def invalid(param: str, why: str) -> Response:
    return error("rest_invalid_param", f"Invalid parameter(s): {param}", 400, params={param: why})


@dataclass
class Query:
    """The listing parameters wc/v3 takes for orders (the subset a sync uses, validated alike)."""

    per_page: int = 10
    page: int = 1
    orderby: str = "date"
    order: str = "desc"
    statuses: frozenset[str] = frozenset({"any"})
    bounds: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def read(cls, request: Request) -> Query | Response:
        query = cls()
        for name, low, high in (("per_page", 1, 100), ("page", 1, None)):
            try:
                value = int(request.arg(name) or getattr(query, name))
            except ValueError:
                return invalid(name, f"{name} is not of type integer.")
            if value < low or (high is not None and value > high):
                why = f"between {low} (inclusive) and {high} (inclusive)" if high else f">= {low}"
                return invalid(name, f"{name} must be {why}")
            setattr(query, name, value)
        query.orderby = request.arg("orderby") or query.orderby
        if query.orderby not in ORDERBY:
            return invalid("orderby", f"orderby is not one of {', '.join(ORDERBY)}.")
        query.order = request.arg("order") or query.order
        if query.order not in ("asc", "desc"):
            return invalid("order", "order is not one of asc, desc.")
        gmt = (request.arg("dates_are_gmt") or "").lower() in ("1", "true")
        for name in BOUNDS:
            text = request.arg(name)
            if not text:
                continue
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                return invalid(name, "Invalid date.")
            if when.tzinfo is None:  # a plain date is the shop's local time unless told otherwise
                when = when.replace(tzinfo=UTC) - (timedelta(0) if gmt else SITE_OFFSET)
            query.bounds[name] = when
        query.statuses = frozenset(s for s in (request.arg("status") or "any").split(",") if s)
        return query

    def select(self, rows: list[Row]) -> list[Row]:
        rows = [r for r in rows
                if r[3] in self.statuses or ("any" in self.statuses and r[3] != "trash")]
        for name, when in self.bounds.items():
            rows = [r for r in rows if BOUNDS[name](r, when)]
        if self.orderby == "modified":
            rows.sort(key=lambda r: (r[0], r[2]))
        elif self.orderby == "date":
            rows.sort(key=lambda r: (r[1], r[2]))
        else:
            rows.sort(key=lambda r: r[2])
        return rows[::-1] if self.order == "desc" else rows
