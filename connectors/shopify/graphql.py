"""The Shopify channel on the GraphQL Admin API: orders in (``orders`` by ``updated_at`` with
cursor paging), tracking back (``fulfillmentCreate`` on fulfillment orders, then
``fulfillmentTrackingInfoUpdate`` when a tracking number is corrected).

It shares the REST connector's settings, token, API version and readers of single bodies: the
class methods ``order_bodies``/``parse_order`` are shared and read REST bodies (webhooks, exports)
and saved GraphQL answers alike. Calls are paced by Shopify's calculated query cost: before a
query is sent the bucket last reported must hold its requested cost.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx

from connectors import http
from connectors.base import ConnectorConfig
from connectors.errors import RetryLater
from connectors.ratelimit import Pacer
from connectors.records import OrderPage, RejectedBody, Shipment, as_utc
from connectors.shopify import client, graphql_fulfil, graphql_wire
from connectors.shopify import graphql_queries as q
from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.errors import (
    ShopifyConfigError,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyRequestFailed,
    ShopifyUnavailable,
)
from connectors.shopify.graphql_parse import gid, has_next_page, nodes, parse_order

log = logging.getLogger(__name__)

_ORDER_ID = re.compile(r"[0-9]{1,20}")
_ORDER_GID = re.compile(r"gid://shopify/Order/([0-9]{1,20})")


class ShopifyGraphQLConnector(ShopifyConnector):
    page_size: ClassVar[int] = 100
    #: a long order's further lines are read before it is parsed
    orders_from_bodies_alone: ClassVar[bool] = False

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        super().__init__(config, transport=transport, pacer=pacer)
        try:
            lines = int(config.settings.get("lines_per_order", q.LINES_PER_ORDER))
        except (TypeError, ValueError):
            raise ShopifyConfigError("lines_per_order must be an integer") from None
        self.lines = max(1, min(lines, q.LINES_PAGE))
        #: Shopify refuses a query priced over its cap, whatever page size was asked for
        self.first = q.largest_page(self.limit, self.lines)
        #: the shop's bucket as last reported; None until Shopify has answered once
        self.budget: graphql_wire.Budget | None = None
        self.clock: Callable[[], float] = time.monotonic
        self._priced: dict[str, float] = {}  # operation -> requestedQueryCost Shopify last reported

    # orders ----------------------------------------------------------------------------------

    def check(self) -> str:
        self._query("shop", q.SHOP, {}, cost=1, attempts=1)
        return "query shop { name } answered"

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        search = None
        if since is not None:
            search = f"updated_at:>='{as_utc(since).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        variables = {"first": self.first, "lines": self.lines, "after": page or None, "query": search}
        try:
            data = self._query("orders", q.ORDERS, variables, cost=q.orders_cost(self.first, self.lines))
        except ShopifyRequestFailed:
            if not page:
                raise
            # a cursor kept from an interrupted pull may be refused: read again from the cursor time
            log.warning("shopify refused a stored page cursor: reading again from the cursor")
            return self.fetch_orders(since, None)
        connection = data.get("orders")
        order_nodes = nodes(connection, "orders")
        result = OrderPage()
        for node in order_nodes:
            if isinstance(node, dict) and has_next_page(node.get("lineItems")):
                try:
                    self._complete_lines(node)
                except ShopifyParseError as exc:
                    # left incomplete, the order is quarantined and the rest of the page goes on
                    log.warning("shopify order lines could not be read in full: %s", exc)
            self._read(node, result)
        info = connection.get("pageInfo") if isinstance(connection, dict) else None
        if has_next_page(connection) and isinstance(info, dict) and isinstance(info.get("endCursor"), str):
            result.next_page = info["endCursor"]
        return result

    def fetch_order(self, external_id: str) -> OrderPage | None:
        """Not read one by one on this API yet (a REST body would not match what its pulls stored)."""
        return None

    @staticmethod
    def _read(node: Any, page: OrderPage) -> None:
        try:
            page.orders.append(parse_order(node))
        except ShopifyParseError as exc:
            found = _ORDER_GID.fullmatch(str(node.get("id"))) if isinstance(node, dict) else None
            page.rejected.append(RejectedBody(body=node, error=str(exc),
                                              external_id=found.group(1) if found else None))

    def _complete_lines(self, node: dict[str, Any]) -> None:
        """Reads the rest of an order's line items, so the order is never taken with part of them."""
        connection = node["lineItems"]
        items = list(nodes(connection, "lineItems"))
        after = (connection.get("pageInfo") or {}).get("endCursor")
        seen: set[str] = set()
        while isinstance(after, str):
            if after in seen:  # a cursor that does not move would never end
                raise ShopifyParseError("lineItems paging does not advance")
            seen.add(after)
            data = self._query("order lines", q.ORDER_LINES, {"id": node.get("id"), "after": after},
                               cost=q.ORDER_LINES_COST)
            order = data.get("order")
            more = order.get("lineItems") if isinstance(order, dict) else None
            items.extend(nodes(more, "lineItems"))
            after = more["pageInfo"].get("endCursor") if isinstance(more, dict) and has_next_page(more) else None
        node["lineItems"] = {"pageInfo": {"hasNextPage": False}, "nodes": items}

    # tracking --------------------------------------------------------------------------------

    def push_tracking(self, shipment: Shipment) -> None:
        """Fulfil the shipment's lines (all remaining ones when it names none) with its tracking;
        when they were fulfilled already under another number, correct that fulfillment's tracking.

        Safe to call again, also after ``OutcomeUnknown``: what is still open is read first."""
        order_id = shipment.order_external_id
        if not _ORDER_ID.fullmatch(order_id):
            raise ShopifyRequestFailed("order external id is not a Shopify order id")
        order_gid = gid("Order", order_id)
        data = self._query("fulfillment orders", q.FULFILLMENT_ORDERS, {"id": order_gid},
                           cost=q.FULFILLMENT_ORDERS_COST)
        order = data.get("order")
        if not isinstance(order, dict):
            raise ShopifyRequestFailed(f"shopify has no order {order_id}")
        fulfillment_orders = nodes(order.get("fulfillmentOrders"), "fulfillmentOrders")
        wanted = graphql_fulfil.wanted(shipment.lines, fulfillment_orders)
        plan = graphql_fulfil.plan(fulfillment_orders, wanted)
        for group in plan.groups:
            self._mutate("fulfillmentCreate", q.FULFILLMENT_CREATE,
                         {"fulfillment": graphql_fulfil.create_input(group, shipment)})
        if plan.elsewhere:
            # a fulfilment service ships these and reports its own tracking: ours would be lost
            raise ShopifyRequestFailed(f"order {order_id}: lines are assigned to a fulfilment service "
                                       "location at Shopify; their tracking was not pushed")
        if plan.waiting:
            # reporting "done" would drop the tracking for good
            raise ShopifyUnavailable("the lines to fulfil are on hold or scheduled at Shopify")
        if not plan.groups:
            self._correct_tracking(order_gid, wanted, shipment)

    def _correct_tracking(self, order_gid: str, wanted: dict[str, int] | None, shipment: Shipment) -> None:
        data = self._query("fulfillments", q.FULFILLMENTS, {"id": order_gid}, cost=q.FULFILLMENTS_COST)
        order = data.get("order")
        found = graphql_fulfil.fulfillments(order.get("fulfillments") if isinstance(order, dict) else None)
        target = graphql_fulfil.to_correct(found, wanted, shipment.tracking.number)
        if target is None:
            log.info("shopify order %s: nothing left to fulfil", shipment.order_external_id)
            return
        self._mutate("fulfillmentTrackingInfoUpdate", q.TRACKING_UPDATE,
                     {"fulfillmentId": target.gid, "trackingInfoInput": graphql_fulfil.tracking_input(shipment),
                      "notifyCustomer": shipment.notify_customer})
        log.info("shopify order %s: tracking of %s corrected", shipment.order_external_id, target.gid)

    # GraphQL over HTTP -----------------------------------------------------------------------

    def _mutate(self, name: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = self._query(name, document, variables, cost=10, write=True)
        payload = data.get(name)
        graphql_wire.raise_for_user_errors(payload, name, self._token)
        assert isinstance(payload, dict)
        return payload

    def _query(self, operation: str, document: str, variables: dict[str, Any], *, cost: float,
               write: bool = False, attempts: int | None = None) -> dict[str, Any]:
        # a throttled query was not run, so a mutation may be sent again too; other failures of a
        # write are retried only when they prove it was not handled
        retry_on = (ShopifyRateLimited, ShopifyUnavailable) if write else (RetryLater,)
        tries = attempts or (self.write_attempts if write else self.read_attempts)
        return http.with_retries(lambda: self._post_query(operation, document, variables, cost, write),
                                 attempts=tries, sleep=self.sleep, retry_on=retry_on)

    def _post_query(self, operation: str, document: str, variables: dict[str, Any], cost: float,
                    write: bool) -> dict[str, Any]:
        if self.budget is not None:
            # what Shopify priced this operation at last time is a better guess than ours
            pause = self.budget.wait_for(self._priced.get(operation, cost), self.clock())
            if pause > 0:
                log.debug("shopify graphql bucket low: waiting %.1fs for %s", pause, operation)
                self.sleep(pause)
        self.pacer.wait()
        try:
            response = self.client.post(self._path("graphql.json"), json={"query": document, "variables": variables})
        except httpx.TransportError as exc:
            raise client.transport_error(exc, write=write) from None
        self._note_api_version(response)
        try:
            body: Any = response.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        self._note_budget(operation, body)
        try:
            client.raise_for_status(response, write=write, secret=self._token)
            if body is None:
                raise ShopifyParseError(f"{operation}: answer is not JSON")
            graphql_wire.raise_for_errors(body, operation, write=write, secret=self._token,
                                          throttle_wait=self._throttle_wait)
        except ShopifyRateLimited as exc:
            if exc.retry_after is None:  # a 429 without Retry-After still says what it priced
                exc.retry_after = self._throttle_wait(body)
            if exc.retry_after is not None:
                # every worker sharing the pacer holds back, not just this one
                self.pacer.hold_until(time.time() + exc.retry_after)
            raise
        return graphql_wire.data_of(body, operation)

    def _note_budget(self, operation: str, body: Any) -> None:
        requested, budget = graphql_wire.cost_of(body)
        if requested is not None:
            self._priced[operation] = requested
        if budget is not None:
            budget.at = self.clock()
            self.budget = budget

    def _throttle_wait(self, body: Any) -> float | None:
        """Seconds until the bucket again covers the refused query (Shopify's restore rate)."""
        requested, budget = graphql_wire.cost_of(body)
        if requested is None or budget is None:
            return None
        return budget.wait_for(requested, budget.at)
