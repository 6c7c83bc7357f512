"""The sandbox's seed data is data: read from fixtures/sandbox/, carried inside an installed wheel."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from sandbox import catalogue, fixtures

from support import FIXTURES, REPO


def test_fixtures_hold_no_code() -> None:
    assert not [p for p in FIXTURES.rglob("*") if p.suffix in (".py", ".pyc")]


def test_the_sandbox_catalogue_is_the_fixture_file() -> None:
    data = json.loads((FIXTURES / "sandbox" / "catalogue.json").read_text(encoding="utf-8"))
    listed = [p["sku"] for p in data["products"]]
    listed += [v["sku"] for p in data["products"] for v in p.get("variations", [])]
    assert sorted(listed) == sorted(p.sku for p in catalogue.PRODUCTS)


def test_the_seed_folder_can_be_pointed_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "sandbox", tmp_path / "seed")
    monkeypatch.setenv("ORDERHUB_SANDBOX_FIXTURES", str(tmp_path / "seed"))
    assert fixtures.folder() == tmp_path / "seed"
    monkeypatch.setenv("ORDERHUB_SANDBOX_FIXTURES", str(tmp_path / "none"))
    with pytest.raises(FileNotFoundError, match="seed data is missing"):
        fixtures.folder()


def test_a_wheel_installs_the_seed_data_where_the_sandbox_looks(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    built = list(WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))
    names = zipfile.ZipFile(built[0]).namelist()
    data = "orderhub-0.1.0.data/data/share/orderhub/sandbox/"
    assert data + "catalogue.json" in names and data + "people.json" in names
    assert not [n for n in names if n.startswith(("tests/", "fixtures/"))]
