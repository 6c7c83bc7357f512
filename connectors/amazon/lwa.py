"""Login with Amazon: SP-API calls carry an access token (``x-amz-access-token``) that lasts an
hour and is obtained from the seller's refresh token; no request signing is needed.

One refresh at a time for an account: under a Redis lock (and with the token kept in Redis for
its lifetime) when a Redis URL is configured, so that workers on several machines refresh once
between them; under an in-process lock otherwise. A token is refreshed ``margin`` seconds before
it expires, so no call leaves with one that dies on the way.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

import httpx
from redis.exceptions import LockError

from connectors.amazon.errors import ERRORS, AmazonAuthError, AmazonGrantRevoked, AmazonUnavailable
from connectors.http import redact

TOKEN_URL = "https://api.amazon.com/auth/o2/token"


class TokenStore(Protocol):
    def get(self) -> tuple[str, float] | None:
        """(access token, expiry as epoch seconds) when one is kept."""

    def put(self, token: str, expires_at: float) -> None: ...

    def drop(self, token: str) -> None: ...

    def lock(self) -> Any:
        """A context manager held while refreshing."""


class LocalTokens:
    def __init__(self) -> None:
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[str, float] | None:
        return self._token

    def put(self, token: str, expires_at: float) -> None:
        self._token = (token, expires_at)

    def drop(self, token: str) -> None:
        if self._token is not None and self._token[0] == token:
            self._token = None

    def lock(self) -> Any:
        return self._lock


class RedisTokens:
    """The token is kept under a key derived from the grant (never the grant itself)."""

    def __init__(self, url: str, grant: str, *, lock_seconds: float = 30.0) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._key = "orderhub:lwa:" + hashlib.sha256(grant.encode()).hexdigest()[:24]
        self._lock_seconds = lock_seconds

    def get(self) -> tuple[str, float] | None:
        found = self._client.hmget(self._key, "token", "expires_at")
        if not found or found[0] is None or found[1] is None:
            return None
        token = found[0]
        return token.decode() if isinstance(token, bytes) else str(token), float(found[1])

    def put(self, token: str, expires_at: float) -> None:
        self._client.hset(self._key, mapping={"token": token, "expires_at": repr(expires_at)})
        self._client.expireat(self._key, int(expires_at) + 1)

    def drop(self, token: str) -> None:
        current = self.get()
        if current is not None and current[0] == token:
            self._client.delete(self._key)

    @contextmanager
    def lock(self) -> Iterator[None]:
        lock = self._client.lock(self._key + ":refresh", timeout=self._lock_seconds,
                                 blocking_timeout=self._lock_seconds + 5)
        if not lock.acquire():
            raise AmazonUnavailable("another worker is still refreshing the Amazon access token")
        try:
            yield
        finally:
            # a lock that expired meanwhile is released already: the token is stored all the same
            with suppress(LockError):
                lock.release()


class LoginWithAmazon:
    def __init__(self, client: httpx.Client, *, token_url: str, client_id: str, client_secret: str,
                 refresh_token: str, store: TokenStore, margin: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._token_url = token_url
        self._form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                      "client_id": client_id, "client_secret": client_secret}
        self._secrets = (refresh_token, client_secret)
        self._store = store
        self._margin = margin
        self._clock = clock
        self.refreshes = 0

    def _fresh(self) -> str | None:
        kept = self._store.get()
        if kept is not None and kept[1] - self._margin > self._clock():
            return kept[0]
        return None

    def access_token(self) -> str:
        token = self._fresh()
        if token is not None:
            return token
        with self._store.lock():
            # another thread or worker may have refreshed while this one waited
            token = self._fresh()
            if token is None:
                token, lifetime = self._refresh()
                self._store.put(token, self._clock() + lifetime)
            return token

    def refused(self, token: str) -> None:
        """Amazon refused this token (expired early, or revoked): the next call refreshes."""
        self._store.drop(token)

    def _refresh(self) -> tuple[str, float]:
        self.refreshes += 1
        try:
            response = self._client.post(self._token_url, data=self._form,
                                         headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise ERRORS.for_transport(exc, write=False) from None
        body = _json(response)
        if response.status_code == 200:
            token = body.get("access_token")
            lifetime = body.get("expires_in", 3600)
            if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
                raise AmazonAuthError("Login with Amazon answered 200 without an access token")
            return token, float(lifetime)
        error = str(body.get("error") or "")
        if error == "invalid_grant":
            raise AmazonGrantRevoked(
                "Login with Amazon refused the refresh token (invalid_grant): the seller revoked "
                "the authorisation or it is wrong; authorise the app again and set the new refresh_token")
        if error in ("invalid_client", "unauthorized_client"):
            raise AmazonAuthError(f"Login with Amazon refused the client ({error}): check client_id and client_secret")
        detail = redact(str(body.get("error_description") or error)[:200], *self._secrets)
        failure = ERRORS.for_response(response, write=False, detail=f": {detail}" if detail else "")
        raise failure or AmazonAuthError("Login with Amazon answered without an access token")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
