"""Two operators on one order: the second save of the delivery address or of the shipping method,
made from a page opened before the first, is refused as a lost race (409, what was typed kept),
never written over the first."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.db import Database
from sync.models import Order, OrderEvent

from support.admin import csrf_of

ADDRESS = {"first_name": "Ana", "last_name": "Garcia", "address1": "Calle Mayor 1", "city": "Madrid",
           "postcode": "28001", "country_code": "ES", "phone": "+34600000001"}


def _seen(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def _missing_surname(db: Database) -> int:
    with db.session() as s:
        found = s.scalar(select(Order.id).where(Order.external_id == "101"))
    assert found is not None
    return found


def test_a_second_address_edit_from_an_older_page_is_refused_and_keeps_what_was_typed(
        signed_in: Callable[[str], TestClient], db: Database) -> None:
    boss = signed_in("boss")
    order_id = _missing_surname(db)
    page = boss.get(f"/orders/{order_id}").text
    token, seen = csrf_of(page), _seen(page, "seen")

    boss.follow_redirects = False
    first = boss.post(f"/orders/{order_id}/address", data={**ADDRESS, "csrf_token": token, "seen": seen})
    assert first.status_code == 303
    second = boss.post(f"/orders/{order_id}/address", data={
        **ADDRESS, "last_name": "Lopez", "city": "Sevilla", "csrf_token": token, "seen": seen})

    assert second.status_code == 409
    assert "was changed by someone else after this page was opened" in second.text
    assert 'value="Lopez"' in second.text and 'value="Sevilla"' in second.text  # what was typed
    # each field the second save would change is marked with what it holds now
    assert "now: Garcia" in second.text and "now: Madrid" in second.text and "now: ES" not in second.text
    with db.session() as s:
        order = s.get(Order, order_id)
        assert order is not None and order.shipping_address["last_name"] == "Garcia"
        edits = s.scalars(select(OrderEvent.reason).where(OrderEvent.order_id == order_id,
                                                          OrderEvent.reason.like("delivery address edited%"))).all()
    assert len(edits) == 1 and edits[0].startswith("delivery address edited (")
    named = set(edits[0].removeprefix("delivery address edited (").removesuffix(")").split(", "))
    assert "last_name" in named and "country_code" not in named  # only what changed, not every field sent
    # saving again from the refused page is a choice the operator makes on the order as it is now
    again = boss.post(f"/orders/{order_id}/address", data={
        **ADDRESS, "last_name": "Lopez", "csrf_token": token, "seen": _seen(second.text, "seen")})
    assert again.status_code == 303


def test_a_second_shipping_method_from_an_older_page_is_refused(signed_in: Callable[[str], TestClient],
                                                                 db: Database) -> None:
    boss = signed_in("boss")
    order_id = _missing_surname(db)
    page = boss.get(f"/orders/{order_id}").text
    token, seen = csrf_of(page), _seen(page, "carrier_seen")
    assert boss.post(f"/orders/{order_id}/carrier", data={"carrier": "", "carrier_seen": seen,
                                                          "csrf_token": token}).status_code == 303
    with db.session() as s:
        s.execute(Order.__table__.update().where(Order.__table__.c.id == order_id).values(carrier="gls"))
    late = boss.post(f"/orders/{order_id}/carrier", data={"carrier": "", "carrier_seen": seen, "csrf_token": token})
    assert late.status_code == 409 and "was changed by someone else" in late.text
    with db.session() as s:
        assert s.scalar(select(Order.carrier).where(Order.id == order_id)) == "gls"
