"""Run by test_kill: forward one order, and SIGKILL this very process the moment the supplier's
answer is in hand, before it is committed."""

from __future__ import annotations

import os
import signal
import sys

from sync import connect
from sync.db import Database, use_database
from sync.forward import forward


def main() -> None:
    url, order_id = sys.argv[1], int(sys.argv[2])
    db = Database(url)
    use_database(db)

    def die(point: str) -> None:
        if point == "answered":
            os.kill(os.getpid(), signal.SIGKILL)

    forward(db, order_id, connect.supplier_for, hook=die)
    sys.exit(3)  # not reached: the hook kills the process first


if __name__ == "__main__":
    main()
