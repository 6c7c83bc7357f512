"""Reading a webhook delivery: the signature over the raw body first, then what it asks."""

from __future__ import annotations

import json

import pytest

from connectors.shopify import ShopifyConnector
from connectors.webhooks import BadSignature, sign, signature_matches
from connectors.woocommerce import WooCommerceConnector
from sync import fields

import support
from support.webhooks import SHOP_SECRET, WOO_SECRET, shopify_delivery, woo_delivery


def test_the_published_shopify_test_vector_verifies() -> None:
    vector = json.loads(support.payload("shopify", "webhook_hmac_test_vector.json").read_text())
    body = vector["raw_body"].encode()
    assert sign(vector["secret"], body) == vector["expected_header_value"]
    assert signature_matches(vector["secret"], body, vector["expected_header_value"])
    headers = {vector["header"]: vector["expected_header_value"], "X-Shopify-Topic": "shop/update",
               "X-Shopify-Webhook-Id": "w-1"}
    delivery = ShopifyConnector.read_webhook(headers, body, vector["secret"])
    assert (delivery.delivery_id, delivery.action) == ("w-1", "ignore")
    with pytest.raises(BadSignature):
        ShopifyConnector.read_webhook(headers, body + b" ", vector["secret"])  # one byte more


@pytest.mark.parametrize("given", [None, "", "not base64!", "3X6clrsy+C8mmzR/MeTh6b/EcLr46WLZaU+24GrPXOM="])
def test_a_missing_or_wrong_signature_never_matches(given: str | None) -> None:
    assert not signature_matches("another-secret", b"Bf", given)
    assert not signature_matches(None, b"Bf", given)


def test_a_shopify_order_delivery_names_its_order_and_its_delivery() -> None:
    body, headers = shopify_delivery(450789469, topic="orders/cancelled", delivery_id="b54557e4")
    delivery = ShopifyConnector.read_webhook(headers, body, SHOP_SECRET)
    assert (delivery.delivery_id, delivery.topic, delivery.action, delivery.external_id) == (
        "b54557e4", "orders/cancelled", "order", "450789469")
    with pytest.raises(BadSignature):
        ShopifyConnector.read_webhook(headers, body, "the wrong secret")
    uninstalled, headers = shopify_delivery(None, topic="app/uninstalled", body={"id": 1, "domain": "x"})
    assert ShopifyConnector.read_webhook(headers, uninstalled, SHOP_SECRET).action == "uninstalled"


def test_a_real_shopify_order_body_read_as_a_delivery() -> None:
    raw = json.dumps(json.loads(support.payload("shopify", "order.json").read_text())["order"]).encode()
    _, headers = shopify_delivery(1, topic="orders/create")
    headers["X-Shopify-Hmac-Sha256"] = sign(SHOP_SECRET, raw)
    delivery = ShopifyConnector.read_webhook(headers, raw, SHOP_SECRET)
    assert delivery.action == "order" and delivery.external_id == "450789469"


def test_woocommerce_answers_its_unsigned_ping_and_nothing_else_unsigned() -> None:
    assert WooCommerceConnector.read_webhook({}, b"webhook_id=142", WOO_SECRET).action == "ping"
    with pytest.raises(BadSignature):
        WooCommerceConnector.read_webhook({}, b'{"id": 727}', WOO_SECRET)
    with pytest.raises(BadSignature):  # a signed-looking ping body with a wrong signature is no ping
        WooCommerceConnector.read_webhook({"X-WC-Webhook-Signature": "eA=="}, b"webhook_id=142", WOO_SECRET)


def test_a_woocommerce_order_delivery_names_its_order_and_other_topics_are_ignored() -> None:
    body, headers = woo_delivery(727, topic="order.deleted", delivery_id="d1")
    delivery = WooCommerceConnector.read_webhook(headers, body, WOO_SECRET)
    assert (delivery.delivery_id, delivery.action, delivery.external_id) == ("d1", "order", "727")
    body, headers = woo_delivery(9, topic="product.updated")
    assert WooCommerceConnector.read_webhook(headers, body, WOO_SECRET).action == "ignore"
    lower = {k.lower(): v for k, v in woo_delivery(5)[1].items()}  # as an ASGI server hands them over
    assert WooCommerceConnector.read_webhook(lower, woo_delivery(5)[0], WOO_SECRET).action == "order"


@pytest.mark.parametrize("kind", ["shopify", "woocommerce"])
def test_channels_take_a_webhook_secret_but_do_not_need_one(kind: str) -> None:
    needed = {"shopify": {"access_token": "t"}, "woocommerce": {"consumer_key": "k", "consumer_secret": "s"}}[kind]
    assert fields.check_credentials(kind, {**needed, "webhook_secret": "x"})["webhook_secret"] == "x"
    assert "webhook_secret" not in fields.check_credentials(kind, needed)
    with pytest.raises(fields.FieldError, match="webhook_secret"):
        fields.check_credentials("bigbuy", {"api_key": "k", "webhook_secret": "x"})
    assert fields.check_settings(kind, "channel", {"webhook_poll_minutes": 45}) == {"webhook_poll_minutes": 45}
    with pytest.raises(fields.FieldError):
        fields.check_settings(kind, "channel", {"webhook_poll_minutes": 0})


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_a_shopify_channel_registers_its_topics_once_whichever_api_it_reads(api: str) -> None:
    from pydantic import SecretStr

    from connectors.base import ConnectorConfig
    from sandbox import server
    from sandbox.shopify import ShopifySandbox

    app = ShopifySandbox([])
    with server.Running(app) as running:
        config = ConnectorConfig(name="shop", kind="shopify", url=running.url, settings={"api": api},
                                 credentials={"access_token": SecretStr(app.access_token)})
        with ShopifyConnector(config) as connector:
            first = connector.register_webhooks("https://admin.example/webhooks/shopify/shop", "unused")
            again = connector.register_webhooks("https://admin.example/webhooks/shopify/shop", "unused")
            listed = connector.list_webhooks()
    assert sorted(s.topic for s in first) == sorted(ShopifyConnector.webhook_topics)
    assert again == first and listed == first
