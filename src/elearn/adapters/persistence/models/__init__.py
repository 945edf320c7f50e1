"""Declarative tables, all on one metadata (`base.metadata`).

`base` and the shared infrastructure's `jobs` tables live here; each context's tables live in
`models/<context>.py` and register on the metadata when imported. A context's module
declaration names its tables, so the module list (`elearn.entrypoints.modules`) is what gives
migrations and tests every table.
"""
