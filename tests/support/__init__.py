"""Support shared by tests of every context: built apps, accounts, mail, HTTP helpers."""
