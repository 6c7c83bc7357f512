"""``orderhub users`` makes the first main account; ``orderhub admin`` serves the admin alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support import REPO


def orderhub(*args: str, db_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "admin.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "ORDERHUB_DATABASE_URL": db_url}, timeout=60)


def test_users_add_makes_a_main_account_and_refuses_misuse_with_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert orderhub("db", "upgrade", db_url=url).returncode == 0
    made = orderhub("users", "add", "Anna", "--main", "--password-stdin", db_url=url, stdin="a long password\n")
    assert made.returncode == 0 and "main account anna" in made.stdout
    for args, stdin, says in (
            (("users", "add", "anna", "--main", "--password-stdin"), "a long password\n", "already an account"),
            (("users", "add", "bob", "--role", "nope", "--password-stdin"), "a long password\n", "no role named"),
            (("users", "add", "bob", "--password-stdin"), "", "one of the arguments --main --role is required"),
            (("users", "add", "bob", "--main", "--password-stdin"), "short\n", "at least 10 characters"),
            (("users", "add", "bob", "--main"), "", "--password-stdin"),
            (("users", "role", "r", "--permission", "fly"), "", "invalid choice")):
        done = orderhub(*args, db_url=url, stdin=stdin)
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    role = orderhub("users", "role", "clerk", "--permission", "review_orders", db_url=url)
    assert role.returncode == 0
    sub = orderhub("users", "add", "bob", "--role", "clerk", "--password-stdin", db_url=url, stdin="another password\n")
    assert sub.returncode == 0
    listed = orderhub("users", "list", db_url=url).stdout
    assert "anna" in listed and "bob" in listed and "clerk" in listed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_orderhub_admin_on_a_database_not_upgraded_says_what_to_do(tmp_path: Path) -> None:
    done = orderhub("admin", "--port", str(_free_port()), db_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert done.returncode == 2 and "orderhub db upgrade" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_orderhub_admin_serves_the_sign_in_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    assert orderhub("db", "upgrade", db_url=url).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "admin.cli", "admin", "--port", str(port)], cwd=REPO,
                            env={**os.environ, "ORDERHUB_DATABASE_URL": url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/orders", follow_redirects=False)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "orderhub admin did not answer"
                time.sleep(0.1)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
        assert httpx.get(f"http://127.0.0.1:{port}/signin").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
