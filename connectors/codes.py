"""The issue codes of the design, in one place: rules and supplier refusals speak the same words."""

MISSING_SURNAME = "missing_surname"
MISSING_FIRST_NAME = "missing_first_name"
MISSING_ADDRESS = "missing_address"
ADDRESS_TOO_LONG = "address_too_long"
INVALID_POSTCODE = "invalid_postcode"
MISSING_PHONE = "missing_phone"
MISSING_SKU = "missing_sku"
UNKNOWN_SKU = "unknown_sku"
MASKED_DATA = "masked_data"
OUT_OF_STOCK = "out_of_stock"
DISCONTINUED = "discontinued"
INSUFFICIENT_WALLET = "insufficient_wallet"
ORDER_BELOW_MINIMUM = "order_below_minimum"
NO_CARRIER = "no_carrier"
PAYMENT_UNCONFIRMED = "payment_unconfirmed"
CHANGED_AFTER_FORWARDING = "changed_after_forwarding"
SUPPLIER_REJECTED = "supplier_rejected"
#: a manual supplier reference the supplier does not know (after a few look-ups)
UNKNOWN_REFERENCE = "unknown_reference"
#: the channel refused a tracking number for good (e.g. lines held by a fulfilment service)
TRACKING_NOT_PUSHED = "tracking_not_pushed"
#: a value the connector derived (a surname split from one name), held for review by a channel setting
DERIVED_NAME = "derived_name"

ALL = (
    MISSING_SURNAME, MISSING_FIRST_NAME, MISSING_ADDRESS, ADDRESS_TOO_LONG, INVALID_POSTCODE,
    MISSING_PHONE, MISSING_SKU, UNKNOWN_SKU, MASKED_DATA, OUT_OF_STOCK, DISCONTINUED,
    INSUFFICIENT_WALLET, ORDER_BELOW_MINIMUM, NO_CARRIER, PAYMENT_UNCONFIRMED,
    CHANGED_AFTER_FORWARDING, SUPPLIER_REJECTED, UNKNOWN_REFERENCE, TRACKING_NOT_PUSHED, DERIVED_NAME,
)
