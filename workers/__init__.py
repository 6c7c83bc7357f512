"""dramatiq broker set-up, actors (thin: decode the message, call a sync step), the scheduler,
and the reconciler that re-enqueues stuck work."""
