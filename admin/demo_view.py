"""What ``orderhub demo`` shows on a terminal: one line per step of the story with its counts,
a spinner while a step runs, and a short table at the end. The pipeline's own logs stay below
WARNING, so hundreds of HTTP lines do not bury it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.status import Status
from rich.table import Table


class DemoView:
    def __init__(self, counts: Callable[[], dict[str, int]] | None = None, *, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.counts = counts
        self._label: str | None = None
        self._status: Status | None = None

    def step(self, label: str) -> None:
        """A new step begins (the previous one is over)."""
        self._end_step()
        if not label:
            return
        if label.startswith("done in"):
            self.console.print(f"[green]✓[/] {label}")
            return
        self._label = label
        self._status = self.console.status(label)
        self._status.start()

    def close(self) -> None:
        self._end_step()

    def abandon(self) -> None:
        """Stop the spinner of a step that failed."""
        if self._status is not None:
            self._status.stop()
            self._status = None
        self._label = None

    def _end_step(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self._label is not None:
            detail = ""
            if self.counts is not None:
                counts = self.counts()
                detail = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()) if n)
            self.console.print(f"[green]✓[/] {self._label}" + (f" [dim]({detail})[/]" if detail else ""))
            self._label = None


#: the demo's shops and supplier as their sellers know them
PLATFORMS = {"shopify": "Shopify", "woocommerce": "WooCommerce", "amazon": "Amazon", "shopee": "Shopee"}


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title="OrderHub demo", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("how many", justify="right")
    rows = [
        ("orders on the shops", summary["orders_on_channels"]),
        ("ingested", summary["ingested"]),
        *((f"  from {PLATFORMS.get(kind, kind)}", n) for kind, n in summary.get("ingested_by_channel", {}).items()),
        ("forwarded to the supplier (BigBuy)", summary["forwarded"]),
        ("supplier orders (one per warehouse)", summary["supplier_orders"]),
        ("sent twice", summary["duplicates_at_supplier"]),
        ("tracking pushed to the shops", summary["tracking_pushed"]),
        ("  tracking a shop refused (Shopee: one number per order)", summary["tracking_not_pushed"]),
        ("cancelled by the shops", summary["cancelled"]),
        ("changed after forwarding", summary["changed_after_forwarding"]),
        ("pending review", summary["pending_review_orders"]),
    ]
    rows += [(f"  held for {code}", n) for code, n in summary["pending_review"].items()]
    for label, value in rows:
        table.add_row(label, str(value))
    return table
