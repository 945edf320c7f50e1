"""analytics: per-UTC-day counts move from the day's midnight slot to its 10:00 one

The rollups of distinct people seen (`active_people`, `course_viewers`) were kept in the slot of
their UTC day's midnight, which a viewer west of UTC finds in their previous local day; they are
now kept at 10:00 UTC (`series.DAY_SLOT_OFFSET`, 40 slots). The rows already kept move with
them, or a day recounted after the upgrade would be counted twice in its bucket. Rollups are
derived: `elearn analytics rebuild --from` would write the same rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here, not imported: a revision must keep meaning what it meant when it landed.
_OFFSET = 40  # 10 hours of 15-minute slots
_SLOTS_A_DAY = 96


def _move(shift: int, on_slot: int) -> None:
    op.execute(
        sa.text(
            "UPDATE analytics_rollups SET slot = slot + :shift"
            " WHERE metric IN ('active_people', 'course_viewers')"
            " AND slot % :day = :on_slot"
        ).bindparams(shift=shift, day=_SLOTS_A_DAY, on_slot=on_slot)
    )


def upgrade() -> None:
    _move(_OFFSET, 0)


def downgrade() -> None:
    _move(-_OFFSET, _OFFSET)
