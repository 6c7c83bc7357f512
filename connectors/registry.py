"""Connectors are found through the ``connectors`` entry-point group: a new channel is a
new package that registers itself; nothing else changes."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from connectors.base import ChannelConnector, Connector, SupplierConnector

GROUP = "orderhub.connectors"


class UnknownConnector(LookupError):
    pass


@cache
def available() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {entry.name} is not a Connector class")
        if getattr(cls, "kind", None) != entry.name:
            raise TypeError(f"entry point {entry.name} names a connector of kind {getattr(cls, 'kind', None)!r}")
        found[entry.name] = cls
    return found


def connector_class(kind: str) -> type[Connector]:
    try:
        return available()[kind]
    except KeyError:
        known = ", ".join(sorted(available())) or "none"
        raise UnknownConnector(f"unknown connector {kind!r} (known: {known})") from None


def channel_class(kind: str) -> type[ChannelConnector]:
    cls = connector_class(kind)
    if not issubclass(cls, ChannelConnector):
        raise UnknownConnector(f"{kind!r} is not a sales channel")
    return cls


def supplier_class(kind: str) -> type[SupplierConnector]:
    cls = connector_class(kind)
    if not issubclass(cls, SupplierConnector):
        raise UnknownConnector(f"{kind!r} is not a supplier")
    return cls


def channel_kinds() -> list[str]:
    return sorted(k for k, c in available().items() if issubclass(c, ChannelConnector))
