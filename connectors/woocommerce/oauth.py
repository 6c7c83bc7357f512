"""OAuth 1.0a "one-legged" signing, as the WooCommerce REST API requires over plain ``http://``.

WooCommerce accepts HTTP Basic (or the key pair in the query string) only over HTTPS; over HTTP it
reads ``oauth_*`` query parameters and checks an HMAC signature of the method, the URL and every
query parameter (``WC_REST_Authentication::check_oauth_signature``), with ``consumer_secret&`` as
the key, a timestamp within 15 minutes and a nonce never used before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Generator, Iterable
from urllib.parse import quote

import httpx

METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def _encode(text: str) -> str:
    """PHP's ``rawurlencode``: every byte but ``A-Za-z0-9-_.~`` percent-encoded."""
    return quote(text, safe="-_.~")


def base_string(method: str, base_url: str, params: Iterable[tuple[str, str]]) -> str:
    # WooCommerce encodes each key and value, sorts by key, joins them with an encoded "=" and
    # "&", and so encodes the encoded pairs a second time ("%" becomes "%25")
    pairs = sorted((_encode(k).replace("%", "%25"), _encode(v).replace("%", "%25")) for k, v in params)
    query = "%26".join(f"{k}%3D{v}" for k, v in pairs)
    return f"{method.upper()}&{_encode(base_url)}&{query}"


def signature(secret: str, text: str, method: str = "HMAC-SHA256") -> str:
    digest = hmac.new(f"{secret}&".encode(), text.encode(), METHODS[method]).digest()
    return base64.b64encode(digest).decode()


def base_url(url: httpx.URL) -> str:
    """Scheme, host, port (when not the scheme's own) and path: what WooCommerce signs."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


class OAuth1(httpx.Auth):
    """Signs each request with ``oauth_*`` query parameters (no ``Authorization`` header)."""

    def __init__(self, consumer_key: str, consumer_secret: str, *, method: str = "HMAC-SHA256",
                 clock: Callable[[], float] = time.time) -> None:
        if method not in METHODS:
            raise ValueError(f"oauth signature method must be one of {', '.join(METHODS)}")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.method = method
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        params = [(k, v) for k, v in request.url.params.multi_items() if not k.startswith("oauth_")]
        params += [
            ("oauth_consumer_key", self.consumer_key),
            ("oauth_nonce", secrets.token_hex(16)),  # fresh on every attempt: WooCommerce refuses a reused one
            ("oauth_signature_method", self.method),
            ("oauth_timestamp", str(int(self.clock()))),
        ]
        text = base_string(request.method, base_url(request.url), params)
        params.append(("oauth_signature", signature(self.consumer_secret, text, self.method)))
        request.url = request.url.copy_with(params=params)
        yield request
