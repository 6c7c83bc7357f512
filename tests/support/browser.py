"""What the browser tests share: Debian's Chromium driven by Playwright, and the admin served on a
free local port in a thread for it to visit."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sync.db import Database

from support.admin import PASSWORD, Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
#: .ci/run sets this: there a missing browser is a failure, not a skip
REQUIRED = os.environ.get("ORDERHUB_TEST_BROWSER") == "required"
needs_browser = pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED,
                                   reason="no /usr/bin/chromium (apt-get install chromium)")


@dataclass
class Site:
    """The admin a browser test visits: its address, its database and what was seeded in it."""

    url: str
    db: Database
    seeded: Seeded


@contextmanager
def launched() -> Iterator[Browser]:
    """Playwright cannot download browsers here: it drives the system's Chromium."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a free local port, in a thread, for a browser: yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the admin did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def signed_in_page(browser: Browser, site: Site, username: str = "boss") -> Iterator[Page]:
    """A laptop-sized page of a fresh browser context, signed in to ``site`` as ``username``."""
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    context.set_default_timeout(8000)
    opened = context.new_page()
    try:
        opened.goto(site.url + "/signin")
        opened.get_by_label("User name").fill(username)
        opened.get_by_label("Password").fill(PASSWORD)
        opened.get_by_role("button", name="Sign in").click()
        expect(opened.locator("nav.top")).to_be_visible()
        yield opened
    finally:
        context.close()


@contextmanager
def admin_site(db: Database, prepare: Callable[[Seeded], None] | None = None) -> Iterator[Site]:
    """The admin over the seeded orders and accounts (``prepare`` adds to them), served for a browser,
    with the cheapest password hashes (a browser test signs in again and again)."""
    from admin.web.app import create_app
    from sync import accounts

    accounts.set_hash_cost(1, 8, 1)
    try:
        seeded = seed(db)
        if prepare is not None:
            prepare(seeded)
        app = create_app(db, forward=seeded.forwarder(db), supplier_for=lambda _row: seeded.supplier,
                         secret="browser-test-secret", check_account=seeded.check_account)
        with serving(app) as url:
            yield Site(url, db, seeded)
    finally:
        accounts.set_hash_cost()
