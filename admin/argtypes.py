"""Argument types for the command line: each refuses what the command cannot use with a message
argparse prints on one line (exit 2), before anything runs."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from sync.models import MAX_ID  # the largest id a row can have (64-bit keys)


def kv(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {_short(text)}")
    key, value = text.split("=", 1)
    return key.strip(), value


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {_short(text)}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} ({low} to {high}), got {_short(text)}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


order_id = bounded_int(1, MAX_ID, "an order id")
threads = bounded_int(1, 256, "a number of threads")
port = bounded_int(0, 65535, "a port number (0: any free one)")
port_number = bounded_int(1, 65535, "a port number")
seed = bounded_int(0, 2**32 - 1, "a seed")
milliseconds = bounded_int(0, 60_000, "milliseconds")
count = bounded_int(0, 1_000_000, "a count")
limit = bounded_int(1, 100_000, "a positive number")
seconds = bounded_int(1, 86_400 * 365, "a number of seconds")


def fraction(text: str) -> float:
    value = real(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {_short(text)}")
    return value


def rate(text: str) -> float:
    value = real(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected requests per second (0: no limit), got {_short(text)}")
    return value


def real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_short(text)}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {_short(text)}")
    return value
