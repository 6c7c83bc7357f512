"""A realistic order book for the admin benchmark, written in chunks (COPY on PostgreSQL, an
executemany insert on SQLite): channels, customers, orders with their lines, issues, events,
supplier orders and shipments.

The mix: 10 % of orders in pending_review (one or two open reasons), most others sent or shipped
with a supplier order (5 % of them split over two warehouses) and, when shipped, a tracking
number; names, streets, e-mails and phones from six European countries.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, text

from sync.db import Database
from sync.models import (
    Channel,
    Customer,
    Order,
    OrderEvent,
    OrderIssue,
    OrderLine,
    Shipment,
    SupplierOrderRow,
)
from sync.search_keys import search_columns

CHUNK = 10_000
CHANNELS = [("shop-es", "shopify"), ("woo-fr", "woocommerce"), ("amazon-de", "amazon"), ("shopee-it", "shopee")]
SUPPLIER_ID = len(CHANNELS) + 1
#: (status, share): pending_review is 10 % as in the brief of a busy queue
STATUSES = [("shipped", 0.52), ("sent", 0.18), ("pending_review", 0.10), ("cancelled", 0.04),
            ("awaiting_payment", 0.05), ("ready", 0.01), ("ignored", 0.02), ("fulfilled_on_channel", 0.08)]
REASONS = [("invalid_postcode", 0.25), ("missing_surname", 0.18), ("unknown_sku", 0.17), ("out_of_stock", 0.14),
           ("insufficient_wallet", 0.12), ("supplier_rejected", 0.06), ("missing_phone", 0.05),
           ("changed_after_forwarding", 0.03)]
COUNTRIES = {
    "ES": (["María", "José", "Lucía", "Antonio", "Carmen", "Javier", "Laura", "Manuel", "Sofía", "David", "Elena",
            "Pablo", "Marta", "Sergio", "Paula"],
           ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
            "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez", "Romero", "Navarro"],
           ["Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia", "Calle Real"],
           [("Madrid", "280"), ("Barcelona", "080"), ("Valencia", "460"), ("Sevilla", "410"), ("Bilbao", "480")],
           "+34 6{0}{1} {2}{3}{4} {5}{6}{7}", ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"]),
    "FR": (["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Lucas", "Inès", "Gabriel", "Emma"],
           ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefèvre", "Michel"],
           ["rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue Pasteur", "place de la Mairie"],
           [("Paris", "750"), ("Lyon", "690"), ("Marseille", "130"), ("Toulouse", "310"), ("Lille", "590")],
           "+33 6 {0}{1} {2}{3} {4}{5} {6}{7}", ["orange.fr", "gmail.com", "free.fr", "laposte.net"]),
    "DE": (["Lukas", "Anna", "Leon", "Mia", "Finn", "Hannah", "Jonas", "Lena", "Felix", "Marie", "Paul"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
            "Hoffmann", "Koch", "Richter"],
           ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schulstraße", "Lindenallee"],
           [("Berlin", "101"), ("Hamburg", "203"), ("München", "803"), ("Köln", "506"), ("Frankfurt", "603")],
           "+49 15{0} {1}{2}{3}{4}{5}{6}{7}", ["web.de", "gmx.de", "gmail.com", "t-online.de"]),
    "IT": (["Giulia", "Marco", "Francesca", "Alessandro", "Chiara", "Luca", "Sara", "Matteo", "Valentina"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"],
           ["Via Roma", "Corso Italia", "Via Garibaldi", "Piazza Duomo", "Via Dante"],
           [("Roma", "001"), ("Milano", "201"), ("Napoli", "801"), ("Torino", "101"), ("Firenze", "501")],
           "+39 3{0}{1} {2}{3}{4} {5}{6}{7}", ["libero.it", "gmail.com", "alice.it", "virgilio.it"]),
    "PT": (["João", "Ana", "Pedro", "Beatriz", "Tiago", "Inês", "Rui", "Mariana"],
           ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"],
           ["Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Rua do Comércio"],
           [("Lisboa", "1100"), ("Porto", "4000"), ("Braga", "4700"), ("Coimbra", "3000")],
           "+351 9{0}{1} {2}{3}{4} {5}{6}{7}", ["sapo.pt", "gmail.com", "hotmail.com"]),
    "GB": (["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Grace"],
           ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker"],
           ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue"],
           [("London", "SW1A"), ("Manchester", "M1"), ("Bristol", "BS1"), ("Leeds", "LS1"), ("Glasgow", "G1")],
           "+44 7{0}{1}{2} {3}{4}{5}{6}{7}", ["gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"]),
}
SKUS = [f"BB-{n:06d}" for n in range(1, 3001)]
ASCII = str.maketrans("áéíóúàèìòùäöüßñçãõâêôÁÉÍÓÚÄÖÜÑ", "aeiouaeiouaousncaoaeoAEIOUAOUN")


@dataclass
class Written:
    """What the benchmark needs to know of the data to ask for it."""

    orders: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Ids:
    line: int = 0
    issue: int = 0
    event: int = 0
    supplier: int = 0
    shipment: int = 0


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def person(n: int) -> dict[str, Any]:
    """The buyer of order ``n``: the same on every run (a seed per order), so a reused database
    and a fresh one agree on what to search for."""
    rng = random.Random(n)
    country = rng.choice(list(COUNTRIES))
    firsts, lasts, streets, cities, phone, domains = COUNTRIES[country]
    first, last = rng.choice(firsts), rng.choice(lasts)
    city, zip_head = rng.choice(cities)
    digits = [rng.randrange(10) for _ in range(8)]
    local = f"{first}.{last}".lower().translate(ASCII).replace(" ", "")
    return {
        "first_name": first, "last_name": last, "company": None,
        "address1": f"{rng.choice(streets)} {rng.randrange(1, 200)}", "address2": None, "city": city,
        "region": None, "postcode": f"{zip_head}{rng.randrange(10, 99)}" if country != "GB" else f"{zip_head} 1AA",
        "country_code": country, "phone": phone.format(*digits),
        "email": f"{local}{n % 9973}@{rng.choice(domains)}",
    }


def number_of(channel: int, n: int) -> str:
    kind = CHANNELS[channel - 1][1]
    if kind == "amazon":
        return f"40{n % 10}-{n:07d}-{(n * 7919) % 10_000_000:07d}"
    if kind == "shopify":
        return f"#{1000 + n}"
    return str(100_000 + n)


def tracking_of(row_id: int) -> str:
    return f"1Z{(row_id * 2654435761) % 10**10:010d}{row_id % 97:02d}"


def supplier_order_id_of(row_id: int) -> str:
    return str(5_000_000 + row_id)


def reference_of(order_id: int, channel: int) -> str:
    return f"OHBNCH-{channel}-{order_id}"


class Chunk:
    """The rows of CHUNK orders, table by table, in column order."""

    def __init__(self) -> None:
        self.rows: dict[Table, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def add(self, table: Table, row: dict[str, Any]) -> None:
        self.rows[table].append(row)


TABLES: list[Table] = [Customer.__table__, Order.__table__, OrderLine.__table__,  # type: ignore[list-item]
                       OrderIssue.__table__, OrderEvent.__table__, SupplierOrderRow.__table__,
                       Shipment.__table__]


def order_rows(n: int, start: datetime, span_s: float, ids: Ids, chunk: Chunk) -> str:
    """Order ``n`` (its id) with all its rows; returns its status."""
    rng = random.Random(n * 31 + 7)
    channel = 1 + n % len(CHANNELS)
    who = person(n)
    status = pick(rng, STATUSES)
    created = start + timedelta(seconds=span_s * n + rng.uniform(-600, 600))
    changed = created + timedelta(minutes=rng.uniform(1, 60 * 24 * 3))
    lines = [(rng.choice(SKUS), rng.randint(1, 3), Decimal(rng.randrange(399, 8999)) / 100)
             for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
    total = sum((q * p for _, q, p in lines), Decimal("4.95"))
    number = number_of(channel, n)
    customer = n
    chunk.add(Customer.__table__, {  # type: ignore[arg-type]
        "id": n, "channel_id": channel, "external_id": f"c{n}", "first_name": who["first_name"],
        "last_name": who["last_name"], "email": who["email"], "phone": who["phone"], "updated_at": created})
    raw = {"id": 9_000_000 + n, "name": number, "email": who["email"], "created_at": created.isoformat(),
           "financial_status": "paid", "currency": "EUR", "total_price": str(total),
           "line_items": [{"sku": s, "quantity": q, "price": str(p), "title": f"Product {s}"} for s, q, p in lines],
           "shipping_address": who}
    chunk.add(Order.__table__, {  # type: ignore[arg-type]
        "id": n, "channel_id": channel, "external_id": str(9_000_000 + n), "number": number, "status": status,
        "status_changed_at": changed, "channel_status": "paid", "payment_status": "paid",
        "cancelled_on_channel": status == "cancelled", "is_test": status == "ignored", "currency": "EUR",
        "total": total, "placed_at": created, "channel_updated_at": created, "shipping_address": who,
        "billing_address": who, "shipping_edited": False, "customer_id": customer,
        "internal_reference": reference_of(n, channel), "carrier": None, "outcome_unknown": False,
        "forward_attempts": 1 if status in ("sent", "shipped") else 0, "create_failures": 0,
        "sent_fingerprint": "f" * 64 if status in ("sent", "shipped") else None, "content_fingerprint": "f" * 64,
        "raw": raw, "created_at": created, "updated_at": changed, **search_columns(who)})
    for pos, (sku, qty, price) in enumerate(lines):
        ids.line += 1
        chunk.add(OrderLine.__table__, {"id": ids.line, "order_id": n, "position": pos,  # type: ignore[arg-type]
                                        "external_id": f"{n}-{pos}", "sku": sku, "quantity": qty,
                                        "unit_price": price, "title": f"Product {sku}"})
    _history(n, status, created, changed, rng, ids, chunk)
    return status




def _history(n: int, status: str, created: datetime, changed: datetime, rng: random.Random, ids: Ids,
             chunk: Chunk) -> None:
    first = "pending_review" if status == "pending_review" else ("ready" if status in ("sent", "shipped") else status)
    events = [(created, None, first, "ingested")]
    if status == "pending_review":
        for code in {pick(rng, REASONS) for _ in range(1 if rng.random() < 0.8 else 2)}:
            ids.issue += 1
            chunk.add(OrderIssue.__table__, {  # type: ignore[arg-type]
                "id": ids.issue, "order_id": n, "code": code, "field": "shipping_address.postcode"
                if code == "invalid_postcode" else "", "message": f"{code.replace('_', ' ')} on order {n}",
                "source": "rules", "opened_at": changed, "closed_at": None})
    elif rng.random() < 0.04:  # an issue someone fixed long ago
        ids.issue += 1
        chunk.add(OrderIssue.__table__, {"id": ids.issue, "order_id": n, "code": pick(rng, REASONS),  # type: ignore[arg-type]
                                         "field": "", "message": "fixed", "source": "rules", "opened_at": created,
                                         "closed_at": changed})
    if status in ("sent", "shipped"):
        events.append((changed, "ready", "sent", "created at the supplier"))
        for warehouse in range(2 if rng.random() < 0.05 else 1):
            ids.supplier += 1
            chunk.add(SupplierOrderRow.__table__, {  # type: ignore[arg-type]
                "id": ids.supplier, "order_id": n, "supplier_id": SUPPLIER_ID,
                "supplier_order_id": supplier_order_id_of(ids.supplier),
                "internal_reference": reference_of(n, 1 + n % len(CHANNELS)) + ("" if warehouse == 0 else "-2"),
                "warehouse": str(warehouse + 1), "skus": ["BB-000001"], "total": None, "status": "created",
                "source": "created", "created_at": changed, "tracked_at": None, "polled_at": changed,
                "lookup_failures": 0})
            if status == "shipped":
                ids.shipment += 1
                shipped = changed + timedelta(days=2)
                chunk.add(Shipment.__table__, {  # type: ignore[arg-type]
                    "id": ids.shipment, "supplier_order_row_id": ids.supplier, "order_id": n,
                    "tracking_number": tracking_of(ids.shipment), "carrier": "GLS",
                    "url": f"https://gls-group.eu/track/{tracking_of(ids.shipment)}", "status": "Delivered",
                    "shipped_at": shipped, "created_at": shipped, "push_claimed_at": None, "pushed_at": shipped,
                    "push_error": None})
        if status == "shipped":
            events.append((changed + timedelta(days=2), "sent", "shipped", "tracking received"))
    elif status != first:
        events.append((changed, first, status, "moved"))
    for at, frm, to, why in events:
        ids.event += 1
        chunk.add(OrderEvent.__table__, {"id": ids.event, "order_id": n, "at": at, "actor": "worker",  # type: ignore[arg-type]
                                         "from_status": frm, "to_status": to, "reason": why})


def chunks(total: int, now: datetime) -> Iterator[tuple[Chunk, dict[str, int]]]:
    """The order book CHUNK orders at a time, oldest first; ids run 1..total."""
    span_s = 730 * 86400 / max(total, 1)
    start = now - timedelta(days=731)
    ids = Ids()
    for low in range(1, total + 1, CHUNK):
        chunk, counts = Chunk(), {}
        for n in range(low, min(total, low + CHUNK - 1) + 1):
            status = order_rows(n, start, span_s, ids, chunk)
            counts[status] = counts.get(status, 0) + 1
        yield chunk, counts


def fill(db: Database, total: int, log: Any) -> Written:
    now = datetime.now(UTC).replace(microsecond=0)
    with db.session() as session:
        for i, (name, kind) in enumerate(CHANNELS, start=1):
            session.add(Channel(id=i, name=name, kind=kind, role="channel", url=f"https://{name}.invalid",
                                credentials={}, settings={}))
        session.add(Channel(id=SUPPLIER_ID, name="bigbuy", kind="bigbuy", role="supplier",
                            url="https://api.bigbuy.invalid", credentials={}, settings={"carriers": ["gls"]}))
    written = Written(orders=total)
    postgres = db.engine.dialect.name == "postgresql"
    for chunk, counts in chunks(total, now):
        for k, v in counts.items():
            written.counts[k] = written.counts.get(k, 0) + v
        with db.engine.begin() as conn:
            for table in TABLES:
                rows = chunk.rows[table]
                if rows and postgres:
                    _copy(conn, table, rows)
                elif rows:
                    conn.execute(insert(table), rows)
        done = min(total, sum(written.counts.values()))
        if done % 100_000 < CHUNK or done == total:
            log(f"  {done:,} orders written")
    if postgres:
        with db.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))
    return written


def _copy(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    json_columns = {n for n in names if table.c[n].type.__class__.__name__ in ("JSON", "JSONB")
                    or "JSON" in repr(table.c[n].type)}
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(names)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in json_columns and row[n] is not None else row[n]
                            for n in names])
