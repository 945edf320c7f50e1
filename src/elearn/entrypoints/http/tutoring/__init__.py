"""Tutoring routes."""
