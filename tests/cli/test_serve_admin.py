"""``orderhub serve`` serves the web admin beside the workers, and ``orderhub demo --serve`` keeps
the demo's shops, workers and admin up with a main account and a sub-account that sees no price.
Both run as processes of their own and stop on Ctrl-C (SIGINT) with exit code 0, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support.admin import csrf_of
from support.processes import REPO, Running

AMOUNT = re.compile(r"\b\d+[.,]\d{2}\b")


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    page = client.get("/signin")
    answer = client.post("/signin", data={"username": username, "password": password,
                                          "csrf_token": csrf_of(page.text), "next": "/orders"})
    assert answer.status_code == 200 and answer.url.path == "/orders", answer.text[:500]


def test_serve_answers_the_admin_sign_in_and_stops_cleanly(tmp_path: Path) -> None:
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'orderhub.sqlite3'}", "ORDERHUB_BROKER_URL": ""}
    subprocess.run([sys.executable, "-m", "admin.cli", "db", "upgrade"], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, **env})
    serving = Running(["serve", "--threads", "2", "--admin-port", "0"], env)
    try:
        url = serving.wait_for(r"web admin on (http://127\.0\.0\.1:\d+)", timeout=60).group(1)
        serving.wait_for(r"worker threads; Ctrl-C stops", timeout=60)
        page = httpx.get(f"{url}/signin", timeout=10)
        assert page.status_code == 200 and 'name="csrf_token"' in page.text
        assert httpx.get(f"{url}/orders", timeout=10).headers.get("location", "").startswith("/signin")
        assert serving.interrupt() == 0
    finally:
        serving.kill()
    err = "".join(serving.err)
    assert "Traceback" not in err, err[-2000:]
    assert "orderhub users add NAME --main" in err  # no account yet: how to make the first


def test_serve_without_the_admin_and_a_port_in_use(tmp_path: Path) -> None:
    import socket

    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'orderhub.sqlite3'}", "ORDERHUB_BROKER_URL": ""}
    subprocess.run([sys.executable, "-m", "admin.cli", "db", "upgrade"], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, **env})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = subprocess.run([sys.executable, "-m", "admin.cli", "serve", "--admin-port", str(port)], cwd=REPO,
                              capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert busy.returncode == 2
    assert busy.stderr.strip().splitlines() == [busy.stderr.strip()]  # one line
    assert f"cannot serve the web admin on 127.0.0.1:{port}" in busy.stderr
    quiet = Running(["serve", "--threads", "1", "--no-admin"], env)
    try:
        quiet.wait_for(r"worker threads; Ctrl-C stops", timeout=60)
        assert quiet.interrupt() == 0
    finally:
        quiet.kill()
    assert "web admin on" not in "".join(quiet.err) and "Traceback" not in "".join(quiet.err)


def test_demo_serve_keeps_the_admin_up_with_two_accounts(tmp_path: Path) -> None:
    demo = Running(["demo", "--serve", "--threads", "2", "--admin-port", "0"])
    try:
        url = demo.wait_for(r"web admin on (http://127\.0\.0\.1:\d+)").group(1)
        main_user, main_password = demo.wait_for(r"main account: (\S+) / (\S+)", timeout=30).groups()
        sub_user, sub_password = demo.wait_for(r"sub-account, no prices: (\S+) / (\S+)", timeout=30).groups()
        link = demo.wait_for(r"a messenger order waits for its buyer: (http://\S+/m/\S+)", timeout=30).group(1)
        with httpx.Client(timeout=30) as buyer:  # no session: the link alone opens the buyer's page
            page = buyer.get(link)
            assert page.status_code == 200 and 'name="form_token"' in page.text and "25.00" in page.text
        made = demo.wait_for(r"after-sales orders \(After-sales page\): (.+)", timeout=60).group(1)
        assert re.findall(r"AS-\d{6} (return refund|refund only|exchange)", made) == [
            "return refund", "refund only", "exchange"], made
        with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as owner:
            sign_in(owner, main_user, main_password)
            review = owner.get("/orders", params={"status": "pending_review", "reason": "missing_surname"})
            held = sorted(set(re.findall(r'href="/orders/(\d+)"', review.text)))
            assert len(held) == 7, review.text[:2000]  # Shopify, WooCommerce, Amazon and Shopee's
            order_page = owner.get(f"/orders/{held[0]}").text
            amounts = set(AMOUNT.findall(order_page))
            assert amounts  # the main account sees the order's amounts
            for _ in range(120):  # the supplier's catalogue is read when the admin comes up
                if "<td><code>S0001000</code>" in owner.get("/catalogue", params={"q": "S0001000"}).text:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError("the catalogue page never showed the supplier's products")
            listed = owner.get("/after-sales", params={"state": "all"}).text
            assert len(set(re.findall(r'data-number="(AS-\d{6})"', listed))) == 3
            assert owner.get("/after-sales", params={"state": "refund_processing"}).text.count("data-number=") == 1
            amounts |= set(AMOUNT.findall(listed))
        with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as operator:
            sign_in(operator, sub_user, sub_password)
            for path in (f"/orders/{held[0]}", "/orders?status=pending_review", "/wallet", "/after-sales?state=all",
                         "/after-sales/refunds"):
                text = operator.get(path).text
                assert not amounts & set(AMOUNT.findall(text)), path
            assert operator.get("/orders", params={"status": "pending_review",
                                                   "reason": "missing_surname"}).status_code == 200
        assert demo.interrupt() == 0
    finally:
        demo.kill()
    output = "".join(demo.out + demo.err)
    assert "Traceback" not in output, output[-2000:]
    assert main_password not in "".join(demo.err)  # printed for the reader, never in a log line
