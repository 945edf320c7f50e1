"""Support desk use cases: tickets, their conversation, agents, routing and the desk's jobs."""
