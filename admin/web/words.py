"""What the operators read: reasons and states in their words, ages, and text with amounts
removed for accounts that may not see prices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

REASONS = {
    "missing_surname": "Missing surname",
    "missing_first_name": "Missing first name",
    "missing_address": "Missing address",
    "address_too_long": "Address too long",
    "invalid_postcode": "Invalid postcode",
    "missing_phone": "Missing phone",
    "missing_sku": "Missing SKU",
    "unknown_sku": "Unknown SKU",
    "masked_data": "Hidden data",
    "out_of_stock": "Out of stock",
    "discontinued": "Discontinued",
    "insufficient_wallet": "Insufficient wallet",
    "order_below_minimum": "Below the minimum order",
    "no_carrier": "No carrier",
    "payment_unconfirmed": "Payment not confirmed",
    "changed_after_forwarding": "Changed after it was sent",
    "supplier_rejected": "Refused by the supplier",
}

STATES = {
    "pending_review": "Pending review",
    "new": "New",
    "awaiting_payment": "Awaiting payment",
    "ready": "Ready",
    "forwarding": "Sending",
    "sent": "Sent",
    "shipped": "Shipped",
    "cancelled": "Cancelled",
    "ignored": "Ignored",
    "awaiting_shipment": "To ship (self delivery)",
}


def reason(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize())


def state(code: str | None) -> str:
    return STATES.get(code or "", code or "")


def age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


AGE_CHOICES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7)}

# numbers with decimals, with or without a currency sign or code around them
_AMOUNT = re.compile(r"(?:[€$£]\s?)?\b\d[\d.,\s]*[.,]\d{1,2}\b(?:\s?(?:EUR|USD|GBP|€))?")


def hide_amounts(text: str) -> str:
    """Free text (a supplier's message, a history line) for someone without "view prices"."""
    return _AMOUNT.sub("[amount hidden]", text)


#: after-sales lists (states) and types as the seller's manual names them
AFTER_SALES_STATES = {
    "to_confirm": "To confirm",
    "confirm_return": "Confirm return",
    "confirm_refund": "Confirm refund",
    "confirm_exchange": "Confirm exchange",
    "received_return": "Received return",
    "refund_processing": "Refund processing",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
AFTER_SALES_KINDS = {"return_refund": "Return & refund", "refund_only": "Refund only", "exchange": "Exchange"}


def as_state(code: str | None) -> str:
    return AFTER_SALES_STATES.get(code or "", code or "")


def as_kind(code: str | None) -> str:
    return AFTER_SALES_KINDS.get(code or "", code or "")
