"""Support desk: tickets, their conversation, agents and the routing of tickets to agents."""
