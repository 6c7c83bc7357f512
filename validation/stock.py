"""Rules on what the supplier can ship, from the catalogue sync's last look at its stock: an order
that would be refused (BigBuy ER003, "Inactive product") is held before a create is spent."""

from __future__ import annotations

from collections.abc import Iterator

from connectors import codes
from connectors.records import ChannelOrder
from validation.base import Context, Issue, rule
from validation.delivery import clean
from validation.rules import _lines_to_send


@rule("discontinued", needs_catalogue=True)
def discontinued(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    for index, line in _lines_to_send(order):
        sku = clean(line.sku)
        if sku is not None and sku in ctx.discontinued:
            yield Issue(
                code=codes.DISCONTINUED,
                field=f"lines[{index}].sku",
                message=f"SKU {sku!r} on line {index + 1} is no longer sold by the supplier.",
            )


@rule("out_of_stock", needs_catalogue=True)
def out_of_stock(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    wanted: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for index, line in _lines_to_send(order):
        sku = clean(line.sku)
        if sku is None or sku in ctx.discontinued:
            continue
        wanted[sku] = wanted.get(sku, 0) + line.quantity
        first_line.setdefault(sku, index)
    for sku, quantity in wanted.items():
        held = ctx.stock.get(sku)
        if held is not None and held < quantity:
            index = first_line[sku]
            have = "none" if held <= 0 else f"only {held}"
            yield Issue(
                code=codes.OUT_OF_STOCK,
                field=f"lines[{index}].sku",
                message=f"SKU {sku!r} on line {index + 1}: {quantity} wanted, the supplier has {have} in stock.",
            )
