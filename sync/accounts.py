"""Operators' accounts: passwords (argon2), permissions, failed sign-ins slowed and locked out per
account and per address, API tokens. State lives in the database, never in a process."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync.account_models import Account, AdminSecret, ApiToken, Role, SignInThrottle
from sync.db import Database
from sync.models import utcnow


class Permission(StrEnum):
    REVIEW_ORDERS = "review_orders"
    EDIT_ORDERS = "edit_orders"
    RESUBMIT = "resubmit"
    MARK_SENT_MANUALLY = "mark_sent_manually"
    CANCEL = "cancel"
    VIEW_PRICES = "view_prices"
    EDIT_PRICES = "edit_prices"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_CATALOGUE = "manage_catalogue"
    MANAGE_USERS = "manage_users"
    MESSENGER_ORDERS = "messenger_orders"
    MANUAL_AFTER_SALES = "manual_after_sales"
    AFTER_SALES_REFUND = "after_sales_refund"


ALL_PERMISSIONS = frozenset(Permission)
_hasher = PasswordHasher()
#: verified when the name is unknown, so a wrong name costs as long as a wrong password (made on
#: first use, at the current cost)
_dummy_hash: str | None = None


def set_hash_cost(time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 4) -> None:
    """Argon2's cost for new hashes (existing ones are rehashed at their next sign-in). The
    default is argon2-cffi's (RFC 9106 low-memory profile); lower only where speed matters more."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism)
    _dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


class AccountError(ValueError):
    """An account change that cannot be made, in the operator's words."""


@dataclass(frozen=True)
class Limits:
    """After ``slow_after`` failures each further one locks the key for a doubling wait (slowed);
    from ``lock_after`` on, for ``lockout``. Failures older than ``forget_after`` start over."""

    slow_after: int
    lock_after: int
    lockout: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def locked_for(self, failures: int) -> timedelta | None:
        if failures >= self.lock_after:
            return self.lockout
        if failures >= self.slow_after:
            return min(timedelta(seconds=2 ** (failures - self.slow_after)), self.lockout)
        return None


#: an address is allowed more failures than one account: an office shares one address
ACCOUNT_LIMITS = Limits(slow_after=3, lock_after=10)
ADDRESS_LIMITS = Limits(slow_after=15, lock_after=50)


@dataclass(frozen=True)
class SignIn:
    account: Account | None
    #: when refused because of earlier failures: how long until the next try is heard
    retry_after: timedelta | None = None


def normalise(username: str) -> str:
    return username.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AccountError("a password needs at least 10 characters")
    return _hasher.hash(password)


def permissions_of(account: Account) -> frozenset[Permission]:
    if account.is_main:
        return ALL_PERMISSIONS
    if account.role is None:
        return frozenset()
    return frozenset(Permission(p) for p in account.role.permissions if p in Permission.__members__.values())


def create_account(session: Session, username: str, password: str, *, main: bool = False,
                   role: str | None = None) -> Account:
    name = normalise(username)
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AccountError("a user name is one word of at most 100 characters")
    if session.scalar(select(Account.id).where(Account.username == name)) is not None:
        raise AccountError(f"there is already an account named {name}")
    role_row = None
    if role is not None:
        role_row = session.scalar(select(Role).where(Role.name == role))
        if role_row is None:
            raise AccountError(f"no role named {role}")
    elif not main:
        raise AccountError("a sub-account needs a role")
    account = Account(username=name, password_hash=hash_password(password), is_main=main, role=role_row)
    session.add(account)
    session.flush()
    return account


def save_role(session: Session, name: str, permissions: list[str]) -> Role:
    name = name.strip()
    if not name:
        raise AccountError("a role needs a name")
    unknown = set(permissions) - {p.value for p in Permission}
    if unknown:
        raise AccountError(f"unknown permission: {sorted(unknown)[0]}")
    role = session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        session.add(role)
    role.permissions = sorted(set(permissions))
    session.flush()
    return role


def set_role(session: Session, account_id: int, role: str) -> None:
    """A sub-account's new role applies to its next request (permissions are read every time)."""
    role_row = session.scalar(select(Role).where(Role.name == role))
    if role_row is None:
        raise AccountError(f"no role named {role}")
    account = session.get(Account, account_id)
    if account is None or account.is_main:
        raise AccountError("only a sub-account has a role")
    account.role_id = role_row.id


