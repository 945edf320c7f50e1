"""Analytics use cases: dashboards per role, read from rollups."""
