"""Implementations of the application's ports: the only code that does I/O."""
