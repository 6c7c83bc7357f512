"""The GraphQL Admin documents the connector sends, and what Shopify charges for them.

Shopify prices a query before running it (``requestedQueryCost``): every object costs 1 and a
connection costs 2 plus ``first`` times the cost of one node, scalars and enums nothing. A query
asking more than ``MAX_QUERY_COST`` is refused outright (``MAX_COST_EXCEEDED``), so the page size
is bounded by the price of one order as queried here.
"""

from __future__ import annotations

MAX_QUERY_COST = 1000
#: lines read with each order; an order with more has the rest read on its own
LINES_PER_ORDER = 10
SHIPPING_LINES = 3
LINES_PAGE = 250

#: refunds read with each order (``Order.refunds`` is a list, priced as ``first`` refunds) and the
#: units of each; a refund with more lines is read as naming none (the operator narrows the order)
REFUNDS_PER_ORDER = 5
REFUND_LINES = 5

ADDRESS = "firstName lastName company address1 address2 city zip province provinceCode countryCodeV2 phone"
LINE = ("id name title sku quantity currentQuantity unfulfilledQuantity requiresShipping isGiftCard "
        "originalUnitPriceSet { shopMoney { amount currencyCode } }")

REFUND = ("id createdAt note totalRefundedSet { shopMoney { amount currencyCode } } "
          f"refundLineItems(first: {REFUND_LINES}) {{ pageInfo {{ hasNextPage }} "
          "nodes { quantity lineItem { id sku name } } }")

ORDERS = f"""query Orders($first: Int!, $after: String, $query: String, $lines: Int!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id legacyResourceId name createdAt updatedAt cancelledAt test
      displayFinancialStatus displayFulfillmentStatus currencyCode email phone paymentGatewayNames
      totalPriceSet {{ shopMoney {{ amount currencyCode }} }}
      shippingAddress {{ {ADDRESS} }}
      billingAddress {{ {ADDRESS} }}
      customer {{ id legacyResourceId email phone firstName lastName defaultAddress {{ {ADDRESS} }} }}
      shippingLines(first: {SHIPPING_LINES}) {{ nodes {{ title code }} }}
      lineItems(first: $lines) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE} }} }}
      refunds(first: {REFUNDS_PER_ORDER}) {{ {REFUND} }}
    }}
  }}
}}"""

ORDER_LINES = f"""query OrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {LINES_PAGE}, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE} }} }}
  }}
}}"""

SHOP = "query Shop { shop { name } }"

FULFILLMENT_ORDERS = """query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 10) {
      nodes {
        id status
        supportedActions { action }
        assignedLocation { location { id } }
        lineItems(first: 40) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}"""

FULFILLMENTS = """query Fulfillments($id: ID!) {
  order(id: $id) {
    fulfillments(first: 10) {
      id status
      trackingInfo(first: 5) { number company url }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } }
    }
  }
}"""

FULFILLMENT_CREATE = """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { number company url } }
    userErrors { field message }
  }
}"""

TRACKING_UPDATE = """mutation TrackingUpdate($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!,
    $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput,
      notifyCustomer: $notifyCustomer) {
    fulfillment { id status trackingInfo { number company url } }
    userErrors { field message }
  }
}"""


def connection(first: int, node: int) -> int:
    return 2 + first * node


#: one refund: itself, its total's set and money, and its lines (each with its order line)
REFUND_COST = 3 + connection(REFUND_LINES, 2)


def order_cost(lines: int) -> int:
    """One order node: itself, its price set and money, two addresses, the customer and its
    address, shipping lines, line items (each with a price set and its money) and refunds."""
    return 7 + connection(SHIPPING_LINES, 1) + connection(lines, 3) + REFUNDS_PER_ORDER * REFUND_COST


def orders_cost(first: int, lines: int) -> int:
    return connection(first, order_cost(lines))


def largest_page(wanted: int, lines: int) -> int:
    """The biggest ``first`` up to ``wanted`` that Shopify will price under its cap."""
    fits = (MAX_QUERY_COST - 2) // order_cost(lines)
    return max(1, min(wanted, fits))


ORDER_LINES_COST = 1 + connection(LINES_PAGE, 3)
FULFILLMENT_ORDERS_COST = 1 + connection(10, 4 + connection(40, 2))
FULFILLMENTS_COST = 1 + connection(10, 1 + connection(5, 1) + connection(20, 2))
