"""A FieldMap stores every field of an aggregate in its row: same-named columns unless declared,
ids and creation instants only when the row is made, and nothing it was told to leave alone."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import pytest

from elearn.adapters.persistence.repository_base import (
    LIST,
    Column,
    Embedded,
    FieldMap,
    SqlaRepository,
    enum,
    optional_enum,
)
from elearn.domain.shared.money import Money

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Thing:
    id: UUID
    created_at: datetime
    colour: Colour
    shade: Colour | None
    tags: tuple[str, ...]
    price: Money
    named_later: str
    counted_elsewhere: int


class ThingRow:
    """Stands in for a declarative model: its columns are class attributes."""

    id: Any = None
    created_at: Any = None
    made_on: Any = None
    colour: Any = None
    shade: Any = None
    tags: Any = None
    price_amount: Any = None
    price_currency: Any = None
    stored_name: Any = None
    counted_elsewhere: Any = None
    expires_at: Any = None

    def __init__(self, **columns: Any) -> None:
        for name, value in columns.items():
            setattr(self, name, value)


THINGS = FieldMap(
    Thing,
    ThingRow,
    fields={
        "colour": enum(Colour),
        "shade": optional_enum(Colour),
        "tags": LIST,
        "price": Embedded(Money, prefix="price_"),
        "named_later": Column("stored_name"),
    },
    fixed=("id", "created_at"),
    read_only=("counted_elsewhere",),
    made_with={"made_on": lambda thing: thing.created_at.date()},
    derived={"expires_at": lambda thing: thing.created_at + timedelta(days=len(thing.tags))},
)


def a_thing() -> Thing:
    return Thing(
        id=uuid4(),
        created_at=T0,
        colour=Colour.RED,
        shade=None,
        tags=("a", "b"),
        price=Money(4999, "EUR"),
        named_later="first",
        counted_elsewhere=7,
    )


def test_a_new_row_holds_every_field_converted_and_what_is_set_only_once() -> None:
    row = THINGS.new_row(a_thing())

    assert (row.colour, row.shade, row.tags) == ("red", None, ["a", "b"])
    assert (row.price_amount, row.price_currency, row.stored_name) == (4999, "EUR", "first")
    assert (row.created_at, row.made_on, row.expires_at) == (T0, T0.date(), T0 + timedelta(2))
    assert row.counted_elsewhere is None  # the row's own default stays


def test_writing_back_leaves_fixed_and_read_only_columns_alone() -> None:
    thing = a_thing()
    row = THINGS.new_row(thing)
    row.counted_elsewhere = 3
    thing.id, thing.created_at = uuid4(), T0 + timedelta(days=1)
    thing.shade, thing.tags, thing.named_later = Colour.BLUE, ("a",), "second"

    THINGS.write(thing, row)

    assert (row.created_at, row.made_on, row.counted_elsewhere) == (T0, T0.date(), 3)
    assert (row.shade, row.tags, row.stored_name) == ("blue", ["a"], "second")
    assert row.expires_at == thing.created_at + timedelta(days=1)


def test_an_aggregate_survives_the_round_trip_through_its_row() -> None:
    thing = a_thing()
    row = THINGS.new_row(thing)
    row.counted_elsewhere = thing.counted_elsewhere

    assert THINGS.load(row) == thing


def test_a_null_list_reads_as_empty() -> None:
    row = THINGS.new_row(a_thing())
    row.tags = None

    assert THINGS.load(row).tags == ()


@pytest.mark.parametrize(
    ("declaration", "complaint"),
    [
        ({"fields": {"colour_name": Column()}}, "Thing has no fields ['colour_name']"),
        ({"fixed": ("uuid",)}, "Thing has no fields ['uuid']"),
        ({"fields": {"named_later": Column("name")}}, "ThingRow has no columns"),
        ({"derived": {"blocks_until": lambda thing: None}}, "ThingRow has no columns"),
    ],
)
def test_a_map_naming_what_is_not_there_is_refused_when_declared(
    declaration: dict[str, Any], complaint: str
) -> None:
    fields = {
        "colour": enum(Colour),
        "shade": optional_enum(Colour),
        "price": Embedded(Money, prefix="price_"),
        "named_later": Column("stored_name"),
        **declaration.get("fields", {}),
    }
    rest = {key: value for key, value in declaration.items() if key != "fields"}
    with pytest.raises(TypeError, match=re.escape(complaint)):
        FieldMap(Thing, ThingRow, fields=fields, **rest)


def every_mapped_repository() -> list[type[SqlaRepository[Any, Any]]]:
    # Importing the modules declares every map: a wrong one fails right here.
    from elearn.adapters.persistence import (  # noqa: F401
        billing_repositories,
        catalog_repositories,
        learning_repositories,
        repositories,
        tutoring_repositories,
    )

    found: list[type[SqlaRepository[Any, Any]]] = []
    pending: list[type[Any]] = [SqlaRepository]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.append(subclass)
            pending.append(subclass)
    return found


def test_every_column_of_a_mapped_table_is_written_by_its_map_or_left_to_the_database() -> None:
    """A column no field maps would silently keep its default: each one is named here."""
    # Audit instants and advanced-alchemy's insert sentinel.
    left_to_the_database = {"created_at", "updated_at", "sa_orm_sentinel"}
    # Columns a repository writes itself, beside its map: a held email's rendered message is no
    # field of the queued email (``add_once`` stores it with it).
    written_beside_the_map = {"SqlaQueuedEmailRepository": {"message"}}
    repositories = every_mapped_repository()
    assert {"SqlaUserRepository", "SqlaBookingRepository"} <= {r.__name__ for r in repositories}
    for repository in repositories:
        mapper = repository.mapper
        table_columns = {column.key for column in mapper.row_type.__table__.columns}
        assert isinstance(mapper, FieldMap)
        mapped = (
            mapper.columns()
            | left_to_the_database
            | written_beside_the_map.get(repository.__name__, set())
        )
        assert table_columns - mapped == set(), repository.__name__
