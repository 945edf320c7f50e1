"""Routes of staff reports."""
