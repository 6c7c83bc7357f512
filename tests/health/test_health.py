"""``orderhub health`` against the sandbox stack: every check answers, and a channel whose
credentials are wrong turns the whole report (and the exit code) to failure, without printing
the credential."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from admin import commands
from admin import stack as sandbox_stack
from admin.cli import build_parser
from sync.models import Channel
from workers import health

from support import REDIS_URL

WRONG_TOKEN = "shpat_definitely_not_the_token_0123"


@pytest.fixture
def stack() -> Iterator[sandbox_stack.SandboxStack]:
    running = sandbox_stack.start()
    yield running
    running.stop()


def main(argv: list[str]) -> int:
    """The command as ``orderhub`` runs it, minus the logging set-up (which would bind the log to
    this test's captured stderr, closed once the test ends)."""
    return commands.dispatch(build_parser().parse_args(argv))


def _health(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["health", "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def test_everything_reachable_is_healthy(db, stack, capsys) -> None:
    sandbox_stack.register(db, stack)
    code, report = _health(capsys)
    assert code == 0, report
    assert report["ok"] is True
    names = set(report["checks"])
    assert {"database", "broker", "channel:shopify-sandbox", "channel:woocommerce-sandbox",
            "supplier:bigbuy-sandbox"} <= names
    assert all(c["ok"] for c in report["checks"].values())
    assert "purse" in report["checks"]["supplier:bigbuy-sandbox"]["detail"]


def test_wrong_channel_credentials_make_it_unhealthy_without_showing_them(db, stack, capsys) -> None:
    sandbox_stack.register(db, stack)
    with db.session() as s:
        s.execute(update(Channel).where(Channel.name == "shopify-sandbox")
                  .values(credentials={"access_token": WRONG_TOKEN}))
    code, report = _health(capsys)
    assert code == 1
    assert report["ok"] is False
    shopify = report["checks"]["channel:shopify-sandbox"]
    assert shopify["ok"] is False and shopify["detail"]
    assert report["checks"]["channel:woocommerce-sandbox"]["ok"] is True  # the others still answer
    assert report["checks"]["database"]["ok"] is True
    assert WRONG_TOKEN not in json.dumps(report)


def test_the_plain_output_says_which_check_failed(db, stack, capsys) -> None:
    sandbox_stack.register(db, stack)
    with db.session() as s:
        s.execute(update(Channel).where(Channel.name == "bigbuy-sandbox").values(credentials={"api_key": "nope"}))
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  supplier:bigbuy-sandbox" in out and "unhealthy" in out
    assert "nope" not in out


def test_broker_check() -> None:
    assert health.broker("").ok and "embedded" in health.broker("").detail
    down = health.broker("redis://user:secret@127.0.0.1:1/0", timeout=1.0)
    assert not down.ok and "secret" not in down.detail
    if REDIS_URL:
        assert health.broker(REDIS_URL).ok


def test_a_worker_serves_metrics_and_healthz_on_its_port(db) -> None:
    import socket

    import httpx

    from workers import exposition

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exposition.serve(port, "127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    metrics = httpx.get(f"{base}/metrics", timeout=10)
    assert metrics.status_code == 200 and "orderhub_orders_ingested_total" in metrics.text
    health = httpx.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["ok"] is True and set(health.json()["checks"]) == {"database", "broker"}
