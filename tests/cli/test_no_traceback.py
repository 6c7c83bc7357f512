"""No Python traceback reaches an operator: whatever the arguments, the environment or the
terminal, the command ends with exit code 0, 1 or 2 and at most one line on stderr when it fails.
Driven in-process through ``main(argv)``; a real process only where the terminal itself is tested."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dramatiq.brokers.stub import StubBroker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin.cli import main
from sync import db as db_module
from sync.db import Database, use_database
from sync.settings import get_settings
from workers import actors

from support import REPO


def _call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's --help and --version end this way, as in a shell
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _one_clear_line(argv: list[str], needle: str) -> None:
    code, _, err = _call(argv)
    lines = err.strip().splitlines()
    assert code == 2, (argv, err)
    assert len(lines) == 1 and needle in lines[0], (argv, err)
    assert "Traceback" not in err


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings and the default database read again from the environment this test sets."""
    def forget() -> None:
        get_settings.cache_clear()
        db_module._default.cache_clear()
        use_database(None)

    forget()
    monkeypatch.delenv("ORDERHUB_BROKER_URL", raising=False)
    yield monkeypatch
    monkeypatch.undo()
    forget()


@pytest.mark.parametrize("url, needle", [
    ("nonsense", "ORDERHUB_DATABASE_URL is not a database URL"),
    ("mysql://u@127.0.0.1/x", "ORDERHUB_DATABASE_URL"),
    ("postgresql+psycopg://postgres@127.0.0.1:1/x", "cannot use the database"),
])
def test_a_bad_database_url_is_one_line(environment, url: str, needle: str) -> None:
    environment.setenv("ORDERHUB_DATABASE_URL", url)
    _one_clear_line(["orders", "list"], needle)


def test_a_database_nobody_migrated_says_to_upgrade(environment, tmp_path: Path) -> None:
    environment.setenv("ORDERHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    for argv in (["orders", "list"], ["channels", "list"], ["serve"]):
        _one_clear_line(argv, "run `orderhub db upgrade`")


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_need_a_shared_broker(environment, command: str) -> None:
    _one_clear_line([command], "set ORDERHUB_BROKER_URL")
    _one_clear_line([command], "orderhub serve")


@pytest.mark.parametrize("argv, needle", [
    (["orders", "show", str(10**30)], "an order id"),
    (["orders", "show", "-1"], "an order id"),
    (["orders", "resubmit", "1", "99999999999999999999999"], "an order id"),
    (["orders", "list", "--limit", "0"], "positive"),
    (["worker", "--threads", "-1"], "number of threads"),
    (["serve", "--threads", "0"], "number of threads"),
    (["demo", "--threads", "-3"], "number of threads"),
    (["worker", "--metrics-port", "70000"], "port number"),
    (["sandbox", "--latency-ms", "-1"], "milliseconds"),
    (["sandbox", "--http-429-rate", "2"], "between 0 and 1"),
    (["sandbox", "--http-5xx-rate", "nan"], "finite"),
    (["sandbox", "--rate-per-second", "-1"], "requests per second"),
    (["sandbox", "--rate-per-second", "inf"], "finite"),
    (["sandbox", "--shopify-port", "70000"], "port number"),
    (["sandbox", "--seed", "-1"], "seed"),
    (["sandbox", "--burst-429", "-2"], "count"),
    (["sandbox", "--wallet", "-5"], "--wallet"),
    (["sandbox", "--wallet", "NaN"], "--wallet"),
])
def test_numbers_out_of_range_are_one_line(sqlite_db: Database, argv: list[str], needle: str) -> None:
    _one_clear_line(argv, needle)


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_clear_line(["sandbox", "--bigbuy-port", str(port)], "cannot serve the sandbox")


def test_deeply_nested_json_is_one_line(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    code, _, err = _call(["inspect", "shopify", str(path)])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_closed_pipe_is_one_line(tmp_path: Path) -> None:
    """``orderhub channels list | head -0``: the reader is gone before anything is written."""
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "PATH": "/usr/bin:/bin"}
    assert subprocess.run([sys.executable, "-m", "admin.cli", "db", "upgrade"], env=env, cwd=REPO,
                          capture_output=True).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "admin.cli", "--help"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


# Arbitrary arguments ---------------------------------------------------------------------

#: commands that do not run until interrupted, reach no network and read no arbitrary file
HEADS = [[], ["db"], ["orders"], ["orders", "list"], ["orders", "show"], ["orders", "find"],
         ["orders", "resubmit"], ["orders", "mark-sent"], ["orders", "edit"], ["orders", "carrier"],
         ["orders", "acknowledge"], ["orders", "cancel"], ["channels"], ["channels", "list"],
         ["channels", "add"], ["channels", "edit"], ["channels", "disable"], ["channels", "enable"],
         ["channels", "remove"], ["frobnicate"]]
FLAGS = ["--json", "--status", "--issue", "--channel", "--limit", "--reference", "--set", "--note", "--kind",
         "--url", "--role", "--credential", "--setting", "--unset", "--rename", "--reason", "--threads", "-h", "--"]
tokens = st.one_of(
    st.sampled_from(FLAGS),
    st.text(max_size=30),
    st.integers().map(str),
    st.integers(min_value=10**18, max_value=10**40).map(str),
    st.sampled_from(["shopify", "woocommerce", "bigbuy", "channel", "supplier", "pending_review",
                     "insufficient_wallet", "https://shop.example", "http://[::1", "access_token=t",
                     "pull_every_seconds=60", "phone=+34600000000", "country_code=XX", "email=a@b"]),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["pull_every_seconds", "carriers", "x", "phone"]),
              st.one_of(st.text(max_size=20), st.integers(min_value=0, max_value=50_000).map(lambda n: "[" * n))),
)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}")
    database.create_all()
    broker = StubBroker()
    broker.emit_after("process_boot")
    actors.install(broker)
    yield database
    broker.close()
    database.dispose()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=st.sampled_from(HEADS), rest=st.lists(tokens, max_size=6))
def test_arbitrary_arguments_never_show_a_traceback(fuzz_db: Database, head: list[str], rest: list[str]) -> None:
    use_database(fuzz_db)
    try:
        code, out, err = _call(head + rest)
    finally:
        use_database(None)
    assert code in (0, 1, 2), (head + rest, code, err)
    assert "Traceback" not in err and "Traceback" not in out
    if code != 0:
        assert len(err.strip().splitlines()) <= 1, (head + rest, err)
    if code == 0 and "--json" in rest and out.strip() and "-h" not in rest:
        json.loads(out.strip().splitlines()[-1])


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _one_clear_line(["demo", "--workdir", str(blocker / "inside")], "cannot use")
