"""The outside world: the connector contract, canonical records, HTTP plumbing, and one
sub-package per channel and per supplier. Imports nothing else of the project."""
