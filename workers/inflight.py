"""A middleware that counts messages being processed in this process, so an embedded run (demo,
tests) can tell "nothing queued and nothing running" apart from "between two steps"."""

from __future__ import annotations

import threading
from typing import Any

from dramatiq.middleware import Middleware


class InFlight(Middleware):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.done = 0
        self.failed = 0

    def before_process_message(self, broker: Any, message: Any) -> None:
        with self._lock:
            self.count += 1

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        with self._lock:
            self.count -= 1
            self.done += 1
            if exception is not None:
                self.failed += 1

    def after_skip_message(self, broker: Any, message: Any) -> None:
        with self._lock:
            self.count -= 1
