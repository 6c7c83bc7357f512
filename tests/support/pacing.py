"""A pacer that lets every call through at once and remembers what it was asked."""

from __future__ import annotations


class RecordingPacer:
    def __init__(self) -> None:
        self.waits = 0
        self.holds: list[float] = []

    def wait(self, cost: int = 1) -> float:
        self.waits += 1
        return 0.0

    def hold_until(self, epoch_seconds: float) -> None:
        self.holds.append(epoch_seconds)
