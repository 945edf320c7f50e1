"""Identity: users, roles, credentials."""
