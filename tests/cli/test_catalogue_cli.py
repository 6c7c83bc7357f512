"""``orderhub catalogue map|import``: mappings are checked whole; a bad file imports nothing and
names every bad line; misuse exits 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from admin.cli import main
from sync.db import Database
from sync.models import CatalogueItem, Channel, SupplierProduct


@pytest.fixture(autouse=True)
def _logs_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # main() points structlog at sys.stderr, which is capsys's stream here and is closed after the
    # test: later tests' worker threads would log into a closed file
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)


def _count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(CatalogueItem)) or 0)


def _sold(db: Database, *skus: str) -> None:
    with db.session() as s:
        sup = Channel(name="bb", kind="bigbuy", role="supplier", url="http://bb.invalid")
        s.add(sup)
        s.flush()
        s.add_all([SupplierProduct(supplier_id=sup.id, sku=sku, product_id=sku[1:], stock=1) for sku in skus])


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_line(db: Database, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _sold(db, "S1", "S2")
    path = tmp_path / "map.csv"
    path.write_text("channel_sku,supplier_sku\nLAMP,S1\nHOSE\nMUG,S2\n" + "X" * 101 + ",S1\nLAMP,S2\nCUP,S9\n",
                    encoding="utf-8")
    assert main(["catalogue", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing imported" in err
    for line in ("line 3:", "line 5:", "line 6:", "line 7:"):
        assert line in err, err
    assert "line 2:" not in err and "line 4:" not in err
    assert _count(db) == 0


def test_a_good_csv_is_imported_as_operators_mappings(db: Database, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _sold(db, "S1", "S2")
    path = tmp_path / "map.csv"
    path.write_text("\ufeffLAMP,S1\n\nMUG , S2\n", encoding="utf-8")
    assert main(["catalogue", "import", str(path)]) == 0
    assert "2 mappings imported" in capsys.readouterr().out
    with db.session() as s:
        assert {(i.sku, i.supplier_sku, i.source) for i in s.scalars(select(CatalogueItem))} == {
            ("LAMP", "S1", "manual"), ("MUG", "S2", "manual")}


def test_map_checks_its_input(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue", "map", "LAMP", " "]) == 2
    assert "supplier SKU is empty" in capsys.readouterr().err
    _sold(db, "S1")
    assert main(["catalogue", "map", "LAMP", "S404"]) == 2
    assert "sells no 'S404'" in capsys.readouterr().err
    assert main(["catalogue", "map", "LAMP", "S1"]) == 0
    assert _count(db) == 1


def test_an_import_of_a_missing_file_is_one_line(db: Database, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue", "import", str(tmp_path / "nope.csv")]) == 2
    assert capsys.readouterr().err.startswith("orderhub: no such file")


def test_a_sync_without_a_supplier_is_one_line(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue", "sync"]) == 2
    assert "no supplier account" in capsys.readouterr().err
