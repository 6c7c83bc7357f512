"""Telling operators: an e-mail over SMTP, and a JSON POST to a webhook. Both have explicit
timeouts, and a failure is one ``NotifyFailed`` whose message names what went wrong, never a
password, a secret or the webhook's address (which can carry a token)."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

from connectors.http import make_client

#: the header that carries ``sha256=<hex HMAC-SHA256 of the body>`` when the webhook has a secret
SIGNATURE_HEADER = "X-OrderHub-Signature"
WEBHOOK_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
SMTP_TIMEOUT_SECONDS = 15.0


class NotifyFailed(Exception):
    """A notice did not reach its destination; it is tried again later."""


@dataclass(frozen=True)
class Notice:
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SmtpNotifier:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    timeout: float = SMTP_TIMEOUT_SECONDS
    destination: str = "email"

    def send(self, notice: Notice) -> None:
        message = EmailMessage()
        message["Subject"] = notice.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message.set_content(notice.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # the server's code and class only: its text may echo what the client sent
            raise NotifyFailed(f"the mail server answered {exc.smtp_code} ({type(exc).__name__})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyFailed(f"the mail server could not be reached or refused: {type(exc).__name__}") from None


@dataclass(frozen=True)
class WebhookNotifier:
    url: str = field(repr=False)
    secret: str = field(default="", repr=False)
    timeout: httpx.Timeout = field(default_factory=lambda: WEBHOOK_TIMEOUT)
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    destination: str = "webhook"

    def send(self, notice: Notice) -> None:
        body = json.dumps(notice.payload, sort_keys=True, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        try:
            with make_client("", timeout=self.timeout, transport=self.transport) as client:
                answer = client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifyFailed(f"the webhook could not be reached: {type(exc).__name__}") from None
        if not answer.is_success:
            raise NotifyFailed(f"the webhook answered {answer.status_code}")


def signature(secret: str, body: bytes) -> str:
    """What a receiver compares the signature header with."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
