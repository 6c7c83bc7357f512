"""The buyer's public page of a messenger order: reached by its link only, refused alike for any
token that opens nothing, its form protected by a token signed for the link."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync import messenger as m
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync.messenger_models import MessengerOrder, PaymentSlip
from sync.models import Order

from support.admin import Seeded
from support.messenger import BUYER, PNG, new_order, setup_store

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _linked(db, **kwargs) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    setup_store(db)
    order_id = new_order(db, **kwargs)
    with db.session() as s:
        return order_id, links.new_link(s, order_id, actor="user:boss")


def _form(client: TestClient, token: str, db, **changes) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/m/{token}")
    assert page.status_code == 200
    with db.session() as s:
        method = m.payment_method(s, "Bank transfer").id
    data = {**BUYER, "payment_method": str(method), "form_token": FORM_TOKEN.search(page.text).group(1), **changes}
    return {k: v for k, v in data.items() if v is not None}, page.text


def test_the_buyer_sees_the_lines_and_sends_details_with_a_slip(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, page = _form(client, token, db)
    assert "SKU-1" in page and "19.00 EUR" in page and "IBAN ES00 0000" in page
    sent = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", PNG, "image/png")})
    assert sent.status_code == 303 and sent.headers["location"] == f"/m/{token}"
    progress = client.get(f"/m/{token}")
    assert "Waiting for the seller" in progress.text and 'name="form_token"' not in progress.text
    again = client.post(f"/m/{token}", data={**data, "city": "Madrid"}, files={"slip": ("s.png", PNG, "image/png")})
    assert again.status_code == 303  # a second submission changes nothing
    with db.session() as s:
        assert s.get(Order, order_id).shipping_address["city"] == "Valencia"
        assert s.get(MessengerOrder, order_id).state == "waiting_to_approve"
        assert s.query(PaymentSlip).count() == 1


def test_errors_are_shown_beside_their_fields_and_what_was_typed_is_kept(app: FastAPI, db, seeded: Seeded) -> None:
    _, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db, postcode="", city="Valencia <b>")
    answer = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", PNG, "image/png")})
    assert answer.status_code == 400
    assert 'id="error-postcode"' in answer.text and "Valencia &lt;b&gt;" in answer.text
    assert 'value="+34600000001"' in answer.text


def test_an_email_that_is_no_address_is_refused_beside_its_field(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db, email="ana at example")
    answer = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", PNG, "image/png")})
    assert answer.status_code == 400
    assert 'id="error-email"' in answer.text and 'value="ana at example"' in answer.text
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).submitted_at is None


def test_unknown_revoked_expired_and_tampered_tokens_get_one_neutral_page(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    wrong = token[:-2] + ("AA" if not token.endswith("AA") else "BB")  # the right length, not the token
    pages = [client.get(f"/m/{wrong}"), client.get("/m/x"), client.get(f"/m/{token}x")]
    with db.session() as s:
        expired_order = new_order(db)
        expired = links.new_link(s, expired_order, actor="user:boss", lifetime=-links.LIFETIME)
    pages.append(client.get(f"/m/{expired}"))
    with db.session() as s:
        links.revoke(s, order_id, actor="user:boss")
    pages.append(client.get(f"/m/{token}"))
    assert {p.status_code for p in pages} == {404}
    assert len({p.text for p in pages}) == 1 and "not valid" in pages[0].text
    assert "SKU-1" not in pages[0].text


def test_the_form_needs_its_signed_token(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    _, other = _linked_again(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db)
    missing = {k: v for k, v in data.items() if k != "form_token"}
    assert client.post(f"/m/{token}", data=missing).status_code == 403
    assert client.post(f"/m/{token}", data={**data, "form_token": "forged"}).status_code == 403
    # a form token of one link does not post to another link's order
    assert client.post(f"/m/{other}", data=data).status_code == 403
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).submitted_at is None


def _linked_again(db) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    order_id = new_order(db)
    with db.session() as s:
        return order_id, links.new_link(s, order_id, actor="user:boss")


def test_html_or_svg_named_png_and_oversized_slips_are_refused(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db)
    for body in (b"<html><script>alert(1)</script></html>", b'<svg xmlns="http://www.w3.org/2000/svg"/>',
                 PNG + b"\0" * payment.MAX_SLIP_BYTES):
        answer = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", body, "image/png")})
        assert answer.status_code in (400, 413)
        if answer.status_code == 400:
            assert 'id="error-slip"' in answer.text
    with db.session() as s:
        assert s.query(PaymentSlip).count() == 0 and s.get(MessengerOrder, order_id).submitted_at is None


def test_a_slip_past_the_bodys_cap_gets_a_page_that_says_what_to_do(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db)
    answer = client.post(f"/m/{token}", data=data, files={"slip": ("slip.png", PNG + b"\0" * 6_000_000, "image/png")})
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "at most 5 MB" in answer.text and "Back button" in answer.text
    assert "/orders" not in answer.text  # a buyer's page: nothing of the admin
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).submitted_at is None


def test_the_public_page_shows_only_its_own_order(app: FastAPI, db, seeded: Seeded) -> None:
    _, token = _linked(db)
    with db.session() as s:
        other = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 7)], actor="user:boss",
                         can_edit_prices=False, buyer={**BUYER, "first_name": "Zed"})
    client = TestClient(app, follow_redirects=False)
    page = client.get(f"/m/{token}").text
    assert f"M{other:08d}" not in page and "Zed" not in page and "66.50" not in page
    assert client.get(f"/m/{token}/../{other}").status_code == 404


def test_each_address_is_rate_limited(app: FastAPI, db, seeded: Seeded) -> None:
    client = TestClient(app, follow_redirects=False)
    answers = [client.get("/m/nothing").status_code for _ in range(40)]
    assert answers.count(429) >= 10 and 404 in answers


def test_the_slip_is_served_only_to_signed_in_sellers_as_an_attachment(app: FastAPI, db, seeded: Seeded,
                                                                       signed_in) -> None:  # type: ignore[no-untyped-def]
    order_id = _linked(db)[0]
    with db.session() as s:
        payment.upload(s, order_id, PNG, actor="buyer")
    anonymous = TestClient(app, follow_redirects=False).get(f"/messenger/orders/{order_id}/slip")
    assert anonymous.status_code == 303
    assert signed_in("clerk").get(f"/messenger/orders/{order_id}/slip").status_code == 403
    answer = signed_in("boss").get(f"/messenger/orders/{order_id}/slip")
    assert answer.status_code == 200 and answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_after_a_rejection_the_buyer_sends_another_slip_once(app: FastAPI, db, seeded: Seeded) -> None:
    order_id, token = _linked(db)
    client = TestClient(app, follow_redirects=False)
    data, _ = _form(client, token, db)
    assert client.post(f"/m/{token}", data=data, files={"slip": ("a.png", PNG, "image/png")}).status_code == 303
    assert 'action="/m/' + token + '/slip"' not in client.get(f"/m/{token}").text  # pending: nothing to send
    with db.session() as s:
        payment.reject(s, order_id, "the amount is cut off", actor="user:boss")
    page = client.get(f"/m/{token}").text
    assert "the amount is cut off" in page
    form_token = FORM_TOKEN.search(page).group(1)
    bad = client.post(f"/m/{token}/slip", data={"form_token": form_token},
                      files={"slip": ("b.png", b"<svg/>", "image/png")})
    assert bad.status_code == 400 and 'id="error-slip"' in bad.text
    assert client.post(f"/m/{token}/slip", files={"slip": ("b.png", PNG, "image/png")}).status_code == 403
    sent = client.post(f"/m/{token}/slip", data={"form_token": form_token}, files={"slip": ("b.png", PNG, "image/png")})
    assert sent.status_code == 303
    again = client.post(f"/m/{token}/slip", data={"form_token": form_token},
                        files={"slip": ("c.png", PNG, "image/png")})
    assert again.status_code == 400  # pending again: one new slip per rejection
    with db.session() as s:
        assert s.query(PaymentSlip).filter(PaymentSlip.order_id == order_id).count() == 2
        assert s.get(MessengerOrder, order_id).payment_state == "pending"
