"""Billing: money moving between students, tutors and the platform, kept in a double-entry
ledger."""
