"""Files an operator or a buyer sends as proof (a messenger order's payment slip; any other proof
built later calls the same functions): checked by their bytes, kept where every admin instance
reads them, and read back only through the admin.

Two stores behind one interface (``put(data, content_type) -> key``, ``get(key)``, ``delete(key)``):
the database (the default: table ``stored_blobs``) and an S3-compatible bucket when
``ORDERHUB_PROOFS_S3_BUCKET`` is set. Every name is random (never the sender's file name). An S3
object is put with its sniffed Content-Type and ``Content-Disposition: attachment``, is never made
public and no presigned address is ever handed out. Whoever keeps a file records which store holds
it (``storage``) beside its key, so that files kept before a change of store stay readable.

Nothing is half-stored: ``keep`` puts the object before the caller writes the row that names it
(a failed put leaves no row), and takes the object away again if that transaction is rolled back.
Messages and logs name the bucket and the failure, never the access key or the secret.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from functools import cache
from typing import Any, Protocol

import filetype
import structlog
from sqlalchemy import delete, event
from sqlalchemy.orm import Session, SessionTransaction

from sync.blob_models import StoredBlob
from sync.models import KeptProof
from sync.settings import Settings, get_settings

log = structlog.get_logger(__name__)

DATABASE = "database"
S3 = "s3"
#: what a proof may be: a photo or a PDF, recognised by its bytes
PROOF_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
MAX_PROOF_BYTES = 5 * 1024 * 1024
_LABELS = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}
_PENDING = "orderhub.blobs.put_in_this_transaction"


class ProofRefused(ValueError):
    """The file sent is no acceptable proof; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class BlobError(RuntimeError):
    """The store could not keep or give back a file (its message carries no credential)."""


def check_proof(data: bytes, *, field: str = "proof", what: str = "a photo or PDF of the payment",
                max_bytes: int = MAX_PROOF_BYTES, allowed: dict[str, str] | None = None) -> str:
    """The proof's type from its bytes (never its name or declared type), or ``ProofRefused``."""
    allowed = PROOF_TYPES if allowed is None else allowed
    if not data:
        raise ProofRefused(f"{field}: upload {what}", field)
    if len(data) > max_bytes:
        raise ProofRefused(f"{field}: at most {max_bytes // (1024 * 1024)} MB", field)
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in allowed:
        names = [_LABELS.get(t, t) for t in allowed]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise ProofRefused(f"{field}: a {listed} file", field)
    return str(kind.mime)


class BlobStore(Protocol):
    storage: str

    def put(self, data: bytes, content_type: str) -> str: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def _new_name() -> str:
    return secrets.token_hex(16)


class DatabaseBlobs:
    """Bytes in the ``stored_blobs`` table, in the caller's transaction."""

    storage = DATABASE

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, data: bytes, content_type: str) -> str:
        key = _new_name()
        self.session.add(StoredBlob(key=key, content_type=content_type, size=len(data), data=data))
        self.session.flush()
        return key

    def get(self, key: str) -> bytes:
        found = self.session.get(StoredBlob, key)
        if found is None:
            raise BlobError(f"file {key[:40]!r} is not in the database")
        return bytes(found.data)

    def delete(self, key: str) -> None:
        self.session.execute(delete(StoredBlob).where(StoredBlob.key == key))


class S3Blobs:
    """Objects in an S3-compatible bucket; the client is boto3's."""

    storage = S3

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def put(self, data: bytes, content_type: str) -> str:
        key = f"{self.prefix}{_new_name()}"
        self._call("store", key, lambda: self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
            ContentDisposition="attachment"))
        return key

    def get(self, key: str) -> bytes:
        answer = self._call("read", key, lambda: self.client.get_object(Bucket=self.bucket, Key=key))
        return bytes(self._call("read", key, answer["Body"].read))

    def delete(self, key: str) -> None:
        self._call("delete", key, lambda: self.client.delete_object(Bucket=self.bucket, Key=key))

    def _call(self, action: str, key: str, call: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call()
        except ClientError as exc:
            # the error's code only: some services echo the request (and its signature) in the message
            reason = str(exc.response.get("Error", {}).get("Code") or "refused")
        except BotoCoreError as exc:
            reason = type(exc).__name__
        log.warning("proof storage failed", action=action, bucket=self.bucket, key=key, reason=reason)
        raise BlobError(f"the file store (S3 bucket {self.bucket!r}) could not {action} the file: {reason}")


@cache
def _s3_client(endpoint_url: str, region: str, access_key_id: str, secret_access_key: str) -> Any:
    import boto3
    from botocore.config import Config

    # botocore's DEBUG lines carry the signed request's headers (the access key id): never below INFO
    logging.getLogger("botocore").setLevel(max(logging.getLogger("botocore").getEffectiveLevel(), logging.INFO))
    return boto3.client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None,
        aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
        config=Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"}))


def s3_store(settings: Settings) -> S3Blobs:
    client = _s3_client(settings.proofs_s3_endpoint_url, settings.proofs_s3_region,
                        settings.proofs_s3_access_key_id.get_secret_value(),
                        settings.proofs_s3_secret_access_key.get_secret_value())
    return S3Blobs(client, settings.proofs_s3_bucket, settings.proofs_s3_prefix)


def writer(session: Session, settings: Settings | None = None) -> BlobStore:
    """Where new files go: the bucket when one is configured, else the database."""
    settings = settings or get_settings()
    return s3_store(settings) if settings.proofs_s3_bucket else DatabaseBlobs(session)


def reader(session: Session, storage: str, settings: Settings | None = None) -> BlobStore:
    """The store that holds a file kept with ``storage``."""
    if storage == DATABASE:
        return DatabaseBlobs(session)
    settings = settings or get_settings()
    if storage == S3 and settings.proofs_s3_bucket:
        return s3_store(settings)
    raise BlobError(f"the file is kept in {storage[:20]!r} storage, which is not configured here")


def kept_bytes(session: Session, row: KeptProof, settings: Settings | None = None) -> bytes:
    """A proof's bytes from whichever store holds them (``BlobError`` when it cannot)."""
    if row.data is not None:  # kept in its row, before the stores existed
        return bytes(row.data)
    assert row.blob_key is not None
    return reader(session, row.storage, settings).get(row.blob_key)


def keep(session: Session, data: bytes, content_type: str, settings: Settings | None = None) -> tuple[str, str]:
    """Put a checked file in the configured store; returns (storage, key) for the caller's row.
    Should the caller's transaction roll back, an object put outside the database is taken away."""
    store = writer(session, settings)
    key = store.put(data, content_type)
    if store.storage != DATABASE:
        _undo_on_rollback(session, store, key)
    return store.storage, key


def _undo_on_rollback(session: Session, store: BlobStore, key: str) -> None:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_soft_rollback", _rolled_back)
    pending.append((store, key, session.get_nested_transaction() or session.get_transaction()))


def _committed(session: Session) -> None:
    session.info.get(_PENDING, []).clear()


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Objects put within the transaction (or savepoint) rolled back, or one inside it, go."""
    pending = session.info.get(_PENDING) or []
    for item in list(pending):
        store, key, within = item
        while within is not None and within is not previous:
            within = within.parent
        if within is previous:
            pending.remove(item)
            with contextlib.suppress(BlobError):  # logged by the store: it costs storage only
                store.delete(key)
