"""Metrics of one ``orderhub worker`` process: the pipeline's (``sync.metrics``) and dramatiq's
own queue metrics (``dramatiq.middleware.prometheus.Prometheus``), on one port.

One port per process, not prometheus multiprocess mode. Each worker process serves its own
registry with ``prometheus_client.start_http_server(port)``; with several worker processes on one
machine give each its own ``--metrics-port`` (the fault-injection run uses N, N+1, N+2) and let
Prometheus scrape them all and ``sum()`` across instances. Multiprocess mode would need a shared
directory wiped at every start and breaks ``Gauge``/``Histogram`` semantics for processes that are
SIGKILLed, which is exactly what the fault-injection run does to workers.

dramatiq's middleware would serve its metrics itself, from a process forked by the ``dramatiq``
command line on ``dramatiq_prom_port`` (9191). ``orderhub worker`` runs ``dramatiq.Worker`` in
its own process and forks nothing, so that server never starts and cannot fight over a port:
instead the middleware's metric objects are added to the default registry, which the one server
of this process exposes next to the pipeline's.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import dramatiq
from prometheus_client import REGISTRY, make_wsgi_app

#: the metrics the dramatiq middleware builds in ``after_process_boot``
_DRAMATIQ_METRICS = ("total_messages", "total_errored_messages", "total_retried_messages",
                     "total_rejected_messages", "inprogress_messages", "inprogress_delayed_messages",
                     "message_durations")
_ENV = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
_installed: dramatiq.Middleware | None = None


def queue_metrics() -> dramatiq.Middleware:
    """dramatiq's Prometheus middleware, its metrics built now and registered in the default
    registry (once per process). Add it to the broker before the worker starts."""
    global _installed
    if _installed is not None:
        return _installed
    from dramatiq.middleware.prometheus import Prometheus

    middleware = Prometheus()
    # The middleware points prometheus_client at a multiprocess directory as it boots. This process
    # imported prometheus_client long before, so it keeps plain in-memory values; the variables are
    # put back so nothing started later believes it is in multiprocess mode.
    saved = {name: os.environ.get(name) for name in _ENV}
    try:
        middleware.after_process_boot(None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    for name in _DRAMATIQ_METRICS:
        metric: Any = getattr(middleware, name, None)
        if metric is not None:
            REGISTRY.register(metric)
    _installed = middleware
    return middleware


def serve(port: int, host: str = "0.0.0.0") -> None:
    """Expose this process's default registry (pipeline + dramatiq) on ``host:port`` at
    ``/metrics``, and ``/healthz``: the database and the broker, 200 or 503 with the checks as
    JSON. ``/healthz?accounts=1`` also probes every channel and supplier account: one call each,
    so not for a probe that runs every few seconds (the supplier's rate limit is shared with
    forwarding)."""
    server = make_server(host, port, _app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()


_metrics = make_wsgi_app(REGISTRY)


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        from workers import health

        deep = "accounts=1" in (environ.get("QUERY_STRING") or "")
        report = health.run() if deep else health.run_local()
        body = json.dumps(report).encode()
        start_response("200 OK" if report["ok"] else "503 Service Unavailable",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    return list(_metrics(environ, start_response))


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None
