"""The web admin on either backend, with seeded orders and accounts, and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from admin.web.app import create_app
from sync.db import Database

from support.admin import PASSWORD, Seeded, csrf_of, seed
from support.browser import launched


@pytest.fixture
def seeded(db: Database) -> Seeded:
    return seed(db)


@pytest.fixture
def app(db: Database, seeded: Seeded):  # type: ignore[no-untyped-def]
    return create_app(db, forward=seeded.forwarder(db),
                      supplier_for=lambda _row: seeded.supplier, sync_now=seeded.synced.append,
                      sync_catalogue=lambda: seeded.catalogue_syncs.append(None),
                      check_account=seeded.check_account, secret="test-secret")


@pytest.fixture
def signed_in(app) -> Callable[[str], TestClient]:  # type: ignore[no-untyped-def]
    def make(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        token = csrf_of(client.get("/signin").text)
        answer = client.post("/signin", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 303, answer.text
        return client
    return make


@pytest.fixture(autouse=True)
def cheap_hashes() -> Iterator[None]:
    """Argon2 at its lowest cost: the tests sign in hundreds of times."""
    from sync import accounts

    accounts.set_hash_cost(1, 8, 1)
    yield
    accounts.set_hash_cost()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (the browser tests'; the others never ask for it)."""
    with launched() as b:
        yield b
