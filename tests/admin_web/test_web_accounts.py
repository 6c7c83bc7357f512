"""Accounts in the database: passwords, roles, failed sign-ins slowed and locked out per account
and per address, sessions ended by a password change, API tokens stored hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sync import accounts
from sync.account_models import Account, ApiToken, SignInThrottle
from sync.accounts import ACCOUNT_LIMITS, ADDRESS_LIMITS, AccountError, Permission
from sync.db import Database
from sync.models import utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def people(db: Database) -> Database:
    with db.session() as s:
        accounts.create_account(s, "Boss", PASSWORD, main=True)
        accounts.save_role(s, "clerk", ["review_orders", "resubmit"])
        accounts.create_account(s, "clerk", PASSWORD, role="clerk")
    return db


def _unlock(db: Database) -> None:
    """Stand in for the wait: the lock's time is over (tests never wait for a clock)."""
    with db.session() as s:
        s.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))


def test_sign_in_takes_the_right_password_and_ignores_the_case_of_the_name(people: Database) -> None:
    assert accounts.sign_in(people, "BOSS", PASSWORD, "10.0.0.1").account is not None
    refused = accounts.sign_in(people, "boss", "wrong password!", "10.0.0.1")
    assert refused.account is None and refused.retry_after is None
    assert accounts.sign_in(people, "nobody", PASSWORD, "10.0.0.1").account is None


def test_passwords_are_stored_as_argon2_hashes(people: Database) -> None:
    with people.session() as s:
        stored = s.scalar(select(Account.password_hash).where(Account.username == "boss"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_failed_sign_ins_slow_then_lock_the_account_even_for_the_right_password(people: Database) -> None:
    for n in range(ACCOUNT_LIMITS.slow_after):
        _unlock(people)
        assert accounts.sign_in(people, "boss", f"wrong {n}", f"10.0.1.{n}").account is None
    slowed = accounts.sign_in(people, "boss", PASSWORD, "10.0.2.1")
    assert slowed.account is None and slowed.retry_after is not None
    for n in range(ACCOUNT_LIMITS.lock_after):
        _unlock(people)
        accounts.sign_in(people, "boss", f"wrong again {n}", f"10.0.3.{n}")
    with people.session() as s:
        row = s.get(SignInThrottle, "account:boss")
        assert row is not None and row.locked_until is not None
        assert row.locked_until - row.last_failure_at == ACCOUNT_LIMITS.lockout
    locked = accounts.sign_in(people, "boss", PASSWORD, "10.0.4.1")
    assert locked.account is None and locked.retry_after is not None
    # another account is not affected
    assert accounts.sign_in(people, "clerk", PASSWORD, "10.0.4.1").account is not None


def test_failed_sign_ins_from_one_address_lock_that_address_out_for_every_account(people: Database) -> None:
    for n in range(ADDRESS_LIMITS.lock_after):
        _unlock(people)
        accounts.sign_in(people, f"guess{n}", "wrong password", "192.0.2.9")
    refused = accounts.sign_in(people, "clerk", PASSWORD, "192.0.2.9")
    assert refused.account is None and refused.retry_after is not None
    assert accounts.sign_in(people, "clerk", PASSWORD, "192.0.2.10").account is not None


def test_a_good_sign_in_clears_the_account_count_but_not_the_address_count(people: Database) -> None:
    accounts.sign_in(people, "boss", "wrong password", "10.9.9.9")
    assert accounts.sign_in(people, "boss", PASSWORD, "10.9.9.9").account is not None
    with people.session() as s:
        assert s.get(SignInThrottle, "account:boss") is None
        address = s.get(SignInThrottle, "address:10.9.9.9")
        assert address is not None and address.failures == 1


def test_permissions_come_from_the_role_and_the_main_account_holds_them_all(people: Database) -> None:
    with people.session() as s:
        boss = s.scalar(select(Account).where(Account.username == "boss"))
        clerk = s.scalar(select(Account).where(Account.username == "clerk"))
        assert boss is not None and clerk is not None
        assert accounts.permissions_of(boss) == frozenset(Permission)
        assert accounts.permissions_of(clerk) == {Permission.REVIEW_ORDERS, Permission.RESUBMIT}


def test_bad_accounts_and_roles_are_refused_with_a_clear_reason(people: Database) -> None:
    with people.session() as s:
        with pytest.raises(AccountError, match="already an account"):
            accounts.create_account(s, "BOSS", PASSWORD, main=True)
        with pytest.raises(AccountError, match="needs a role"):
            accounts.create_account(s, "nobody", PASSWORD)
        with pytest.raises(AccountError, match="at least 10"):
            accounts.create_account(s, "short", "short", role="clerk")
        with pytest.raises(AccountError, match="unknown permission"):
            accounts.save_role(s, "bad", ["fly"])


def test_a_new_password_or_switching_off_ends_older_sessions(people: Database) -> None:
    with people.session() as s:
        clerk = s.scalar(select(Account).where(Account.username == "clerk"))
        assert clerk is not None
        clerk_id, epoch = clerk.id, clerk.session_epoch
        assert accounts.load_account(s, clerk_id, epoch) is not None
        accounts.set_password(s, clerk_id, "another long password")
    with people.session() as s:
        assert accounts.load_account(s, clerk_id, epoch) is None
        fresh = s.get(Account, clerk_id)
        assert fresh is not None and accounts.load_account(s, clerk_id, fresh.session_epoch) is not None
        accounts.set_enabled(s, clerk_id, False)
    with people.session() as s:
        fresh = s.get(Account, clerk_id)
        assert fresh is not None and accounts.load_account(s, clerk_id, fresh.session_epoch) is None


def test_api_tokens_are_kept_only_as_a_digest_and_can_be_revoked(people: Database) -> None:
    with people.session() as s:
        boss = s.scalar(select(Account).where(Account.username == "boss"))
        assert boss is not None
        token = accounts.create_token(s, boss.id, "reports")
    with people.session() as s:
        stored = s.scalar(select(ApiToken))
        assert stored is not None and token not in stored.token_hash
        found = accounts.account_for_token(s, token)
        assert found is not None and found.username == "boss"
        assert accounts.account_for_token(s, token + "x") is None
        assert accounts.revoke_token(s, stored.account_id, stored.id)
        assert not accounts.revoke_token(s, stored.account_id, stored.id)  # once
    with people.session() as s:
        assert accounts.account_for_token(s, token) is None


def test_the_session_key_is_made_once_and_shared_through_the_database(db: Database) -> None:
    first = accounts.signing_secret(db)
    assert len(first) > 40 and accounts.signing_secret(db) == first
