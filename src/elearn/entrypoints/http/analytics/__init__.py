"""/api/v1/me/dashboard and /api/v1/analytics/*."""
