"""The one place HTTP clients are made (explicit timeouts, retries that always stop) and the one
place HTTP failures are mapped onto the connector exception tree."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any, TypeVar

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from connectors.errors import (
    AuthenticationFailed,
    ConnectorError,
    FailLoudly,
    OutcomeUnknown,
    RateLimited,
    RetryLater,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
USER_AGENT = "orderhub/0.1"


#: Request and answer go out as soon as they are written. Without it a small POST whose headers
#: and body leave in two writes waits for the peer's delayed ACK (~40 ms on Linux) per call.
SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def make_transport(max_connections: int = 10) -> httpx.HTTPTransport:
    """The transport every client uses unless a test passes its own (``make_client``'s limits
    apply only to a transport made here: httpx ignores them beside a given one)."""
    return httpx.HTTPTransport(
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        socket_options=SOCKET_OPTIONS,
    )


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
    max_connections: int = 10,
) -> httpx.Client:
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    merged.update(headers or {})
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=merged,
        auth=auth,
        timeout=timeout,
        transport=transport or make_transport(max_connections),
        follow_redirects=False,
    )


_BACKOFF = wait_exponential_jitter(multiplier=0.5, max=10.0)


def _wait_for(state: RetryCallState) -> float:
    """Honour the platform's own ``retry_after`` when it gave one, else back off with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RetryLater) and exc.retry_after is not None:
        return min(max(exc.retry_after, 0.0), 60.0)
    return float(_BACKOFF(state))


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    max_seconds: float = 60.0,
    retry_on: tuple[type[BaseException], ...] = (RetryLater,),
    sleep: Callable[[float], Any] | None = None,
) -> T:
    """Run ``call``, retrying transient failures; always stops (attempts and total time).

    Only for calls that are safe to repeat (reads, and writes the platform de-duplicates).
    Writes whose outcome may be unknown must not go through here.
    """
    kwargs: dict[str, Any] = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    retrying = Retrying(
        retry=retry_if_exception_type(retry_on),
        stop=stop_after_attempt(attempts) | stop_after_delay(max_seconds),
        wait=_wait_for,
        reraise=True,
        **kwargs,
    )
    return retrying(call)


def redact(text: str, *secrets: str) -> str:
    """Remove secrets from a text that may reach a log or an error message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# The one HTTP error map -----------------------------------------------------------------------


class Intent(Enum):
    """What a failed call means for the caller, before it is dressed in a connector's classes."""

    RETRY = "retry"  # nothing was handled: even a write may simply be sent again
    RATE_LIMITED = "rate_limited"
    UNKNOWN_IF_WRITE = "unknown_if_write"  # it may have been handled: a write must be looked up
    AUTH = "auth"
    LOUD = "loud"  # retrying the same call will not help


#: transport failures, first match wins: a connection that never opened (or never came from the
#: pool) sent nothing; any later failure may have reached the platform
TRANSPORT_INTENTS: tuple[tuple[type[httpx.TransportError], Intent], ...] = (
    (httpx.ConnectError, Intent.RETRY),
    (httpx.ConnectTimeout, Intent.RETRY),
    (httpx.PoolTimeout, Intent.RETRY),
    (httpx.UnsupportedProtocol, Intent.LOUD),
    (httpx.TransportError, Intent.UNKNOWN_IF_WRITE),
)


def status_intent(status: int) -> Intent | None:
    """The intent of an HTTP status; None for a success."""
    if 200 <= status < 300:
        return None
    if status == 429:
        return Intent.RATE_LIMITED
    if status in (401, 403):
        return Intent.AUTH
    if status == 408:
        return Intent.RETRY  # the server gave up reading the request, so it handled nothing
    if status >= 500:
        return Intent.UNKNOWN_IF_WRITE
    return Intent.LOUD  # redirects (the configured URL is wrong), other 4xx, 1xx


def transport_intent(exc: httpx.TransportError) -> Intent:
    return next(intent for kind, intent in TRANSPORT_INTENTS if isinstance(exc, kind))


@dataclass(frozen=True)
class ErrorClasses:
    """A connector's own exception class for each intent, so callers catch by intent and logs
    still say which platform answered."""

    platform: str
    retry_later: type[RetryLater]
    rate_limited: type[RateLimited]
    outcome_unknown: type[OutcomeUnknown]
    auth_failed: type[AuthenticationFailed]
    fail_loudly: Callable[..., FailLoudly]  # takes ``status=``

    def error(self, intent: Intent, message: str, *, write: bool, status: int | None = None,
              retry_after: float | None = None) -> ConnectorError:
        if intent is Intent.RATE_LIMITED:
            return self.rate_limited(message, retry_after=retry_after)
        if intent is Intent.RETRY or (intent is Intent.UNKNOWN_IF_WRITE and not write):
            return self.retry_later(message, retry_after=retry_after)
        if intent is Intent.UNKNOWN_IF_WRITE:
            return self.outcome_unknown(message + "; look it up before writing again", retry_after=retry_after)
        if intent is Intent.AUTH:
            return self.auth_failed(message + ": check the credentials and their permissions")
        return self.fail_loudly(message, status=status)

    def for_response(self, response: httpx.Response, *, write: bool, detail: str = "") -> ConnectorError | None:
        """The error an answer stands for, or None for a success. ``detail`` is the platform's
        own short, already redacted reason; the URL's query (which can hold a secret) is left out."""
        intent = status_intent(response.status_code)
        if intent is None:
            return None
        where = f"{response.request.method} {response.request.url.path}"
        what = f"{self.platform} answered {response.status_code} to {where}{detail}"
        if 300 <= response.status_code < 400:
            what += ": redirected, check the configured URL"
        return self.error(intent, what, write=write, status=response.status_code,
                          retry_after=retry_after(response.headers))

    def for_transport(self, exc: httpx.TransportError, *, write: bool) -> ConnectorError:
        """Only the exception's class is named: its text can carry the URL, and so a secret."""
        intent = transport_intent(exc)
        what = f"{self.platform} could not be reached ({type(exc).__name__})"
        if intent is Intent.UNKNOWN_IF_WRITE:
            what = f"no answer from {self.platform} ({type(exc).__name__})"
        elif intent is Intent.LOUD:
            what = f"{self.platform}: the configured URL must start with https:// or http://"
        return self.error(intent, what, write=write)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from ``Retry-After``: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None
