"""The engine: database models and migrations, the store, the order state machine, and the
pipeline steps (ingest, validate, forward, track, push back)."""
