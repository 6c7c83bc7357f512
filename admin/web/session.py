"""Sessions in a signed cookie (nothing kept in the process), and the CSRF token each one carries.

The cookie holds the account id, the account's session epoch (a password change or a disabled
account ends every older session) and a random CSRF token that every form and htmx request sends
back. Anonymous visitors get a cookie too, so the sign-in form is protected the same way."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "orderhub_session"
MAX_AGE = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebSession:
    account_id: int | None = None
    epoch: int = 0
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    changed: bool = True

    def sign_in(self, account_id: int, epoch: int) -> None:
        # a new token at sign-in: one learnt before cannot be replayed into this session
        self.account_id, self.epoch, self.csrf, self.changed = account_id, epoch, secrets.token_urlsafe(24), True

    def sign_out(self) -> None:
        self.account_id, self.epoch, self.csrf, self.changed = None, 0, secrets.token_urlsafe(24), True

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), str(token).encode())


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="orderhub.session")

    def load(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data: dict[str, Any] = self.serializer.loads(raw, max_age=MAX_AGE)
                return WebSession(account_id=data.get("a"), epoch=int(data.get("e", 0)), csrf=str(data["c"]),
                                  changed=False)
            except (BadSignature, KeyError, TypeError, ValueError):
                pass
        return WebSession()

    def store(self, request: Request, response: Response, session: WebSession) -> None:
        if not session.changed:
            return
        value = self.serializer.dumps({"a": session.account_id, "e": session.epoch, "c": session.csrf})
        response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
