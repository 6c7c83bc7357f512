"""The database store of ``sync.blobs``: a file's bytes under a random key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, UtcDateTime, utcnow


class StoredBlob(Base):
    """A file kept in the database (payment proofs, when no S3 bucket is configured)."""

    __tablename__ = "stored_blobs"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
