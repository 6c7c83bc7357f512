"""Rules: canonical order + context -> issues. Each rule is a plain function registered by name;
``validate`` runs every rule whose needs the context can meet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from connectors.records import ChannelOrder


class Issue(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Context:
    """What a rule may know besides the order.

    ``known_skus`` is None when no catalogue is at hand (``orderhub inspect``): rules that need
    it are skipped rather than guessing. ``stock`` (units the supplier holds) and ``discontinued``
    are keyed by the channel's SKU, for the SKUs whose supplier product the catalogue sync has seen;
    a SKU absent from ``stock`` has no known stock and is not judged.
    """

    known_skus: frozenset[str] | None = None
    stock: Mapping[str, int] = field(default_factory=dict)
    discontinued: frozenset[str] = frozenset()
    max_address_length: int = 70
    extra: dict[str, object] = field(default_factory=dict)


RuleFunc = Callable[[ChannelOrder, Context], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    name: str
    func: RuleFunc
    needs_catalogue: bool = False


_RULES: dict[str, Rule] = {}


def rule(name: str, *, needs_catalogue: bool = False) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        if name in _RULES:
            raise ValueError(f"rule {name!r} is registered twice")
        _RULES[name] = Rule(name, func, needs_catalogue)
        return func

    return register


def rules() -> list[Rule]:
    return list(_RULES.values())


def validate(order: ChannelOrder, context: Context | None = None) -> list[Issue]:
    context = context or Context()
    found: list[Issue] = []
    for r in _RULES.values():
        if r.needs_catalogue and context.known_skus is None:
            continue
        found.extend(r.func(order, context))
    return _unique(found)


def _unique(issues: Iterable[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    out: list[Issue] = []
    for issue in issues:
        key = (issue.code, issue.field)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out
