"""One request to the wc/v3 API: pacing, error mapping and JSON decoding in one place."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.errors import RateLimited
from connectors.http import with_retries
from connectors.ratelimit import Pacer
from connectors.woocommerce.errors import ERRORS, WooParseError, WooRequestRejected, for_response

API = "/wp-json/wc/v3"


class WooClient:
    """Wraps the connector's httpx client. ``auth_params`` is set only for query-string auth
    (for hosts whose web server drops the ``Authorization`` header)."""

    def __init__(
        self,
        http: httpx.Client,
        pacer: Pacer,
        *,
        auth_params: dict[str, str] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        attempts: int = 4,
    ) -> None:
        self.http = http
        self.pacer = pacer
        self.auth_params = auth_params or {}
        self.sleep = sleep
        self.attempts = attempts

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """One attempt, no retry. Raises the connector's error for anything but a 2xx."""
        write = method not in ("GET", "HEAD")
        merged = {**(params or {}), **self.auth_params}
        self.pacer.wait()
        try:
            response = self.http.request(method, API + path, params=merged or None, json=json)
        except httpx.InvalidURL:
            raise WooRequestRejected("the shop URL is not a valid URL") from None
        except httpx.TransportError as exc:
            # ``from None``: httpx's own exception holds the request URL, which can hold the secret
            raise ERRORS.for_transport(exc, write=write) from None
        error = for_response(response, write=write)
        if error is not None:
            if isinstance(error, RateLimited) and error.retry_after:
                self.pacer.hold_until(time.time() + error.retry_after)
            raise error
        return response

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> tuple[Any, httpx.Response]:
        response = self.send(method, path, params=params, json=json)
        return decode(response), response

    def get(self, path: str, params: dict[str, str] | None = None) -> tuple[Any, httpx.Response]:
        """A GET, retried on transient failures (bounded by ``http.with_retries``)."""
        return self.retrying(lambda: self.call("GET", path, params=params))

    def retrying(self, call: Callable[[], Any]) -> Any:
        """Repeat ``call`` on ``RetryLater``: only for calls that are safe to repeat."""
        return with_retries(call, attempts=self.attempts, sleep=self.sleep)


def decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        # WordPress hosts answer HTML (maintenance pages, WAF challenges) with a 200 too
        raise WooParseError(f"woocommerce: the {response.status_code} answer is not JSON") from None
