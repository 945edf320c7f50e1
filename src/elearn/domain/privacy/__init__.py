"""Privacy: a person's data exported on request, and erased after a grace period."""
