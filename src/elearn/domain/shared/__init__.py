"""Shared kernel: what every bounded context may use."""