def change_password(session: Session, account_id: int, current: str, new: str) -> None:
    account = session.get(Account, account_id)
    try:
        ok = account is not None and _hasher.verify(account.password_hash, current)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise AccountError("the current password is not right")
    set_password(session, account_id, new)


def set_password(session: Session, account_id: int, password: str) -> None:
    """A new password also ends every session signed in with the old one."""
    session.execute(update(Account).where(Account.id == account_id).values(
        password_hash=hash_password(password), session_epoch=Account.session_epoch + 1))


def set_enabled(session: Session, account_id: int, enabled: bool) -> None:
    session.execute(update(Account).where(Account.id == account_id).values(
        enabled=enabled, session_epoch=Account.session_epoch + 1))


def _locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    row = session.get(SignInThrottle, key)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def _count_failure(db: Database, key: str, limits: Limits, now: datetime) -> None:
    """Add one failure to ``key`` with a conditional update, so concurrent failures from several
    processes all count; the row is made on first failure."""
    for _ in range(3):
        with db.session() as session:
            row = session.get(SignInThrottle, key, with_for_update=not db.is_sqlite)
            if row is None:
                session.add(SignInThrottle(key=key, failures=1, last_failure_at=now,
                                           locked_until=_until(limits, 1, now)))
                try:
                    session.flush()
                except IntegrityError:
                    session.rollback()
                    continue
                return
            failures = 1 if now - row.last_failure_at > limits.forget_after else row.failures + 1
            row.failures, row.last_failure_at, row.locked_until = failures, now, _until(limits, failures, now)
            return


def _until(limits: Limits, failures: int, now: datetime) -> datetime | None:
    wait = limits.locked_for(failures)
    return now + wait if wait is not None else None


def sign_in(db: Database, username: str, password: str, address: str) -> SignIn:
    """Check a name and password. Refused without looking at the password while the account or
    the address is locked by earlier failures."""
    name, now = normalise(username), utcnow()
    account_key, address_key = f"account:{name}", f"address:{address}"
    with db.session() as session:
        locks = [u for u in (_locked_until(session, account_key, now), _locked_until(session, address_key, now)) if u]
        if locks:
            return SignIn(None, retry_after=max(locks) - now)
        account = session.scalar(select(Account).where(Account.username == name))
        stored = account.password_hash if account is not None and account.enabled else _dummy()
        try:
            ok = _hasher.verify(stored, password) and account is not None and account.enabled
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and account is not None:
            throttle = session.get(SignInThrottle, account_key)
            if throttle is not None:  # the address keeps its count: one good account must not reset it
                session.delete(throttle)
            account.last_sign_in_at = now
            if _hasher.check_needs_rehash(account.password_hash):
                account.password_hash = _hasher.hash(password)
            session.flush()
            _ = account.role  # loaded while the session is open
            return SignIn(account)
    _count_failure(db, account_key, ACCOUNT_LIMITS, now)
    _count_failure(db, address_key, ADDRESS_LIMITS, now)
    return SignIn(None)


def load_account(session: Session, account_id: int, epoch: int) -> Account | None:
    """The account a session names, if it is still enabled and the session still current."""
    account = session.get(Account, account_id)
    if account is None or not account.enabled or account.session_epoch != epoch:
        return None
    return account


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, account_id: int, name: str) -> str:
    """Returns the token: shown once; only its digest is stored."""
    token = "oh_" + secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=account_id, name=name.strip() or "token", token_hash=token_digest(token)))
    session.flush()
    return token


def account_for_token(session: Session, token: str) -> Account | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.enabled:
        return None
    row.last_used_at = utcnow()
    return account


def revoke_token(session: Session, account_id: int, token_id: int) -> bool:
    result = session.execute(update(ApiToken).where(
        ApiToken.id == token_id, ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None)
    ).values(revoked_at=utcnow()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def signing_secret(db: Database) -> str:
    """The configured key, or one made on first use and kept in the database for every process."""
    with db.session() as session:
        row = session.get(AdminSecret, "session")
        if row is not None:
            return row.value
    try:
        with db.session() as session:
            session.add(AdminSecret(name="session", value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another process made it first: use theirs
    with db.session() as session:
        row = session.get(AdminSecret, "session")
        assert row is not None
        return row.value
