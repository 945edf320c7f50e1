from __future__ import annotations

from advanced_alchemy.base import UUIDAuditBase, orm_registry

# UUID primary key plus created_at/updated_at (UTC), with constraint names from a naming
# convention so Alembic can alter them on SQLite in batch mode.
Base = UUIDAuditBase
metadata = orm_registry.metadata
