"""Shopee Open Platform v2 request signing.

``sign`` = hex HMAC-SHA256(partner_key, partner_id + path + timestamp + access_token + shop_id) for
shop calls, and over partner_id + path + timestamp alone for the public auth calls. The
timestamp is Unix seconds; Shopee refuses one more than five minutes off.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(partner_key: str, partner_id: str, path: str, timestamp: int, access_token: str = "",
         shop_id: str = "") -> str:
    base = f"{partner_id}{path}{timestamp}{access_token}{shop_id}"
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def shop_params(partner_key: str, partner_id: str, path: str, timestamp: int, access_token: str,
                shop_id: str) -> dict[str, str]:
    """The common query parameters of a shop-level call."""
    return {
        "partner_id": partner_id,
        "timestamp": str(timestamp),
        "access_token": access_token,
        "shop_id": shop_id,
        "sign": sign(partner_key, partner_id, path, timestamp, access_token, shop_id),
    }


def public_params(partner_key: str, partner_id: str, path: str, timestamp: int) -> dict[str, str]:
    return {"partner_id": partner_id, "timestamp": str(timestamp),
            "sign": sign(partner_key, partner_id, path, timestamp)}
