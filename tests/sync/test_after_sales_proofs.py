"""Refund proofs kept through the proof store (sync.blobs), like payment slips: in the database or
in an S3-compatible bucket over HTTP; a store that fails keeps nothing of the refund order, and an
object put for a refund order that is not kept is taken away again."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from sync import after_sales as a
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as rules
from sync import blobs
from sync.after_sales_models import RefundOrder, RefundProof
from sync.blob_models import StoredBlob
from sync.db import Database

from support.after_sales import ALLOWED, REFUNDER, stored_order
from support.messenger import PNG
from support.s3 import ACCESS_KEY, SECRET_KEY, free_port, objects, s3_server, s3_settings


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def _received(db: Database) -> int:
    """A return & refund whose units came back: ready for its refund order."""
    order_id = stored_order(db)
    with db.session() as s:
        found = a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED)
        a.confirm(s, found.id, actor="user:ana", stock_in=True, **ALLOWED)
        return found.id


@pytest.mark.parametrize("where", ["database", "s3"])
def test_a_refund_proof_is_kept_in_the_configured_store_and_read_back(db: Database, endpoint: str,
                                                                      where: str) -> None:
    prefix = f"refund-{secrets.token_hex(4)}/"
    settings = s3_settings(endpoint, proofs_s3_prefix=prefix) if where == "s3" else \
        s3_settings(endpoint, proofs_s3_bucket="")
    created = _received(db)
    with db.session() as s:
        refund = refunds.create_refund(s, created, amount="25.00", proof=PNG, actor="user:ana", settings=settings,
                                       **REFUNDER)
        key = refund.proof_key
    assert key is not None
    with db.session() as s:
        kept = refunds.proof(s, key)
        assert kept is not None and (kept.storage, kept.content_type, kept.size) == (where, "image/png", len(PNG))
        assert kept.data is None and refunds.proof_bytes(s, kept, settings) == PNG
        in_database = s.scalar(select(func.count()).select_from(StoredBlob))
    if where == "s3":
        assert objects(endpoint) and [k for k in objects(endpoint) if k.startswith(prefix)] == [kept.blob_key]
        assert in_database == 0
    else:
        assert in_database == 1


def test_a_proof_kept_in_its_row_before_the_store_is_still_read(db: Database) -> None:
    with db.session() as s:
        s.add(RefundProof(name="old", content_type="image/png", size=len(PNG), data=PNG))
        s.flush()
        found = refunds.proof(s, "old")
        assert found is not None and refunds.proof_bytes(s, found) == PNG


def test_a_store_that_fails_keeps_nothing_of_the_refund_order(db: Database) -> None:
    down = s3_settings(f"http://127.0.0.1:{free_port()}")
    created = _received(db)
    with db.session() as s, pytest.raises(rules.AfterSalesError) as failed:
        refunds.create_refund(s, created, amount="25.00", proof=PNG, actor="user:ana", settings=down, **REFUNDER)
    assert failed.value.field == "proof" and "could not be stored" in str(failed.value)
    assert ACCESS_KEY not in str(failed.value) and SECRET_KEY not in str(failed.value)
    with db.session() as s:
        assert rules.get(s, created).state == "received_return"
        assert s.scalar(select(func.count()).select_from(RefundOrder)) == 0
        assert s.scalar(select(func.count()).select_from(RefundProof)) == 0


def test_an_object_put_for_a_refund_order_that_lost_its_race_is_taken_away(
        db: Database, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"race-{secrets.token_hex(4)}/"
    settings = s3_settings(endpoint, proofs_s3_prefix=prefix)
    created = _received(db)

    def lost(*_: object, **__: object) -> None:
        raise rules.AfterSalesLostRace("AS-000001", "sent for refund")

    monkeypatch.setattr(rules, "move", lost)
    with db.session() as s:
        with pytest.raises(rules.AfterSalesLostRace):
            refunds.create_refund(s, created, amount="25.00", proof=PNG, actor="user:ana", settings=settings,
                                  **REFUNDER)
        assert s.scalar(select(func.count()).select_from(RefundProof)) == 0
    assert not [k for k in objects(endpoint) if k.startswith(prefix)]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RefundOrder)) == 0


def test_a_proof_that_is_no_photo_nor_pdf_is_refused_before_anything_is_stored(db: Database) -> None:
    created = _received(db)
    with db.session() as s, pytest.raises(rules.AfterSalesError, match="payment proof: a JPEG, PNG or PDF"):
        refunds.create_refund(s, created, amount="25.00", proof=b"<html>", actor="user:ana", **REFUNDER)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(StoredBlob)) == 0
        assert blobs.MAX_PROOF_BYTES == 5 * 1024 * 1024
