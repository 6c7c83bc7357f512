"""How WooCommerce authenticates a REST request (``WC_REST_Authentication``).

Over HTTPS: HTTP Basic with the consumer key and secret, or the two as ``consumer_key`` /
``consumer_secret`` query parameters. Over plain HTTP neither is read: only OAuth 1.0a
one-legged, ``oauth_*`` query parameters signed with HMAC-SHA1 or HMAC-SHA256 over the method, the
URL and every query parameter, keyed ``consumer_secret&``, with a timestamp within 15 minutes and a
nonce not used before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from urllib.parse import quote

from sandbox.server import Request

_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
WINDOW_SECONDS = 15 * 60


def _raw(text: str) -> str:
    return quote(text, safe="-_.~")  # PHP's rawurlencode


class Credentials:
    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self.secret = secret
        self._nonces: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def _matches(self, key: str, secret: str) -> bool:
        key_ok = hmac.compare_digest(key.encode(), self.key.encode())
        return hmac.compare_digest(secret.encode(), self.secret.encode()) and key_ok

    def authorized(self, request: Request, *, https: bool) -> bool:
        if https:
            return self._basic_or_query(request)
        return self._oauth(request)

    def _basic_or_query(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                key, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
        else:  # hosts that drop the Authorization header: the pair in the query string
            key = request.arg("consumer_key") or ""
            secret = request.arg("consumer_secret") or ""
        return self._matches(key, secret)

    def _oauth(self, request: Request) -> bool:
        given = request.arg("oauth_signature")
        method = request.arg("oauth_signature_method") or ""
        nonce = request.arg("oauth_nonce") or ""
        stamp = request.arg("oauth_timestamp") or ""
        if not given or method not in _METHODS or not nonce or not stamp.isdigit():
            return False
        if not hmac.compare_digest((request.arg("oauth_consumer_key") or "").encode(), self.key.encode()):
            return False
        if abs(time.time() - int(stamp)) > WINDOW_SECONDS:
            return False
        # PHP's $_GET keeps one value per name, the last: a client that repeats a parameter
        # (WooCommerce's own Python client does) signs it once
        pairs = sorted((_raw(k).replace("%", "%25"), _raw(values[-1]).replace("%", "%25"))
                       for k, values in request.query.items() if k != "oauth_signature")
        url = f"http://{request.headers.get('host', 'localhost')}{request.path}"
        text = f"{request.method.upper()}&{_raw(url)}&" + "%26".join(f"{k}%3D{v}" for k, v in pairs)
        digest = hmac.new(f"{self.secret}&".encode(), text.encode(), _METHODS[method]).digest()
        if not hmac.compare_digest(base64.b64encode(digest), given.encode()):
            return False
        with self._lock:
            if (nonce, stamp) in self._nonces:
                return False  # a replayed request
            if len(self._nonces) > 50_000:  # a nonce past the window can no longer be replayed
                cutoff = time.time() - WINDOW_SECONDS
                self._nonces = {n for n in self._nonces if int(n[1]) >= cutoff}
            self._nonces.add((nonce, stamp))
        return True
