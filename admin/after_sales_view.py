"""What ``orderhub after-sales list|show`` print: plain lines, or JSON (amounts as strings, in the
currency's minor unit)."""

from __future__ import annotations

from typing import Any

from admin.commands_base import emit


def _money(value: Any, currency: str) -> str:
    from sync.money import rounded

    return f"{rounded(value, currency):f}"


def brief(s: Any, found: Any) -> dict[str, Any]:
    from sync import after_sales_refunds as refunds

    c = found.currency
    return {"id": found.id, "number": found.number, "type": found.kind, "state": found.state,
            "order_id": found.order_id, "buyer_name": found.buyer_name, "currency": c,
            "returned_amount": _money(found.returned_amount, c), "exchange_amount": _money(found.exchange_amount, c),
            "return_amount": _money(found.return_amount, c), "refundable": _money(refunds.refundable(s, found), c),
            "return_tracking": found.return_tracking, "exchange_order_id": found.exchange_order_id,
            "channel_refund_id": found.channel_refund_id, "created_by": found.created_by,
            "created_at": found.created_at.isoformat()}


def refund(r: Any) -> dict[str, Any]:
    return {"id": r.id, "after_sales_id": r.after_sales_id, "amount": _money(r.amount, r.currency),
            "currency": r.currency, "state": r.state, "reason": r.reason, "payment_info": r.payment_info,
            "has_proof": r.proof_key is not None, "requested_by": r.requested_by, "decided_by": r.decided_by}


def print_list(s: Any, rows: list[Any], as_json: bool) -> None:
    if as_json:
        emit({"after_sales": [brief(s, r) for r in rows]})
        return
    for r in rows:
        order = f"order {r.order_id}" if r.order_id is not None else f"offline: {r.buyer_name}"
        print(f"{r.number}  {r.kind:<13} {r.state:<17} {order}  {_money(r.return_amount, r.currency)} {r.currency}")


def print_one(s: Any, ref: str, as_json: bool) -> None:
    from sync import after_sales_refunds as refunds
    from sync import after_sales_rules as rules

    found = rules.get(s, ref)
    items = [{"kind": i.kind, "sku": i.sku, "title": i.title, "quantity": i.quantity,
              "unit_price": _money(i.unit_price, found.currency), "received_quantity": i.received_quantity}
             for i in found.items]
    refund_rows = [refund(r) for r in refunds.refund_orders(s, after_sales_id=found.id)]
    history = [{"at": e.at.isoformat(), "actor": e.actor, "from": e.from_state, "to": e.to_state,
                "reason": e.reason} for e in rules.events(s, found.id)]
    if as_json:
        emit({**brief(s, found), "items": items, "refund_orders": refund_rows, "history": history})
        return
    b = brief(s, found)
    print(f"{b['number']} {b['type']} {b['state']}  return {b['return_amount']} {b['currency']}, "
          f"refundable {b['refundable']}")
    for i in items:
        print(f"  {i['kind']:<8} {i['sku']} x{i['quantity']} at {i['unit_price']} (received {i['received_quantity']})")
    for r in refund_rows:
        print(f"  refund order {r['id']}: {r['amount']} {r['state']}" + (f" ({r['reason']})" if r["reason"] else ""))
    for h in history:
        print(f"  {h['at']} {h['actor']}: {h['reason']}")
