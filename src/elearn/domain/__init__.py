"""The business: entities, value objects, policies and events. Standard library only."""
