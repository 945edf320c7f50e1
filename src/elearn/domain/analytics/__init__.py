"""Analytics: dashboards from rollups of what the other contexts record."""
