"""What a new operator meets on a first run: the next step after adding a supplier, and logs
that never show a credential a request carried in its query."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **env}, timeout=60)


def test_adding_a_supplier_says_to_read_its_catalogue_before_the_first_pull(tmp_path: Path) -> None:
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'first.sqlite3'}"}
    upgraded = _run("-m", "admin.cli", "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    # what the migrations do, without alembic's announcement of each of its plugins
    assert "Running upgrade" in upgraded.stderr and "setup plugin" not in upgraded.stderr
    added = _run("-m", "admin.cli", "channels", "add", "bigbuy", "--kind", "bigbuy", "--url",
                 "https://api.bigbuy.example", "--credential", "api_key=bb_x", env=env)
    assert added.returncode == 0, added.stderr
    assert "orderhub catalogue sync" in added.stdout
    shop = _run("-m", "admin.cli", "channels", "add", "shop", "--kind", "shopify", "--url",
                "https://shop.example", "--credential", "access_token=shpat_x", env=env)
    assert shop.returncode == 0 and "catalogue sync" not in shop.stdout


def test_request_urls_with_a_credential_in_the_query_are_not_logged() -> None:
    script = (
        "import httpx\n"
        "from admin.logs import configure\n"
        "configure('DEBUG')\n"
        "with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as c:\n"
        "    c.get('https://shop.example/wp-json/wc/v3/orders?consumer_key=ck_live&consumer_secret=cs_live')\n"
    )
    ran = _run("-c", script, env={})
    assert ran.returncode == 0, ran.stderr
    assert "cs_live" not in ran.stderr and "ck_live" not in ran.stderr
