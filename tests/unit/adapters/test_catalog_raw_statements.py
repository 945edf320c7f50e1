"""The catalog's hottest statements as compiled once for asyncpg: the values that change from
call to call are the driver's positional parameters, in the documented order, and the constants
(the published status the partial indexes are built on) are part of the SQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from elearn.adapters.persistence.catalog_queries import RawStatements
from elearn.application.catalog.ports import CourseSort

RAW = RawStatements(asyncpg_dialect())


def placeholders(sql: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})


@pytest.mark.parametrize("sort", [s for s in CourseSort if s is not CourseSort.RELEVANCE])
def test_a_catalog_page_takes_the_limit_or_the_cursor_and_the_limit(sort: CourseSort) -> None:
    first = RAW.catalog_page(sort, after=False)
    after = RAW.catalog_page(sort, after=True)
    assert placeholders(first) == [1]
    assert "LIMIT $1" in first
    assert placeholders(after) == [1, 2, 3]
    assert re.search(r"\(courses\.\w+, courses\.id\) [<>] \(\$1::[A-Z ]+, \$2::UUID\)", after)
    assert "LIMIT $3" in after
    for sql in (first, after):
        assert "courses.status = 'published'" in sql
    assert RAW.catalog_page(sort, after=True) is after  # compiled once per shape


def test_a_course_page_is_one_statement_taking_the_id_or_a_slug() -> None:
    for sql in (RAW.course_page(by_id=True), RAW.course_page(by_id=False)):
        assert placeholders(sql) == [1]
        # the outline and the related rows ride along as arrays, in their own order
        assert sql.count("array((SELECT") == 2
        assert "ORDER BY course_sections.position, lessons.position" in sql
        assert "'i'" in sql and "'p'" in sql
    assert "courses.id = $1::UUID" in RAW.course_page(by_id=True)
    assert "course_slugs.slug = $1" in RAW.course_page(by_id=False)


def test_interned_values_are_shared_when_equal_and_stay_right_past_the_bound() -> None:
    from elearn.adapters.persistence.catalog_queries import _Interned
    from elearn.application.catalog.ports import Person

    people = _Interned(Person)
    first = people("id-1", "Ada")
    assert people("id-1", "Ada") is first
    assert people("id-1", "Ada Lovelace") == Person("id-1", "Ada Lovelace")  # type: ignore[arg-type]
    for n in range(_Interned._MOST + 10):
        assert people(n, f"P{n}") == Person(n, f"P{n}")  # type: ignore[arg-type]
    assert people("id-1", "Ada") == first
