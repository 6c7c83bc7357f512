"""Fake Shopify, WooCommerce and BigBuy servers speaking the real wire formats, seeded
deterministically, with fault injection: for the demo, the tests and the benchmarks."""
