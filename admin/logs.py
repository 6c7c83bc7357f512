"""Logging: structlog to stderr, with buyers' phones and e-mails masked wherever they appear."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d ().-]{6,}\d(?![\w.])")
_PERSONAL_KEYS = ("phone", "email", "mail")


def mask_text(text: str) -> str:
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group(0))[-2:], text)


def mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: ("***" if any(p in str(k).lower() for p in _PERSONAL_KEYS) and v else mask(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask(v) for v in value)
    return value


def mask_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if any(p in key.lower() for p in _PERSONAL_KEYS) and value:
            event[key] = "***"
        else:
            event[key] = mask(value)
    return event


def configure(level: str = "INFO", *, json: bool = False) -> None:
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    # httpx logs each request's full URL at INFO: a query can carry a credential (WooCommerce's
    # query_string_auth, OAuth parameters), and every call is counted in the metrics anyway
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
    # alembic announces each of its internal plugins at INFO: noise before `db upgrade`'s own lines
    logging.getLogger("alembic.runtime.plugins").setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # stderr as it is when a line is written, not when this ran: main() may run in-process
        # under a redirected stderr that is closed afterwards
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
