"""``orderhub demo``: a short progress view rather than the pipeline's logs, the same summary on
every run, and no folder left behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from admin import demo
from admin.cli import main
from sandbox import seeding


def test_the_demo_tells_the_same_story_every_time_and_cleans_up(monkeypatch: pytest.MonkeyPatch,
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
    assert "HTTP Request" not in err and "Traceback" not in err
    assert "forwarded to the supplier" in out

    first = demo.run(threads=4)
    second = demo.run(threads=2)
    assert first == second
    scenario = seeding.Scenario()
    # the wallet pays for the first pull's clean orders; the orders paid later wait for a top-up
    assert first["forwarded"] == demo.first_round(scenario)
    assert first["pending_review"]["insufficient_wallet"] == scenario.paid_later * demo.SHOPS
    assert first["changed_after_forwarding"] == scenario.edited_after * demo.SHOPS
    assert first["duplicates_at_supplier"] == 0
    assert len(made) == 3 and not any(path.exists() for path in made)


def test_a_workdir_given_is_kept(tmp_path: Path) -> None:
    summary = demo.run(workdir=tmp_path, threads=2)
    assert summary["database"].endswith("orderhub.sqlite3")
    assert (tmp_path / "orderhub.sqlite3").exists()
