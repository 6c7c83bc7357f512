"""``orderhub demo``: the whole story on the embedded default, start to end.

Four sandbox shops (Shopify, WooCommerce, Amazon, Shopee) hold seeded orders, some flawed on
purpose (a one-word Amazon name, Shopee buyers masked); the sandbox supplier's wallet pays for the
clean orders of the first pull and runs dry on the orders paid later. The run pulls, checks and
forwards; then the shops change (late payments, a cancellation, an edit after forwarding), the
supplier ships, and tracking goes back. It prints what happened: the same summary on every run,
since which orders the wallet covers does not depend on which worker thread reaches the supplier
first.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from admin import stack as sandbox_stack
from sync import connect
from sync.db import Database, get_database, use_database
from sync.models import Channel, Order, OrderIssue, QuarantinedBody, Shipment
from sync.states import Status
from workers import actors
from workers.embedded import EmbeddedWorkers

#: what ``--serve`` does once the story is told, with the pipeline still up
Then = Callable[[Database, sandbox_stack.SandboxStack, dict[str, Any]], None]


def run(*, workdir: Path | None = None, threads: int = 4, supplier_rate: float = 20.0,
        progress: Callable[[str], None] | None = None, then: Then | None = None) -> dict[str, Any]:
    """The story on a SQLite file in ``workdir`` (kept), or in a temporary folder removed after.
    ``then``: called with the summary while the shops and the workers are still up."""
    started = time.monotonic()
    keep = workdir is not None
    folder = workdir or Path(tempfile.mkdtemp(prefix="orderhub-demo-"))
    db = Database(f"sqlite:///{folder / 'orderhub.sqlite3'}")
    try:
        db.create_all()
        stack = start_stack(supplier_rate)
        try:
            with EmbeddedWorkers(threads=threads) as workers:
                summary = play(db, stack, workers, supplier_rate=supplier_rate, progress=progress)
                if keep:
                    summary["database"] = db.url
                if progress:
                    progress(f"done in {time.monotonic() - started:.1f} s")
                if then is not None:
                    use_database(db)
                    then(db, stack, summary)
        finally:
            stack.stop()
    finally:
        use_database(None)
        db.dispose()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return summary


def start_stack(supplier_rate: float) -> sandbox_stack.SandboxStack:
    """Every shop, and a wallet that pays for exactly the clean orders paid when the shops are
    first pulled: the orders paid later are the ones it refuses, whatever the order of forwarding."""
    return sandbox_stack.start(bigbuy_rate=supplier_rate * 1.2, covered=None, shopee_port=0,
                               amazon=sandbox_stack.amazon_sandbox())


def play(db: Database, stack: sandbox_stack.SandboxStack, workers: EmbeddedWorkers, *,
         supplier_rate: float, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The story, on whatever database and broker the caller set up."""
    say = progress or (lambda message: None)
    use_database(db)
    connect.forget()
    try:
        ids = sandbox_stack.register(db, stack, supplier_rate=supplier_rate)

        def sync_all(label: str) -> None:
            say(label)
            for kind, channel_id in ids.items():
                if kind != "bigbuy":
                    actors.pull_channel.send(channel_id)
            if not workers.settle(db, timeout=600):
                raise RuntimeError(f"the pipeline did not settle after: {label}")

        sync_all("pulling every shop and forwarding what is ready")
        stack.advance_channels(1)
        sync_all("the shops changed: late payments and a cancellation")
        stack.advance_channels(2)
        sync_all("a buyer edited an order that was already sent")
        say("the supplier ships; polling tracking and pushing it to the shops")
        stack.bigbuy_app.advance()
        actors.poll_tracking.send()
        if not workers.settle(db, timeout=600):
            raise RuntimeError("tracking did not settle")
        say("")  # the last step is over
        return summarise(db, stack)
    finally:
        connect.forget()


def status_counts() -> dict[str, int]:
    """Orders by status in the database the story runs on, for the progress view."""
    with get_database().session() as session:
        rows = session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
    return {str(status): int(n) for status, n in rows}


def summarise(db: Database, stack: sandbox_stack.SandboxStack) -> dict[str, Any]:
    with db.session() as session:
        by_status = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        pending = dict(session.execute(
            select(OrderIssue.code, func.count(func.distinct(OrderIssue.order_id)))
            .join(Order, Order.id == OrderIssue.order_id)
            .where(OrderIssue.closed_at.is_(None), Order.status == Status.PENDING_REVIEW.value)
            .group_by(OrderIssue.code)
        ).all())
        by_channel: dict[str, dict[str, int]] = {}
        for kind, code, n in session.execute(
            select(Channel.kind, OrderIssue.code, func.count(func.distinct(OrderIssue.order_id)))
            .join(Order, Order.id == OrderIssue.order_id).join(Channel, Channel.id == Order.channel_id)
            .where(OrderIssue.closed_at.is_(None), Order.status == Status.PENDING_REVIEW.value)
            .group_by(Channel.kind, OrderIssue.code)
        ).all():
            by_channel.setdefault(str(kind), {})[str(code)] = int(n)
        ingested_by_channel = {str(kind): int(n) for kind, n in session.execute(
            select(Channel.kind, func.count()).join(Order, Order.channel_id == Channel.id).group_by(Channel.kind)
        ).all()}
        changed = session.scalar(select(func.count(func.distinct(OrderIssue.order_id))).where(
            OrderIssue.code == "changed_after_forwarding", OrderIssue.closed_at.is_(None))) or 0
        not_pushed = session.scalar(select(func.count(func.distinct(OrderIssue.order_id))).where(
            OrderIssue.code == "tracking_not_pushed", OrderIssue.closed_at.is_(None))) or 0
        pushed = session.scalar(select(func.count()).select_from(Shipment).where(Shipment.pushed_at.is_not(None))) or 0
        quarantined = session.scalar(select(func.count()).select_from(QuarantinedBody)) or 0
    supplier = stack.bigbuy_app.state()
    ingested = sum(by_status.values())
    forwarded = by_status.get("sent", 0) + by_status.get("shipped", 0)
    expected = stack.expected()
    return {
        "orders_on_channels": stack.orders_on_channels(),
        "ingested": ingested,
        "ingested_by_channel": dict(sorted(ingested_by_channel.items())),
        "forwarded": forwarded,
        "pending_review": dict(sorted(pending.items())),
        "pending_review_orders": by_status.get("pending_review", 0),
        "pending_review_by_channel": {k: dict(sorted(v.items())) for k, v in sorted(by_channel.items())},
        "cancelled": by_status.get("cancelled", 0),
        "awaiting_payment": by_status.get("awaiting_payment", 0),
        "shipped": by_status.get("shipped", 0),
        "changed_after_forwarding": changed,
        "tracking_pushed": pushed,
        "tracking_not_pushed": not_pushed,
        "quarantined": quarantined,
        "supplier_orders": supplier["orders"],
        "duplicates_at_supplier": supplier["duplicates"],
        "expected": {"forwarded": expected["forwarded"], "cancelled": expected["cancelled"],
                     "insufficient_wallet": expected["insufficient_wallet"]},
        "by_status": dict(sorted(by_status.items())),
    }
