"""``orderhub demo --serve``: once the story is told, the sandbox shops, the workers, the scheduler
and the web admin stay up on the demo's data until Ctrl-C, with a main account and a sub-account
that may not see prices, so the pending-review queue can be worked by hand.

The passwords are made anew on every start and printed once on the terminal, never logged.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from admin import demo_after_sales
from admin.logs import configure
from admin.processes import start_admin, wait_for_signal
from sync import accounts
from sync.account_models import Account
from sync.accounts import Permission
from sync.db import Database
from sync.settings import get_settings
from workers import actors, scheduler

MAIN = "owner"
DEMO_STORE = "Chat shop"
SUB = "operator"
#: everything an operator of the queue needs, and no amount
SUB_ROLE = "operator without prices"
SUB_PERMISSIONS = (Permission.REVIEW_ORDERS, Permission.EDIT_ORDERS, Permission.RESUBMIT,
                   Permission.MARK_SENT_MANUALLY, Permission.CANCEL, Permission.MANAGE_CATALOGUE,
                   Permission.MESSENGER_ORDERS, Permission.MANUAL_AFTER_SALES, Permission.AFTER_SALES_REFUND)


@dataclass(frozen=True)
class SignIn:
    what: str
    username: str
    password: str


def demo_accounts(db: Database) -> list[SignIn]:
    """The main account and the sub-account, made or given a new password (a kept ``--workdir``
    database already holds them)."""
    made = [SignIn("main account", MAIN, secrets.token_urlsafe(12)),
            SignIn("sub-account, no prices", SUB, secrets.token_urlsafe(12))]
    with db.session() as session:
        accounts.save_role(session, SUB_ROLE, [p.value for p in SUB_PERMISSIONS])
        for sign_in in made:
            existing = session.scalar(select(Account).where(Account.username == sign_in.username))
            if existing is None:
                accounts.create_account(session, sign_in.username, sign_in.password, main=sign_in.username == MAIN,
                                        role=None if sign_in.username == MAIN else SUB_ROLE)
            else:
                accounts.set_password(session, existing.id, sign_in.password)
                accounts.set_enabled(session, existing.id, True)
    return made


def messenger_demo(db: Database, base_url: str) -> str:
    """A messenger store with two payment methods and one order waiting for its buyer: the link
    printed opens the buyer's page (a new link on every start; earlier ones stop working)."""
    from decimal import Decimal

    from sync import messenger, messenger_links
    from sync.messenger_models import MessengerOrder, PaymentMethod
    from sync.models import CatalogueItem, Channel

    with db.session() as session:
        if session.scalar(select(Channel.id).where(Channel.name == DEMO_STORE)) is None:
            messenger.add_store(session, DEMO_STORE)
        if session.scalar(select(PaymentMethod.id).limit(1)) is None:
            messenger.add_payment_method(session, "Bank transfer", "Pay to IBAN ES91 2100 0418 4502 0005 1332, "
                                         "then upload the slip", needs_proof=True)
            messenger.add_payment_method(session, "Cash on delivery", "Pay the courier", needs_proof=False)
        waiting = session.scalar(select(MessengerOrder.order_id).where(
            MessengerOrder.state == messenger.ADD_INFO, MessengerOrder.submitted_at.is_(None)).limit(1))
        if waiting is None:
            item = session.scalar(select(CatalogueItem).order_by(CatalogueItem.sku).limit(1))
            sku, title = (item.sku, item.title) if item is not None else ("DEMO-1", "Demo product")
            waiting = messenger.create(session, store=DEMO_STORE, actor=f"user:{MAIN}", can_edit_prices=True,
                                       lines=[messenger.LineInput(sku, 2, unit_price=Decimal("12.50"), title=title)])
        token = messenger_links.new_link(session, waiting, actor=f"user:{MAIN}")
    return f"{base_url.rstrip('/')}/m/{token}"


def hold(db: Database, *, host: str, port: int, supplier_url: str, say: Callable[[str], None]) -> None:
    """Serve the admin beside the running pipeline until SIGINT or SIGTERM."""
    admin = start_admin(db, host, port)
    # the story checks orders against a catalogue loaded directly: the supplier's own lists are read
    # now, so the Catalogue page shows its products and stock from the start
    actors.sync_catalogue.send()
    try:
        sign_ins = demo_accounts(db)
        say(f"web admin on {admin.url}")
        for sign_in in sign_ins:
            say(f"  {sign_in.what}: {sign_in.username} / {sign_in.password}")
        say(f"a messenger order waits for its buyer: {messenger_demo(db, admin.url)}")
        say(f"after-sales orders (After-sales page): {demo_after_sales.make(db, DEMO_STORE)}")
        say("the sandbox supplier's wallet has run dry; top it up, then Wallet > resubmit them all:")
        say(f"  curl -X POST {supplier_url}/_sandbox/wallet -d '{{\"amount\": 1000}}'")
        say("the shops, the supplier and the workers stay up; Ctrl-C stops everything")
        configure("WARNING", json=get_settings().log_json)  # what goes wrong from now on is worth a line
        stop = wait_for_signal()
        scheduler.run(db, get_settings(), should_stop=stop.is_set)
    finally:
        admin.stop()
