"""The pipeline's counters and histograms: what operators watch, and what the benchmarks and the
fault-injection run read their figures from.

Plain ``prometheus_client`` metrics in the default registry; a process that serves HTTP exposes
them (``start_http_server`` in workers, ``/metrics`` in the admin).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ORDERS_INGESTED = Counter("orderhub_orders_ingested_total", "Orders stored from a channel", ["channel", "kind"])
ORDERS_FLAGGED = Counter("orderhub_orders_flagged_total", "Issues opened on orders, by code", ["code"])
ORDERS_FORWARDED = Counter("orderhub_orders_forwarded_total", "Orders recorded as sent to the supplier", ["how"])
ORDERS_SETTLED = Counter("orderhub_orders_settled_total", "Orders reaching a settled state", ["status"])
QUARANTINED = Counter("orderhub_quarantined_bodies_total", "Channel bodies that could not be read", ["channel"])
CALLS = Counter("orderhub_http_calls_total", "Calls to channels and suppliers", ["account", "endpoint", "status"])
THROTTLED = Counter("orderhub_http_429_total", "Calls answered 429", ["account"])
RATE_WAIT = Histogram("orderhub_rate_limiter_wait_seconds", "Time spent waiting for the shared rate limit",
                      ["account"], buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
INGEST_TO_SENT = Histogram("orderhub_ingest_to_sent_seconds", "From ingest to recorded as sent",
                           buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
RECONCILER = Counter("orderhub_reconciler_reenqueued_total", "Work the reconciler had to send again", ["kind"])
WALLET = Gauge("orderhub_supplier_wallet", "The supplier wallet as last read or reserved", ["account"])


def endpoint_label(path: str) -> str:
    """Collapse ids out of a path so the label set stays small: /rest/order/123.json -> /rest/order/{id}.json"""
    parts = []
    for part in path.split("/"):
        stem, dot, ext = part.partition(".")
        if stem.isdigit() or (len(stem) > 12 and any(c.isdigit() for c in stem)):
            part = "{id}" + (dot + ext if dot else "")
        parts.append(part)
    return "/".join(parts)
