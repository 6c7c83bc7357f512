"""Which supplier account a sales channel forwards to.

One installation may serve several sellers, each with a supplier account of its own: every channel
names its account in its ``supplier_account`` setting. A channel that names none forwards to the
only supplier account, when there is exactly one (a single-seller installation never has to say).
The account decides everything the supplier holds for the channel's orders: where they are created
and looked up, whose wallet pays, whose rate bucket paces the calls, which reference prefix the
orders carry, and which account is asked for their tracking.

An order keeps the account it was first sent to: once any part of it is at a supplier account
(``supplier_orders``), a remainder, a look-up after a lost answer or a manual placement goes there,
never to an account the channel was moved to afterwards.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.installation import reference_prefix
from sync.models import Channel, Order, SupplierOrderRow

#: the channel setting that names its supplier account
SETTING = "supplier_account"
#: the supplier account's own setting: the prefix of the references its orders carry
PREFIX_SETTING = "reference_prefix"


class NoSupplier(LookupError):
    """No supplier account can take a channel's orders: the message says what to configure."""


def accounts(session: Session, *, enabled_only: bool = False) -> list[Channel]:
    query = select(Channel).where(Channel.role == "supplier").order_by(Channel.id)
    if enabled_only:
        query = query.where(Channel.enabled.is_(True))
    return list(session.scalars(query))


def named(settings: dict[str, object] | None) -> str | None:
    value = (settings or {}).get(SETTING)
    return str(value) if value else None


def for_channel(session: Session, channel: Channel) -> Channel:
    """The supplier account ``channel`` forwards to, or ``NoSupplier`` saying what is missing."""
    name = named(channel.settings)
    if name is not None:
        row = session.scalar(select(Channel).where(Channel.name == name, Channel.role == "supplier"))
        if row is None:
            raise NoSupplier(f"channel {channel.name} forwards to supplier account {name!r}, which does not exist "
                             f"(orderhub channels edit {channel.name} --supplier-account ACCOUNT)")
        if not row.enabled:
            raise NoSupplier(f"channel {channel.name} forwards to supplier account {name}, which is disabled")
        return row
    every = accounts(session, enabled_only=True)
    if len(every) == 1:
        return every[0]
    if not every:
        raise NoSupplier("no supplier account is configured (orderhub channels add --role supplier ...)")
    raise NoSupplier(f"channel {channel.name} names no supplier account and there are {len(every)} "
                     f"(orderhub channels edit {channel.name} --supplier-account ACCOUNT)")


def for_order(session: Session, order_id: int) -> Channel:
    """The account an order goes to: the one that holds part of it already, else its channel's."""
    held = session.scalar(select(SupplierOrderRow.supplier_id).where(SupplierOrderRow.order_id == order_id)
                          .order_by(SupplierOrderRow.id).limit(1))
    order = session.get(Order, order_id)
    if order is None:
        raise LookupError(f"no order {order_id}")
    return for_loaded_order(session, order, held)


def for_loaded_order(session: Session, order: Order, held: int | None) -> Channel:
    """``for_order`` for an order already read: ``held`` is the account of its first supplier
    order, if any."""
    if held is not None:
        row = session.get(Channel, held)
        if row is not None:
            return row
    return for_channel(session, order.channel)


def channel_ids(session: Session, account: Channel) -> list[int]:
    """The sales channels whose orders go to ``account`` (for the admin's filter and the wallet)."""
    every = accounts(session, enabled_only=True)
    only = len(every) == 1 and every[0].id == account.id
    rows = session.execute(select(Channel.id, Channel.settings).where(Channel.role == "channel")).all()
    return sorted(cid for cid, settings in rows
                  if named(settings) == account.name or (named(settings) is None and only))


def prefix_for_channel(session: Session, channel_id: int) -> str:
    """The reference prefix of the channel's orders: its account's own, else the installation's.
    Read once per transaction and channel (a page of orders asks for it several times)."""
    cache: dict[int, str] = session.info.setdefault("reference_prefixes", {})
    if channel_id not in cache:
        cache[channel_id] = _prefix(session, channel_id)
    return cache[channel_id]


def _prefix(session: Session, channel_id: int) -> str:
    channel = session.get(Channel, channel_id)
    if channel is not None:
        try:
            own = (for_channel(session, channel).settings or {}).get(PREFIX_SETTING)
        except NoSupplier:
            own = None
        if own:
            return str(own)
    return reference_prefix(session)


def check_choice(session: Session, name: str | None, *, channel: Channel | None = None) -> str | None:
    """The account a channel being added or edited names, checked: an existing supplier account;
    none while there is at most one (the channel goes to the only one; adding a second account
    writes it down, ``sync.channel_accounts``), and ``ValueError`` when there are several. A channel
    that holds orders in flight, or whose references would change, is not moved."""
    every = accounts(session)
    if name is None or not name.strip():
        if len(every) <= 1:
            return None
        raise ValueError(f"name the supplier account this channel forwards to: one of {_names(every)}")
    name = name.strip()
    row = next((a for a in every if a.name == name), None)
    if row is None:
        known = f": one of {_names(every)}" if every else " (there is no supplier account yet)"
        raise ValueError(f"{name[:100]!r} is no supplier account{known}")
    if channel is not None and named(channel.settings) != name:
        _check_move(session, channel, row)
    return name


def _check_move(session: Session, channel: Channel, to: Channel) -> None:
    from sync.states import Status

    busy = session.scalar(select(Order.id).where(
        Order.channel_id == channel.id,
        (Order.status == Status.FORWARDING.value) | Order.outcome_unknown.is_(True)).limit(1))
    if busy is not None:
        raise ValueError(f"{channel.name} has orders being sent to its supplier account now: "
                         "move it when none is forwarding")
    has_orders = session.scalar(select(Order.id).where(Order.channel_id == channel.id).limit(1)) is not None
    if has_orders and _prefix(session, channel.id) != (
            str((to.settings or {}).get(PREFIX_SETTING) or "") or reference_prefix(session)):
        raise ValueError(f"{to.name} gives references another prefix: {channel.name}'s orders would look new "
                         "to the supplier")


def _names(rows: list[Channel]) -> str:
    return ", ".join(r.name for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
