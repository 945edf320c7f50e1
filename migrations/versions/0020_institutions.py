"""identity: institutions staff keep, picked by students and tutors (issue 18)

The free text students typed as their institution is kept, renamed ``unverified_institution``:
the account shows it as unverified until the student picks an institution from the list, which
clears it. Nothing is matched automatically (the list starts empty, and a guess from free text
would attach people to the wrong university). Downgrading puts the text back under its old name;
the picks are lost with the columns that held them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 04:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("retired_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institutions_country"), ["country"], unique=False)
        batch_op.create_index("ix_institutions_name_key_id", ["name_key", "id"], unique=False)
    op.create_table(
        "institution_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("institution_id", GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_institution_domains_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_institution_domains")),
    )
    with op.batch_alter_table("institution_domains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_domains_institution_id"), ["institution_id"], unique=False
        )
    with op.batch_alter_table("student_profiles", schema=None) as batch_op:
        batch_op.alter_column(
            "institution",
            new_column_name="unverified_institution",
            existing_type=sa.String(length=200),
            existing_nullable=True,
        )
        batch_op.add_column(sa.Column("institution_id", GUID(length=16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_student_profiles_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_student_profiles_institution_id_institutions"),
            "institutions",
            ["institution_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    with op.batch_alter_table("tutor_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("institution_id", GUID(length=16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_tutor_profiles_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tutor_profiles_institution_id_institutions"),
            "institutions",
            ["institution_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("tutor_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tutor_profiles_institution_id_institutions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_tutor_profiles_institution_id"))
        batch_op.drop_column("institution_id")
    with op.batch_alter_table("student_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_student_profiles_institution_id_institutions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_student_profiles_institution_id"))
        batch_op.drop_column("institution_id")
        batch_op.alter_column(
            "unverified_institution",
            new_column_name="institution",
            existing_type=sa.String(length=200),
            existing_nullable=True,
        )
    with op.batch_alter_table("institution_domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_domains_institution_id"))
    op.drop_table("institution_domains")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_index("ix_institutions_name_key_id")
        batch_op.drop_index(batch_op.f("ix_institutions_country"))
    op.drop_table("institutions")
