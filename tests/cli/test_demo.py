"""``orderhub demo``: a short progress view rather than the pipeline's logs, the same summary on
every run (the figures below, on every shop: Shopify, WooCommerce, Amazon, Shopee), and no folder
left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from admin.cli import main

REPO = Path(__file__).resolve().parents[2]

#: the story told on every run, whatever the number of worker threads
FIGURES = {
    "orders_on_channels": 120, "ingested": 120, "forwarded": 72, "pending_review_orders": 44, "cancelled": 4,
    "shipped": 72, "changed_after_forwarding": 4, "supplier_orders": 93, "duplicates_at_supplier": 0,
    "tracking_pushed": 88, "tracking_not_pushed": 5, "quarantined": 0, "awaiting_payment": 0,
    "pending_review": {"insufficient_wallet": 12, "invalid_postcode": 7, "masked_data": 6, "missing_surname": 7,
                       "out_of_stock": 4, "unknown_sku": 8},
}


def test_the_demo_shows_steps_and_a_table_and_cleans_up(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    made: list[Path] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args: object, **kwargs: object) -> str:
        path = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(Path(path))
        return str(path)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    assert main(["demo", "--threads", "4"]) == 0
    out, err = capsys.readouterr()
    steps = err.strip().splitlines()
    assert len(steps) <= 15, err  # one line per step, not a line per HTTP call
    assert "HTTP Request" not in err and "Traceback" not in err and "failed_for_good" not in err
    rows = {line.strip("│ ").rsplit("│", 1)[0].strip(): line.rsplit("│", 2)[-2].strip()
            for line in out.splitlines() if line.count("│") == 3}
    assert rows["forwarded to the supplier (BigBuy)"] == str(FIGURES["forwarded"])
    # every shop is named with what came from it
    assert {name: rows[f"from {name}"] for name in ("Shopify", "WooCommerce", "Amazon", "Shopee")} == {
        "Shopify": "30", "WooCommerce": "30", "Amazon": "30", "Shopee": "30"}
    assert rows["held for masked_data"] == "6" and rows["held for missing_surname"] == "7"
    assert len(made) == 1 and not made[0].exists()


def test_demo_json_tells_the_same_story_on_every_shop_and_keeps_a_workdir_given(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "admin.cli", "demo", "--json", "--threads", "2",
                           "--workdir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert {key: summary[key] for key in FIGURES} == FIGURES
    expected = summary["expected"]
    assert summary["forwarded"] == expected["forwarded"]
    assert summary["pending_review"]["insufficient_wallet"] == expected["insufficient_wallet"]
    assert summary["forwarded"] + summary["pending_review_orders"] + summary["cancelled"] == summary["ingested"]
    assert summary["ingested_by_channel"] == {"amazon": 30, "shopee": 30, "shopify": 30, "woocommerce": 30}
    by_channel = summary["pending_review_by_channel"]
    assert set(by_channel) == {"shopify", "woocommerce", "amazon", "shopee"}
    # Amazon's one-word recipient name is held for its surname; Shopee's masked buyers are never sent
    assert by_channel["amazon"]["missing_surname"] == 2
    assert by_channel["shopee"]["masked_data"] == 6
    assert "masked_data" not in by_channel["amazon"] and "masked_data" not in by_channel["shopify"]
    assert summary["database"].endswith("orderhub.sqlite3") and (tmp_path / "orderhub.sqlite3").exists()
