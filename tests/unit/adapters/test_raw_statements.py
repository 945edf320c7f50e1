"""Statements compiled once for asyncpg (`raw_statements`): a value named twice is one
parameter, the values come in the order named, and a statement's constants become literals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from elearn.adapters.persistence.learning_queries import _LESSON_SIGHT
from elearn.adapters.persistence.raw_statements import Fields, compile_for_driver
from elearn.adapters.persistence.tutoring_queries import _CALENDAR

DIALECT = asyncpg_dialect()
things = table("things", column("id"), column("owner"), column("status"), column("size"))


def placeholders(sql: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})


def test_values_come_in_the_order_named_and_constants_are_inlined() -> None:
    stmt = select(things.c.id).where(
        things.c.owner == bindparam("owner"),
        things.c.size > bindparam("size"),
        things.c.status == "live",
    )
    sql = compile_for_driver(DIALECT, stmt, ["size", "owner"])
    assert placeholders(sql) == [1, 2]
    assert "things.size > $1" in sql and "things.owner = $2" in sql
    assert "things.status = 'live'" in sql


def test_a_constant_that_could_break_the_sql_is_refused() -> None:
    stmt = select(things.c.id).where(things.c.status == "it's")
    with pytest.raises(ValueError, match="not a constant"):
        compile_for_driver(DIALECT, stmt, [])


def test_a_lesson_sight_binds_the_learner_once_for_both_joins() -> None:
    sql = compile_for_driver(DIALECT, _LESSON_SIGHT, ["lesson_id", "user_id"])
    assert placeholders(sql) == [1, 2]
    assert "lessons.id = $1" in sql
    assert sql.count("user_id = $2") == 2  # the enrollment's and the progress row's


def test_a_tutor_calendar_takes_the_tutor_and_the_range() -> None:
    sql = compile_for_driver(DIALECT, _CALENDAR, ["tutor_id", "range_start", "range_end"])
    assert placeholders(sql) == [1, 2, 3]
    assert "'held'" in sql and "'confirmed'" in sql


def test_fields_read_a_joined_tables_columns_by_their_own_names() -> None:
    row = {"id": 1, "lesson_id": 2, "lesson_title": "Intro"}
    assert Fields(row).id == 1
    lesson = Fields(row, "lesson_")
    assert (lesson.id, lesson.title) == (2, "Intro")
    with pytest.raises(AttributeError):
        _ = lesson.kind
