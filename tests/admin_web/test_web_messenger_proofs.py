"""Payment slips kept in an S3-compatible bucket (moto's server, over HTTP): what a buyer sends
through one admin instance is read by another; a bucket that does not answer fails the buyer's
submission cleanly, stores nothing, and never shows or logs the credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web.app import create_app
from sync import messenger as m
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync.blob_models import StoredBlob
from sync.db import Database
from sync.messenger_models import MessengerOrder, PaymentSlip
from sync.settings import Settings

from support.admin import PASSWORD, Seeded, csrf_of
from support.messenger import BUYER, PNG, new_order, setup_store
from support.s3 import ACCESS_KEY, BUCKET, SECRET_KEY, free_port, objects, raw_client, s3_server, s3_settings

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def _app(db: Database, seeded: Seeded, settings: Settings) -> FastAPI:
    return create_app(db, forward=seeded.forwarder(db), supplier_for=lambda _row: seeded.supplier,
                      sync_now=seeded.synced.append, check_account=seeded.check_account, secret="test-secret",
                      settings=settings)


def _seller(app: FastAPI) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    assert client.post("/signin", data={"username": "boss", "password": PASSWORD, "csrf_token": token}
                       ).status_code == 303
    return client


def _linked(db: Database) -> tuple[int, str]:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        return order_id, links.new_link(s, order_id, actor="user:boss")


def _send(app: FastAPI, db: Database, token: str) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(app, follow_redirects=False)
    page = client.get(f"/m/{token}")
    with db.session() as s:
        method = m.payment_method(s, "Bank transfer").id
    return client, {**BUYER, "payment_method": str(method), "form_token": FORM_TOKEN.search(page.text).group(1)}


def test_a_slip_sent_through_one_instance_is_in_the_bucket_and_read_by_another(
        db: Database, seeded: Seeded, endpoint: str) -> None:
    settings = s3_settings(endpoint)
    order_id, token = _linked(db)
    client, data = _send(_app(db, seeded, settings), db, token)
    before = set(objects(endpoint))
    sent = client.post(f"/m/{token}", data=data, files={"slip": ("my bank slip.png", PNG, "image/png")})
    assert sent.status_code == 303
    with db.session() as s:
        slip = s.query(PaymentSlip).filter(PaymentSlip.order_id == order_id).one()
        assert slip.storage == "s3" and slip.data is None and s.query(StoredBlob).count() == 0
        key = slip.blob_key
    assert set(objects(endpoint)) - before == {key} and "bank" not in key
    assert raw_client(endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read() == PNG

    other = _seller(_app(db, seeded, settings))  # a second instance: nothing shared but the settings
    answer = other.get(f"/messenger/orders/{order_id}/slip")
    assert answer.status_code == 200 and answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert endpoint not in answer.text and "X-Amz" not in str(answer.headers)
    assert TestClient(other.app, follow_redirects=False).get(f"/messenger/orders/{order_id}/slip").status_code == 303


def test_a_bucket_that_does_not_answer_fails_the_submission_and_stores_nothing(
        db: Database, seeded: Seeded, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    order_id, token = _linked(db)
    client, data = _send(_app(db, seeded, s3_settings(f"http://127.0.0.1:{free_port()}")), db, token)
    answer = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", PNG, "image/png")})
    assert answer.status_code == 400 and 'id="error-slip"' in answer.text
    assert "could not be stored just now" in answer.text and 'value="Valencia"' in answer.text
    with db.session() as s:
        assert s.query(PaymentSlip).count() == 0 and s.query(StoredBlob).count() == 0
        current = s.get(MessengerOrder, order_id)
        assert current.submitted_at is None and current.state == "waiting_to_add_info"
        assert links.resolve(s, token) is not None  # the buyer may send again once it answers
    seen = answer.text + caplog.text + "".join(capsys.readouterr())
    assert ACCESS_KEY not in seen and SECRET_KEY not in seen


def test_a_new_slip_after_a_rejection_leaves_the_payment_rejected_when_the_bucket_fails(
        db: Database, seeded: Seeded, endpoint: str) -> None:
    order_id, token = _linked(db)
    client, data = _send(_app(db, seeded, s3_settings(endpoint)), db, token)
    assert client.post(f"/m/{token}", data=data, files={"slip": ("a.png", PNG, "image/png")}).status_code == 303
    with db.session() as s:
        payment.reject(s, order_id, "blurred", actor="user:boss")
    down, _ = _send(_app(db, seeded, s3_settings(f"http://127.0.0.1:{free_port()}")), db, token)
    form_token = FORM_TOKEN.search(down.get(f"/m/{token}").text).group(1)
    answer = down.post(f"/m/{token}/slip", data={"form_token": form_token}, files={"slip": ("b.png", PNG, "image/png")})
    assert answer.status_code == 400 and "could not be stored" in answer.text
    with db.session() as s:
        assert s.query(PaymentSlip).filter(PaymentSlip.order_id == order_id).count() == 1
        assert s.get(MessengerOrder, order_id).payment_state == "rejected"


def test_slips_kept_in_the_database_stay_readable_after_the_bucket_is_configured(
        db: Database, seeded: Seeded, endpoint: str) -> None:
    order_id, _ = _linked(db)
    with db.session() as s:
        payment.upload(s, order_id, PNG, actor="user:boss", settings=s3_settings(endpoint, proofs_s3_bucket=""))
        assert s.query(PaymentSlip).one().storage == "database"
    answer = _seller(_app(db, seeded, s3_settings(endpoint))).get(f"/messenger/orders/{order_id}/slip")
    assert answer.status_code == 200 and answer.content == PNG


def test_a_slip_kept_in_its_own_row_before_the_stores_is_still_served(db: Database, seeded: Seeded,
                                                                      endpoint: str) -> None:
    order_id, _ = _linked(db)
    with db.session() as s:
        s.add(PaymentSlip(order_id=order_id, name="0" * 32, content_type="image/png", size=len(PNG), data=PNG))
    answer = _seller(_app(db, seeded, s3_settings(endpoint))).get(f"/messenger/orders/{order_id}/slip")
    assert answer.status_code == 200 and answer.content == PNG
