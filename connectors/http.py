"""The one place HTTP clients are made: explicit timeouts, and retries that always stop."""

from __future__ import annotations

from collections.abc import Callable
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

from connectors.errors import RetryLater

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
USER_AGENT = "orderhub/0.1"


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
        transport=transport,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
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
