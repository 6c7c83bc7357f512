from __future__ import annotations

from decimal import Decimal

import pytest

from sync import customer_book as book
from sync import prices
from sync.customer_models import TieredPrice, WholesalePrice
from sync.fields import FieldError

from support.customers import add_channel, buyer_order, ingest

CSV_TIERED = "sku,level,price\nSKU-1,VIP,8.00\nSKU-1,Wholesale,7.50\n"
CSV_WHOLESALE = "sku,min_quantity,max_quantity,price\nSKU-1,1,9,9.50\nSKU-1,10,49,9.00\nSKU-1,50,,8.25\n"


def _setup(db) -> int:
    with db.session() as s:
        prices.add_level(s, "VIP")
        prices.add_level(s, "Wholesale")
        prices.import_csv(s, CSV_TIERED)
        prices.import_csv(s, CSV_WHOLESALE)
        vip = book.add(s, {"first_name": "Ana", "level": "VIP"})
        return vip.id


def test_the_lookup_takes_manual_then_tiered_for_the_level_then_wholesale_for_the_quantity(db) -> None:
    vip = _setup(db)
    with db.session() as s:
        plain = book.add(s, {"first_name": "Bo"}).id
        assert prices.price_for(s, "SKU-1", vip, 3, manual=Decimal("6.00")) == prices.Quote(Decimal("6.00"), "manual")
        assert prices.price_for(s, "SKU-1", vip, 100) == prices.Quote(Decimal("8.00"), "tiered")
        assert prices.price_for(s, "SKU-1", plain, 1) == prices.Quote(Decimal("9.50"), "wholesale")
        assert prices.price_for(s, "SKU-1", plain, 10) == prices.Quote(Decimal("9.00"), "wholesale")
        assert prices.price_for(s, "SKU-1", None, 49).price == Decimal("9.00")
        assert prices.price_for(s, "SKU-1", None, 5000).price == Decimal("8.25")
        assert prices.price_for(s, "SKU-2", vip, 1) == prices.Quote(None, "none")


def test_a_bad_csv_imports_nothing_and_names_its_line(db) -> None:
    with db.session() as s:
        prices.add_level(s, "VIP")
        with pytest.raises(FieldError, match="line 3"):
            prices.import_csv(s, "sku,level,price\nSKU-1,VIP,8.00\nSKU-2,Gold,7.00\n")
        with pytest.raises(FieldError, match="line 3.*overlaps"):
            prices.import_csv(s, "sku,min_quantity,max_quantity,price\nA,1,10,5.00\nA,5,20,4.00\n")
        with pytest.raises(FieldError, match="amount"):
            prices.import_csv(s, "sku,level,price\nSKU-1,VIP,8.005\n")
        with pytest.raises(FieldError, match="header"):
            prices.import_csv(s, "sku;price\nA;1\n")
        assert s.query(TieredPrice).count() == 0 and s.query(WholesalePrice).count() == 0


def test_the_customers_last_unit_price_for_a_sku(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", total="20.00", unit_price="10.00", placed=1),
           buyer_order("2", total="24.00", unit_price="12.00", placed=9), buyer_order("3", sku="SKU-2", placed=20))
    with db.session() as s:
        customer = book.find(s, "CN00000001")
        assert prices.last_unit_price(s, "SKU-1", customer.id) == Decimal("12.00")
        assert prices.last_unit_price(s, "SKU-9", customer.id) is None


def test_a_customers_level_is_checked(db) -> None:
    _setup(db)
    with db.session() as s:
        with pytest.raises(FieldError, match="level"):
            book.add(s, {"first_name": "Cy", "level": "Gold"})
        with pytest.raises(FieldError, match="exists"):
            prices.add_level(s, "VIP")
