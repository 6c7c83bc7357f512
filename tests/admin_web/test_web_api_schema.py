"""Schemathesis against the JSON API: generated requests from the OpenAPI document find no 5xx
and no answer that breaks the document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from admin.web.app import create_app
from sync import accounts
from sync.account_models import Account
from sync.db import Database

from support.admin import seed


@pytest.fixture
def api(sqlite_db: Database) -> Iterator[tuple[object, dict[str, str]]]:
    accounts.set_hash_cost(1, 8, 1)
    seeded = seed(sqlite_db)
    app = create_app(sqlite_db, forward=seeded.forwarder(sqlite_db),
                     supplier_for=lambda _row: seeded.supplier, sync_now=seeded.synced.append,
                     secret="schema-secret")
    with sqlite_db.session() as s:
        boss = s.query(Account).filter_by(username="boss").one()
        token = accounts.create_token(s, boss.id, "schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    assert TestClient(app).get("/api/orders", headers=headers).status_code == 200
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=headers), headers
    accounts.set_hash_cost()


def test_generated_requests_find_no_server_error_and_no_answer_off_the_schema(api) -> None:  # type: ignore[no-untyped-def]
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                     response_schema_conformance])

        run()
