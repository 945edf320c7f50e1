"""Reporting: staff reports exported in the background (issue 18)."""
