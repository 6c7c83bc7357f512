"""Webhook subscriptions and deliveries, as the sandbox platforms make them.

Each delivery is a signed POST of the raw JSON body (base64 of HMAC-SHA256, the platform's
header) with a delivery id; a platform's own headers come from its ``headers`` function. Switches
for tests (``DeliveryFaults``): every delivery sent twice with the same id, deliveries held and
then sent newest first, signatures made with the wrong key.

Deliveries go out in the thread that changed the orders, after the platform's lock is released
(the receiver may call the platform back), with the platforms' short timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: consecutive failed deliveries after which WooCommerce disables a webhook
DISABLE_AFTER = 5
TIMEOUT_SECONDS = 5.0


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Hook:
    id: int
    topic: str
    address: str
    secret: str
    status: str = "active"
    failures: int = 0


@dataclass
class Sent:
    hook_id: int
    topic: str
    delivery_id: str
    #: the receiver's HTTP status, or None when it could not be reached
    status: int | None
    signed: bool = True


@dataclass
class DeliveryFaults:
    twice: bool = False
    out_of_order: bool = False
    bad_signature: bool = False


@dataclass
class _Pending:
    hook: Hook
    topic: str
    body: bytes
    delivery_id: str = field(default_factory=lambda: str(uuid.uuid4()))


#: the platform's headers for one delivery: (hook, topic, delivery id, signature) -> headers
Headers = Callable[[Hook, str, str, str], dict[str, str]]


class Outbox:
    def __init__(self, headers: Headers) -> None:
        self.headers = headers
        self.faults = DeliveryFaults()
        self.hooks: dict[int, Hook] = {}
        self.sent: list[Sent] = []
        self._held: list[_Pending] = []
        self._lock = threading.RLock()
        self._next_id = 1

    # subscriptions -----------------------------------------------------------------------

    def subscribe(self, topic: str, address: str, secret: str, first_id: int = 1) -> Hook:
        with self._lock:
            self._next_id = max(self._next_id, first_id)
            hook = Hook(self._next_id, topic, address, secret)
            self.hooks[hook.id] = hook
            self._next_id += 1
            return hook

    def listening(self, topic: str) -> list[Hook]:
        with self._lock:
            return [h for h in self.hooks.values() if h.topic == topic and h.status == "active"]

    def any_listening(self) -> bool:
        with self._lock:
            return any(h.status == "active" for h in self.hooks.values())

    # deliveries --------------------------------------------------------------------------

    def emit(self, events: list[tuple[str, bytes]]) -> None:
        """Deliver each (topic, raw body) to every active hook of its topic."""
        pending = [_Pending(hook, topic, body) for topic, body in events for hook in self.listening(topic)]
        if not pending:
            return
        with self._lock:
            if self.faults.out_of_order:
                self._held.extend(pending)
                return
        self._send_all(pending)

    def flush(self) -> int:
        """Send what ``out_of_order`` held back, newest first."""
        with self._lock:
            held, self._held = self._held, []
        self._send_all(list(reversed(held)))
        return len(held)

    def ping(self, hook: Hook, body: bytes, headers: dict[str, str]) -> int | None:
        """An unsigned delivery (WooCommerce's ping of a new webhook); its failure is only recorded."""
        status = _post(hook.address, body, headers)
        with self._lock:
            self.sent.append(Sent(hook.id, "ping", "", status, signed=False))
        return status

    def _send_all(self, pending: list[_Pending]) -> None:
        for item in pending:
            for _ in range(2 if self.faults.twice else 1):
                self._send(item)

    def _send(self, item: _Pending) -> None:
        key = item.hook.secret + ("-wrong" if self.faults.bad_signature else "")
        headers = self.headers(item.hook, item.topic, item.delivery_id, sign(key, item.body))
        status = _post(item.hook.address, item.body, headers)
        with self._lock:
            self.sent.append(Sent(item.hook.id, item.topic, item.delivery_id, status))
            ok = status is not None and 200 <= status < 300
            item.hook.failures = 0 if ok else item.hook.failures + 1
            if item.hook.failures > DISABLE_AFTER:
                item.hook.status = "disabled"

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"subscriptions": [{k: v for k, v in asdict(h).items() if k != "secret"}
                                      for h in self.hooks.values()],
                    "deliveries": [asdict(s) for s in self.sent], "held": len(self._held),
                    "faults": asdict(self.faults)}

    def set_faults(self, data: dict[str, Any]) -> None:
        with self._lock:
            for name in ("twice", "out_of_order", "bad_signature"):
                if name in data:
                    setattr(self.faults, name, bool(data[name]))


def _post(address: str, body: bytes, headers: dict[str, str]) -> int | None:
    request = urllib.request.Request(address, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None
