"""Reporting use cases: staff reports built in the background and downloaded by signed link."""
