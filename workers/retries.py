"""How a failed message is retried: by the connector error tree, not blindly.

- ``FailLoudly`` (refused credentials, a broken contract) and ``ParseError`` (an unreadable page)
  will fail the same way on every retry: the message fails at once and is logged as an error, so a
  person hears of it now rather than after a week of backoff (dramatiq's ``throws``).
- ``RetryLater`` is retried; when the platform said how long to wait (``retry_after``), that is
  the delay (dramatiq's ``Retry(delay=)``), not the exponential backoff.
- Any other ``ConnectorError`` (a refusal an operator must fix) is not retried: the step has
  already put the order where an operator sees it.
- Anything else (the database restarting, the broker blinking) is transient: retried with backoff.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import dramatiq
import structlog

from connectors.errors import ConnectorError, FailLoudly, ParseError, RetryLater

log = structlog.get_logger(__name__)

#: failures that no retry can cure
FAIL_AT_ONCE: tuple[type[BaseException], ...] = (FailLoudly, ParseError)
MAX_RETRIES = 12
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 120_000
#: a platform asking for a longer pause than this is retried after this; the reconciler covers the rest
MAX_DELAY_MS = 15 * 60 * 1000

F = TypeVar("F", bound=Callable[..., Any])


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, dramatiq.Retry | RetryLater):
        return True
    return not isinstance(exc, ConnectorError)


def retry_when(retries: int, exc: BaseException) -> bool:
    """dramatiq's ``retry_when`` predicate (it replaces ``max_retries``, so the bound is here)."""
    return retries < MAX_RETRIES and retryable(exc)


def delay_ms(exc: RetryLater) -> int | None:
    if exc.retry_after is None:
        return None
    return int(min(max(exc.retry_after, 0.0) * 1000, MAX_DELAY_MS))


def follow_error_tree(fn: F) -> F:
    """Wrap an actor's function: a platform's ``retry_after`` becomes the retry delay, and a
    failure no retry can cure is logged as an error with what the operator should look at."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RetryLater as exc:
            delay = delay_ms(exc)
            if delay is None:
                raise
            raise dramatiq.Retry(f"{exc.__class__.__name__}: {exc}", delay=delay) from exc
        except FAIL_AT_ONCE as exc:
            log.error("worker.failed_for_good", step=fn.__name__, args=list(args),
                      error=f"{exc.__class__.__name__}: {exc}")
            raise

    return run  # type: ignore[return-value]


#: the options every retried actor takes
OPTIONS: dict[str, Any] = {"throws": FAIL_AT_ONCE, "retry_when": retry_when,
                           "min_backoff": MIN_BACKOFF_MS, "max_backoff": MAX_BACKOFF_MS}
