"""The database store of ``sync.blobs``: a file's bytes under a random key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, UtcDateTime, utcnow


class KeptProof:
    """The columns of an uploaded proof's row (a payment slip, a refund's payment proof): its type
    is what its bytes are, never what it was called; its bytes are in a ``sync.blobs`` store."""

    #: random, never the uploaded file's name
    name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    #: which store of ``sync.blobs`` holds the bytes ("database", "s3"), under ``blob_key``
    storage: Mapped[str] = mapped_column(String(20), default="database", server_default="database")
    blob_key: Mapped[str | None] = mapped_column(String(250))
    #: the bytes of a proof kept before the stores existed (newer proofs: None)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StoredBlob(Base):
    """A file kept in the database (payment proofs, when no S3 bucket is configured)."""

    __tablename__ = "stored_blobs"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
