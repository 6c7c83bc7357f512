"""Which channel orders wait for the seller to confirm their payment: read from the order and its
channel's settings alone (no database), so that every judgement of an order agrees.

The channel setting ``confirm_payment_methods`` lists payment method codes as the platform names
them (WooCommerce ``bacs``, ``cod``; Shopify's gateway names, such as ``manual`` or ``Cash on
Delivery (COD)``), compared without regard to case. Unset: ``["bacs"]``, the bank transfers a shop
holds ``on-hold`` already, which the confirmation only lets the seller release."""

from __future__ import annotations

from typing import Any

from connectors.records import ChannelOrder

DEFAULT_METHODS = ("bacs",)
#: WooCommerce puts a cash-on-delivery order in ``processing`` (read as paid) at checkout: that
#: says nothing about the cash, which is collected on delivery
PAID_AT_CHECKOUT = frozenset({"cod"})
PAID = frozenset({"paid", "partially_refunded"})


def code(method: str) -> str:
    return method.strip().casefold()


def methods(channel_settings: dict[str, Any]) -> frozenset[str]:
    listed = channel_settings.get("confirm_payment_methods")
    return frozenset(code(m) for m in (DEFAULT_METHODS if listed is None else listed) if isinstance(m, str))


def listed(order: ChannelOrder, channel_settings: dict[str, Any]) -> bool:
    return order.payment_method is not None and code(order.payment_method) in methods(channel_settings)


def channel_says_paid(order: ChannelOrder) -> bool:
    return order.payment_status in PAID and code(order.payment_method or "") not in PAID_AT_CHECKOUT


def needs_confirmation(order: ChannelOrder, channel_settings: dict[str, Any]) -> bool:
    """The order's payment method is one the seller confirms, and the channel has not reported it paid."""
    return listed(order, channel_settings) and not channel_says_paid(order)
