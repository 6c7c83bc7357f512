"""Proof storage (sync.blobs): the same put/get/delete on the database and on an S3-compatible
bucket over HTTP; files checked by their bytes; a store that fails says so without its secrets;
an object put in a transaction that rolls back is taken away again."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from sync import blobs
from sync.blob_models import StoredBlob
from sync.db import Database

from support.messenger import PNG
from support.s3 import ACCESS_KEY, BUCKET, SECRET_KEY, free_port, objects, raw_client, s3_server, s3_settings

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.mark.parametrize("where", ["database", "s3"])
def test_put_get_delete_round_trip(db: Database, endpoint: str, where: str) -> None:
    settings = s3_settings(endpoint) if where == "s3" else s3_settings(endpoint, proofs_s3_bucket="")
    with db.session() as s:
        storage, key = blobs.keep(s, PNG, "image/png", settings)
    assert storage == where and PNG not in key.encode()
    with db.session() as s:
        store = blobs.reader(s, storage, settings)
        assert store.get(key) == PNG
        store.delete(key)
    with db.session() as s, pytest.raises(blobs.BlobError):
        blobs.reader(s, storage, settings).get(key)
    if where == "database":
        with db.session() as s:
            assert s.query(StoredBlob).count() == 0


def test_an_s3_object_is_private_typed_and_to_be_saved_under_a_random_name(db: Database, endpoint: str) -> None:
    settings = s3_settings(endpoint)
    with db.session() as s:
        _, first = blobs.keep(s, PDF, "application/pdf", settings)
        _, second = blobs.keep(s, PDF, "application/pdf", settings)
    assert first != second and first.startswith("proofs/")
    head = raw_client(endpoint).head_object(Bucket=BUCKET, Key=first)
    assert head["ContentType"] == "application/pdf" and head["ContentDisposition"] == "attachment"
    grants = raw_client(endpoint).get_object_acl(Bucket=BUCKET, Key=first)["Grants"]
    assert not [g for g in grants if "AllUsers" in str(g.get("Grantee", {}).get("URI", ""))]


def test_an_object_put_in_a_transaction_that_rolls_back_is_taken_away(db: Database, endpoint: str) -> None:
    prefix = f"rollback-{secrets.token_hex(4)}/"  # the bucket outlives one test
    settings = s3_settings(endpoint, proofs_s3_prefix=prefix)
    with pytest.raises(RuntimeError), db.session() as s:
        _, key = blobs.keep(s, PNG, "image/png", settings)
        assert key in objects(endpoint)
        raise RuntimeError("the row naming it could not be written")
    assert not [k for k in objects(endpoint) if k.startswith(prefix)]
    with db.session() as s:  # a savepoint rolled back takes its objects; the outer commit keeps the rest
        _, kept = blobs.keep(s, PNG, "image/png", settings)
        with pytest.raises(RuntimeError), s.begin_nested():
            _, dropped = blobs.keep(s, PNG, "image/png", settings)
            raise RuntimeError("savepoint")
        s.execute(text("SELECT 1"))
    assert [k for k in objects(endpoint) if k.startswith(prefix)] == [kept]
    assert dropped != kept


def test_a_store_that_does_not_answer_fails_clearly_without_its_credentials(
        db: Database, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    down = s3_settings(f"http://127.0.0.1:{free_port()}")
    with db.session() as s, pytest.raises(blobs.BlobError) as failed:
        blobs.keep(s, PNG, "image/png", down)
    message = str(failed.value)
    assert BUCKET in message and "could not store" in message
    seen = message + caplog.text + "".join(capsys.readouterr())
    assert ACCESS_KEY not in seen and SECRET_KEY not in seen
    assert ACCESS_KEY not in repr(down) and SECRET_KEY not in str(down.model_dump())


def test_wrong_credentials_are_refused_without_being_repeated(db: Database, endpoint: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = s3_settings(endpoint, proofs_s3_bucket="no-such-bucket")
    with db.session() as s, pytest.raises(blobs.BlobError) as failed:
        blobs.keep(s, PNG, "image/png", wrong)
    assert "NoSuchBucket" in str(failed.value)
    assert ACCESS_KEY not in caplog.text + str(failed.value) and SECRET_KEY not in caplog.text


def test_a_file_kept_in_s3_is_not_read_where_no_bucket_is_configured(db: Database, endpoint: str) -> None:
    with db.session() as s, pytest.raises(blobs.BlobError, match="not configured"):
        blobs.reader(s, blobs.S3, s3_settings(endpoint, proofs_s3_bucket=""))


@pytest.mark.parametrize("data, words", [
    (b"", "upload"), (b"GIF89a" + b"\0" * 64, "JPEG, PNG or PDF"), (b"<html><script>", "JPEG, PNG or PDF"),
    (PNG + b"\0" * blobs.MAX_PROOF_BYTES, "at most 5 MB"),
])
def test_a_proof_is_typed_by_its_bytes_and_capped(data: bytes, words: str) -> None:
    with pytest.raises(blobs.ProofRefused, match=words) as refused:
        blobs.check_proof(data, field="proof")
    assert refused.value.field == "proof"


def test_accepted_proofs_are_named_by_what_their_bytes_are() -> None:
    assert blobs.check_proof(PNG) == "image/png"
    assert blobs.check_proof(PDF) == "application/pdf"
    assert blobs.check_proof(PDF, allowed={"application/pdf": "pdf"}) == "application/pdf"
    with pytest.raises(blobs.ProofRefused, match="PDF"):
        blobs.check_proof(PNG, allowed={"application/pdf": "pdf"})
