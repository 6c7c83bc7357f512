"""Tables of the operators' accounts: who may sign in to the admin, with which permissions, the
failed sign-ins that slow and lock an account or an address out, and API tokens. All of it lives
in the database so any number of admin processes share it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync.models import Base, Id, Json, UtcDateTime, utcnow


class Role(Base):
    """A named set of permissions a main account gives its sub-accounts."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    permissions: Mapped[list[str]] = mapped_column(Json, default=list)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: stored lower-case: sign-in is not case-sensitive on the name
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    #: the main account holds every permission; sub-accounts hold their role's
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped on a password change or when disabled: signed sessions carrying an older value end
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    role: Mapped[Role | None] = relationship()


class SignInThrottle(Base):
    """Failed sign-ins per key (``account:<name>`` or ``address:<ip>``)."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A token for the JSON API; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AdminSecret(Base):
    """The key sessions are signed with, when none is configured: made once, shared by every
    admin process through the database."""

    __tablename__ = "admin_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__: list[Any] = ["AdminSecret", "Account", "ApiToken", "Role", "SignInThrottle"]
