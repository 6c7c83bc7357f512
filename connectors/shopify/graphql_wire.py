"""Reading GraphQL Admin answers: the cost-based throttle and the errors a 200 can carry.

GraphQL answers 200 also when it refused: top-level ``errors`` (each with ``extensions.code``)
and, for mutations, ``userErrors``. Both are turned into the connector's error tree here, with
Shopify's message shortened and the access token removed should it ever be echoed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorError
from connectors.http import redact
from connectors.shopify.errors import (
    ShopifyAuthError,
    ShopifyOutcomeUnknown,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyRequestFailed,
    ShopifyUnavailable,
)

#: codes that mean the token lacks a scope or was refused
AUTH_CODES = frozenset({"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"})
#: Shopify's own failure: nothing is known to have been handled
SERVER_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})


@dataclass
class Budget:
    """The shop's GraphQL bucket as last reported (``extensions.cost.throttleStatus``)."""

    maximum: float
    available: float
    restore_rate: float
    at: float  # the clock reading when it was reported

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket holds ``cost`` points (capped at its size)."""
        if self.restore_rate <= 0:
            return 0.0
        have = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        need = min(cost, self.maximum)
        return max(0.0, (need - have) / self.restore_rate)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def cost_of(body: Any) -> tuple[float | None, Budget | None]:
    """(requested cost, bucket) from a body's ``extensions.cost``; None where absent."""
    cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
    if not isinstance(cost, dict):
        return None, None
    requested = _number(cost.get("requestedQueryCost"))
    status = cost.get("throttleStatus")
    if not isinstance(status, dict):
        return requested, None
    values = [_number(status.get(k)) for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")]
    if any(v is None for v in values):
        return requested, None
    maximum, available, rate = (float(v or 0.0) for v in values)
    return requested, Budget(maximum, available, rate, 0.0)


def _codes(errors: list[Any]) -> list[str]:
    codes = []
    for error in errors:
        ext = error.get("extensions") if isinstance(error, dict) else None
        code = ext.get("code") if isinstance(ext, dict) else None
        codes.append(code if isinstance(code, str) else "")
    return codes


def _messages(errors: list[Any], secret: str) -> str:
    texts = [str(e.get("message", ""))[:120] for e in errors[:3] if isinstance(e, dict)]
    return redact("; ".join(t for t in texts if t), secret)[:300]


def raise_for_errors(body: Any, operation: str, *, write: bool, secret: str,
                     throttle_wait: Callable[[Any], float | None]) -> None:
    """Raises the error a body's top-level ``errors`` stand for; returns when there are none."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return
    if isinstance(errors, str):  # the REST-style form, e.g. on a refused token
        errors = [{"message": errors}]
    if not isinstance(errors, list):
        raise ShopifyParseError(f"{operation}: errors is not a list")
    codes = _codes(errors)
    what = f"Shopify GraphQL {operation}: {_messages(errors, secret)}"
    raise _error(codes, what, write=write, wait=throttle_wait(body) if "THROTTLED" in codes else None)


def _error(codes: list[str], what: str, *, write: bool, wait: float | None) -> ConnectorError:
    if "THROTTLED" in codes:
        # a throttled query was not run, so even a mutation may simply be sent again
        return ShopifyRateLimited(what, retry_after=wait)
    if any(code in AUTH_CODES for code in codes):
        return ShopifyAuthError(what + ": check the access token and its scopes")
    if any(code in SERVER_CODES for code in codes):
        if write:
            return ShopifyOutcomeUnknown(what + "; look it up before writing again")
        return ShopifyUnavailable(what)
    # syntax, unknown field, MAX_COST_EXCEEDED, bad variables: sending it again will not help
    return ShopifyRequestFailed(what)


def data_of(body: Any, operation: str) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ShopifyParseError(f"{operation}: answer has no data")
    return data


def raise_for_user_errors(payload: Any, operation: str, secret: str) -> None:
    """A mutation's ``userErrors``: Shopify understood and refused, so it must be looked at."""
    if not isinstance(payload, dict):
        raise ShopifyParseError(f"{operation}: no payload")
    errors = payload.get("userErrors")
    if errors is None or errors == []:
        return
    if not isinstance(errors, list):
        raise ShopifyParseError(f"{operation}: userErrors is not a list")
    fields = []
    for error in errors[:3]:
        field = error.get("field") if isinstance(error, dict) else None
        if isinstance(field, list):
            fields.append(".".join(str(f) for f in field))
    where = f" (fields {', '.join(fields)})" if fields else ""
    raise ShopifyRequestFailed(f"Shopify refused {operation}{where}: {_messages(errors, secret)}", status=200)
