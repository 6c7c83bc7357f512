"""The platforms as respx serves them to the conformance suite: each sandbox's paging, faults and
state, but every order body laid over the platform's own published example (``fixtures/payloads``),
so the connector meets the fields the real API sends beside the ones the sandbox knows."""

from __future__ import annotations

import json
from typing import Any

from sandbox import seeding
from sandbox.amazon import AmazonSandbox
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox

from support import PAYLOADS


def _example(name: str, *path: str) -> Any:
    body = json.loads((PAYLOADS / name).read_text())
    for key in path:
        body = body[key]
    return body


def overlay(example: Any, rendered: Any) -> Any:
    """``rendered`` wins wherever it says something; the example fills in what it leaves out, in
    nested objects too (each item of a list of objects over the example's first item)."""
    if isinstance(example, dict) and isinstance(rendered, dict):
        return {**example, **{k: overlay(example.get(k), v) for k, v in rendered.items()}}
    if isinstance(example, list) and isinstance(rendered, list) and example and isinstance(example[0], dict):
        return [overlay(example[0], item) for item in rendered]
    return rendered


class ShopifyPayloadShop(ShopifySandbox):
    example = _example("shopify/order.json", "order")

    def _render_spec(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        return overlay(self.example, super()._render_spec(spec))  # type: ignore[no-any-return]


class WooCommercePayloadShop(WooCommerceSandbox):
    example = _example("woocommerce/orders__retrieve-an-order.response.json")

    def render(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        return overlay(self.example, super().render(spec))  # type: ignore[no-any-return]


class AmazonPayloadShop(AmazonSandbox):
    example = _example("amazon/v2026.getOrder.200.example.json", "order")

    def _render(self, spec: seeding.OrderSpec, included: frozenset[str]) -> dict[str, Any]:
        return overlay(self.example, super()._render(spec, included))  # type: ignore[no-any-return]
