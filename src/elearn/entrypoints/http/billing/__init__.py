"""Billing routes."""
