"""Telling operators: e-mail through a real SMTP server, the webhook through a real HTTP server and
through respx; the body signed with the secret; failures named without a credential."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from connectors.notify import SIGNATURE_HEADER, Notice, NotifyFailed, SmtpNotifier, WebhookNotifier, signature

from support.receivers import smtp_server, webhook_server

NOTICE = Notice(subject="[OrderHub] ALERT: review_overdue", text="3 order(s) waiting: #101, #102, #103",
                payload={"key": "review_overdue", "event": "raised", "details": {"count": 3}})


def test_an_email_reaches_the_mail_server_with_the_login_given() -> None:
    with smtp_server() as box:
        SmtpNotifier(host="127.0.0.1", port=box.port, sender="hub@shop.example", to=("ops@shop.example",),
                     user="hub", password=box.password, starttls=False).send(NOTICE)
    assert box.logins == [("hub", box.password)]
    [mail] = box.messages
    assert mail["Subject"] == NOTICE.subject and mail["To"] == "ops@shop.example"
    assert "#101, #102, #103" in mail.get_payload()


def test_a_refused_login_fails_without_showing_the_password() -> None:
    with smtp_server() as box:
        notifier = SmtpNotifier(host="127.0.0.1", port=box.port, sender="hub@shop.example", to=("ops@x.example",),
                                user="hub", password="wrong-pass-9911", starttls=False, timeout=3)
        with pytest.raises(NotifyFailed) as caught:
            notifier.send(NOTICE)
    assert box.messages == []
    assert "wrong-pass-9911" not in str(caught.value)
    assert "wrong-pass-9911" not in repr(notifier)


def test_an_unreachable_mail_server_is_a_failure_to_retry() -> None:
    with smtp_server() as box:
        port = box.port
    with pytest.raises(NotifyFailed):
        SmtpNotifier(host="127.0.0.1", port=port, sender="a@x.example", to=("b@x.example",), starttls=False,
                     timeout=2).send(NOTICE)


def test_the_webhook_gets_the_json_signed_with_the_secret() -> None:
    with webhook_server() as hook:
        WebhookNotifier(url=hook.url, secret="hook-secret-55").send(NOTICE)
    [(headers, body)] = hook.requests
    assert json.loads(body) == NOTICE.payload
    assert headers["content-type"] == "application/json"
    assert headers[SIGNATURE_HEADER.lower()] == signature("hook-secret-55", body)
    assert headers[SIGNATURE_HEADER.lower()] != signature("another-secret", body)


def test_without_a_secret_the_body_goes_unsigned() -> None:
    with webhook_server() as hook:
        WebhookNotifier(url=hook.url).send(NOTICE)
    [(headers, _)] = hook.requests
    assert SIGNATURE_HEADER.lower() not in headers


@respx.mock
def test_a_webhook_that_answers_an_error_fails_without_naming_its_address() -> None:
    url = "https://hooks.example/T0KEN-in-the-path"
    route = respx.post(url).mock(return_value=httpx.Response(500))
    with pytest.raises(NotifyFailed) as caught:
        WebhookNotifier(url=url, secret="s").send(NOTICE)
    assert route.called and "500" in str(caught.value)
    assert "T0KEN" not in str(caught.value)
    sent = route.calls.last.request
    assert sent.headers[SIGNATURE_HEADER] == signature("s", sent.content)


@respx.mock
def test_a_webhook_that_times_out_is_a_failure_to_retry() -> None:
    respx.post("https://hooks.example/x").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(NotifyFailed, match="ReadTimeout"):
        WebhookNotifier(url="https://hooks.example/x").send(NOTICE)
