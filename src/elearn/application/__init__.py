"""Use cases and the ports they need. Imports the domain, never an adapter or a framework."""
