"""Background work: Dramatiq broker, the outbox relay, deliveries, dead jobs, the scheduler."""
