"""Shopify refunds in an order body (``refunds[]``): the amount is the sum of its successful refund
transactions, the units its ``refund_line_items``. A GraphQL order node's ``refunds`` mean the
same: the amount is ``totalRefundedSet`` (the sum of the refund's transactions), the units its
``refundLineItems``, and the ids are the numbers inside the ``gid://`` ids, so a refund reads the
same whichever API brought the order. A refund that cannot be read is left out (the body was
accepted when the order was stored: showing it must not fail)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.refunds import ChannelRefund, RefundedLine
from connectors.shopify.errors import ShopifyParseError
from connectors.shopify.fields import count, ident, moment, money, text
from connectors.shopify.graphql_parse import gid_number, has_next_page, is_node, nodes


def refunds_in(body: dict[str, Any]) -> list[ChannelRefund]:
    found = body.get("refunds")
    if not isinstance(found, list):
        return []
    read = _node_refund if is_node(body) else _refund
    out = []
    for i, refund in enumerate(found):
        try:
            out.append(read(refund, f"refunds[{i}]"))
        except ShopifyParseError:
            continue
    return out


def _node_refund(refund: Any, path: str) -> ChannelRefund:
    if not isinstance(refund, dict):
        raise ShopifyParseError(f"{path} is not an object")
    total = refund.get("totalRefundedSet")
    shop = total.get("shopMoney") if isinstance(total, dict) else None
    amount = money(shop.get("amount") if isinstance(shop, dict) else None, f"{path}.totalRefundedSet")
    items = refund.get("refundLineItems")
    lines = []
    if not has_next_page(items):  # part of the units would pass for all of them: then none
        for j, item in enumerate(nodes(items, f"{path}.refundLineItems")):
            where = f"{path}.refundLineItems[{j}]"
            if not isinstance(item, dict):
                raise ShopifyParseError(f"{where} is not an object")
            found_line = item.get("lineItem")
            line: dict[str, Any] = found_line if isinstance(found_line, dict) else {}
            lines.append(RefundedLine(
                sku=text(line.get("sku"), f"{where}.lineItem.sku"),
                quantity=count(item.get("quantity"), f"{where}.quantity"),
                line_external_id=None if line.get("id") is None else gid_number(line["id"], f"{where}.lineItem.id",
                                                                               "LineItem"),
                title=text(line.get("name"), f"{where}.lineItem.name") or ""))
    return ChannelRefund(external_id=gid_number(refund.get("id"), f"{path}.id", "Refund"), amount=amount,
                         reason=text(refund.get("note"), f"{path}.note") or "",
                         at=moment(refund.get("createdAt"), f"{path}.createdAt"), lines=tuple(lines))


def _refund(refund: Any, path: str) -> ChannelRefund:
    if not isinstance(refund, dict):
        raise ShopifyParseError(f"{path} is not an object")
    amount = Decimal(0)
    for j, tx in enumerate(_list(refund, "transactions", path)):
        if isinstance(tx, dict) and tx.get("kind") == "refund" and tx.get("status") in ("success", None):
            amount += money(tx.get("amount"), f"{path}.transactions[{j}].amount")
    lines = []
    for j, item in enumerate(_list(refund, "refund_line_items", path)):
        if not isinstance(item, dict):
            raise ShopifyParseError(f"{path}.refund_line_items[{j}] is not an object")
        found_line = item.get("line_item")
        line: dict[str, Any] = found_line if isinstance(found_line, dict) else {}
        line_id = item.get("line_item_id")
        lines.append(RefundedLine(
            sku=text(line.get("sku"), f"{path}.refund_line_items[{j}].line_item.sku"),
            quantity=count(item.get("quantity"), f"{path}.refund_line_items[{j}].quantity"),
            line_external_id=None if line_id is None else ident(line_id, f"{path}.refund_line_items[{j}].line_item_id"),
            title=text(line.get("name"), f"{path}.refund_line_items[{j}].line_item.name") or ""))
    return ChannelRefund(external_id=ident(refund.get("id"), f"{path}.id"), amount=amount,
                         reason=text(refund.get("note"), f"{path}.note") or "",
                         at=moment(refund.get("created_at"), f"{path}.created_at"), lines=tuple(lines))


def _list(refund: dict[str, Any], key: str, path: str) -> list[Any]:
    value = refund.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShopifyParseError(f"{path}.{key} is not a list")
    return value
