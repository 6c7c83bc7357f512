"""``orderhub channels add|edit --supplier-account``: a channel names the supplier account its
orders go to; a name that is no supplier account is refused in one line with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import REPO


def orderhub(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "admin.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **env}, timeout=60)


def _supplier(name: str, env: dict[str, str]) -> None:
    done = orderhub("channels", "add", name, "--kind", "bigbuy", "--url", f"https://{name}.example",
                    "--credential", "api_key=k", env=env)
    assert done.returncode == 0, done.stderr


def _shop(name: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return orderhub("channels", "add", name, "--kind", "shopify", "--url", f"https://{name}.example",
                    "--credential", "access_token=shpat_x", *extra, env=env)


def test_a_channel_names_its_supplier_account_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.sqlite3'}"}
    assert orderhub("db", "upgrade", env=env).returncode == 0
    _supplier("bb-one", env)
    assert _shop("first", env).returncode == 0  # one account: nothing to name
    _supplier("bb-two", env)
    unnamed = _shop("second", env)
    assert unnamed.returncode == 2 and "Traceback" not in unnamed.stderr
    assert unnamed.stderr.strip().splitlines()[-1].endswith(
        "name the supplier account this channel forwards to: one of bb-one, bb-two")
    wrong = _shop("second", env, "--supplier-account", "first")
    assert wrong.returncode == 2 and "'first' is no supplier account" in wrong.stderr
    added = _shop("second", env, "--supplier-account", "bb-two")
    assert added.returncode == 0, added.stderr
    assert "forwarding to bb-two" in added.stdout
    moved = orderhub("channels", "edit", "second", "--supplier-account", "bb-one", env=env)
    assert moved.returncode == 0, moved.stderr
    silly = orderhub("channels", "edit", "bb-one", "--supplier-account", "bb-two", env=env)
    assert silly.returncode == 2 and "bigbuy has no setting 'supplier_account'" in silly.stderr
    listed = json.loads(orderhub("channels", "list", "--json", env=env).stdout)
    assert {d["name"]: d["supplier_account"] for d in listed} == {
        "bb-one": None, "first": "bb-one", "bb-two": None, "second": "bb-one"}
