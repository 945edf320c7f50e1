"""What every repository shares: the identity map, write-back at commit, events, and field maps.

A repository remembers every aggregate it hands out or receives, with its row, so the unit of
work can write changes back and collect the aggregates' events at commit. Within one unit of
work a repository hands out one instance per aggregate, and its lookups see the aggregates the
transaction added or changed but has not written yet (the session does not autoflush).

An aggregate stored in one row is mapped by a ``FieldMap``: each dataclass field is a column of
the same name unless the map says otherwise, so a mapper only spells out what it converts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.domain.shared.events import DomainEvent, RecordsEvents

AggregateT = TypeVar("AggregateT")
RowT = TypeVar("RowT")
EnumT = TypeVar("EnumT", bound=Enum)


# ---- how one field is stored ----------------------------------------------------------------
class Storage(Protocol):
    """How one field of an aggregate is read from its row and written back."""

    def read(self, row: Any, field: str) -> Any: ...

    def write(self, row: Any, field: str, value: Any) -> None: ...

    def columns(self, field: str) -> tuple[str, ...]: ...


def _same(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True)
class Column:
    """One column, named like the field unless ``name`` says otherwise, with the conversions
    between what the column holds and what the domain holds."""

    name: str | None = None
    load: Callable[[Any], Any] = _same
    dump: Callable[[Any], Any] = _same

    def read(self, row: Any, field: str) -> Any:
        return self.load(getattr(row, self.name or field))

    def write(self, row: Any, field: str, value: Any) -> None:
        setattr(row, self.name or field, self.dump(value))

    def columns(self, field: str) -> tuple[str, ...]:
        return (self.name or field,)


@dataclasses.dataclass(frozen=True)
class Embedded:
    """A value object spread over columns named like its own fields, after ``prefix``
    (``Money`` as ``price_amount`` and ``price_currency``). An ``optional`` one is None when
    every column is NULL."""

    value_type: type[Any]
    prefix: str = ""
    optional: bool = False

    def read(self, row: Any, field: str) -> Any:
        values = {name: getattr(row, self.prefix + name) for name in _field_names(self.value_type)}
        if self.optional and all(value is None for value in values.values()):
            return None
        return self.value_type(**values)

    def write(self, row: Any, field: str, value: Any) -> None:
        for name in _field_names(self.value_type):
            setattr(row, self.prefix + name, None if value is None else getattr(value, name))

    def columns(self, field: str) -> tuple[str, ...]:
        return tuple(self.prefix + name for name in _field_names(self.value_type))


def enum(enum_type: type[EnumT]) -> Column:
    return Column(load=enum_type, dump=lambda member: member.value)


def optional_enum(enum_type: type[EnumT]) -> Column:
    return Column(
        load=lambda value: enum_type(value) if value else None,
        dump=lambda member: member.value if member else None,
    )


def _tuple(values: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(values or ())


# A tuple in the domain, a JSON list in the row (NULL read as empty).
LIST = Column(load=_tuple, dump=list)


def _field_names(dataclass_type: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(dataclass_type) if field.init)


class RowMapper(Protocol[AggregateT, RowT]):
    """Converts between an aggregate and the one row it is stored in."""

    row_type: type[RowT]

    def new_row(self, aggregate: AggregateT) -> RowT: ...

    def load(self, row: RowT) -> AggregateT: ...

    def write(self, aggregate: AggregateT, row: RowT) -> None: ...


class FieldMap(Generic[AggregateT, RowT]):
    """Maps a dataclass onto one row: every init field is stored as declared in ``fields``, or
    else in the column of the same name.

    ``fixed`` fields (ids, creation instants) are set when the row is made and never written
    back; ``made_with`` gives further columns set only then, ``derived`` columns computed from
    the whole aggregate on every write, and ``read_only`` fields are read but never written
    (the row's own default, or something another aggregate maintains, stays)."""

    def __init__(
        self,
        aggregate_type: type[AggregateT],
        row_type: type[RowT],
        *,
        fields: Mapping[str, Storage] | None = None,
        fixed: Iterable[str] = (),
        read_only: Iterable[str] = (),
        made_with: Mapping[str, Callable[[AggregateT], Any]] | None = None,
        derived: Mapping[str, Callable[[AggregateT], Any]] | None = None,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.row_type = row_type
        declared = dict(fields or {})
        names = _field_names(aggregate_type)
        self._fixed = tuple(fixed)
        not_written = {*self._fixed, *read_only}
        unknown = (declared.keys() | not_written) - set(names)
        if unknown:
            raise TypeError(f"{aggregate_type.__name__} has no fields {sorted(unknown)}")
        self._storage = {name: declared.get(name, Column()) for name in names}
        self._written = tuple(
            (name, storage) for name, storage in self._storage.items() if name not in not_written
        )
        self._made_with = dict(made_with or {})
        self._derived = dict(derived or {})
        missing = sorted(column for column in self.columns() if not hasattr(row_type, column))
        if missing:
            raise TypeError(f"{row_type.__name__} has no columns {missing}")

    def columns(self) -> set[str]:
        """Every column this map reads or writes."""
        stored = {c for name, storage in self._storage.items() for c in storage.columns(name)}
        return stored | self._made_with.keys() | self._derived.keys()

    def load(self, row: RowT) -> AggregateT:
        return self.aggregate_type(
            **{name: storage.read(row, name) for name, storage in self._storage.items()}
        )

    def write(self, aggregate: AggregateT, row: RowT) -> None:
        for name, storage in self._written:
            storage.write(row, name, getattr(aggregate, name))
        for column, compute in self._derived.items():
            setattr(row, column, compute(aggregate))

    def new_row(self, aggregate: AggregateT) -> RowT:
        row = self.row_type(**{column: make(aggregate) for column, make in self._made_with.items()})
        for name in self._fixed:
            self._storage[name].write(row, name, getattr(aggregate, name))
        self.write(aggregate, row)
        return row


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` in the session's dialect, which takes ``ON CONFLICT`` (both dialects spell it
    alike: ``on_conflict_do_nothing``, ``on_conflict_do_update``)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table)


# ---- repositories ---------------------------------------------------------------------------
class TrackingRepository(Generic[AggregateT, RowT]):
    """Identity map of one unit of work: aggregate key → (aggregate, row).

    Repositories of aggregates stored in one row set ``mapper``; one spread over several tables
    (the course) keeps its own rows and writes them in ``flush_changes``."""

    mapper: RowMapper[AggregateT, RowT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._tracked: dict[Any, tuple[AggregateT, RowT]] = {}

    def _track(self, key: Any, aggregate: AggregateT, row: RowT) -> AggregateT:
        self._tracked.setdefault(key, (aggregate, row))
        return self._tracked[key][0]

    @property
    def seen(self) -> list[AggregateT]:
        return [aggregate for aggregate, _ in self._tracked.values()]

    def write_back(self) -> None:
        for aggregate, row in self._tracked.values():
            self._to_row(aggregate, row)

    async def flush_changes(self) -> None:
        """Writes what changed into the session before commit; aggregates spread over several
        tables override it to write them in order."""
        self.write_back()

    def pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for aggregate in self.seen:
            if isinstance(aggregate, RecordsEvents):
                events.extend(aggregate.pull_events())
        return events

    # ---- helpers for subclasses -----------------------------------------------------------------
    def _load(self, row: RowT) -> AggregateT:
        key = self._key_of_row(row)
        if key in self._tracked:
            return self._tracked[key][0]
        return self._track(key, self._from_row(row), row)

    def _tracked_where(self, predicate: Callable[[AggregateT], bool]) -> list[AggregateT]:
        return [aggregate for aggregate in self.seen if predicate(aggregate)]

    async def _get_row(self, stmt: Select[tuple[RowT]], *, for_update: bool) -> RowT | None:
        if for_update:
            stmt = stmt.with_for_update()
        row: RowT | None = await self.session.scalar(stmt)
        return row

    async def _load_many(
        self, stmt: Select[tuple[RowT]], predicate: Callable[[AggregateT], bool]
    ) -> list[AggregateT]:
        """What the database holds plus what this transaction added, as this transaction sees
        it (a row changed in memory may no longer match)."""
        loaded = [self._load(row) for row in await self.session.scalars(stmt)]
        ids = {id(aggregate) for aggregate in loaded}
        loaded += [a for a in self._tracked_where(predicate) if id(a) not in ids]
        return [aggregate for aggregate in loaded if predicate(aggregate)]

    def _key_of_row(self, row: RowT) -> Any:
        return row.id  # type: ignore[attr-defined]

    def _from_row(self, row: RowT) -> AggregateT:
        return self.mapper.load(row)

    def _to_row(self, aggregate: AggregateT, row: RowT) -> None:
        self.mapper.write(aggregate, row)


class Identified(Protocol):
    @property
    def id(self) -> UUID: ...


IdentifiedT = TypeVar("IdentifiedT", bound=Identified)


class SqlaRepository(TrackingRepository[IdentifiedT, RowT]):
    """An aggregate stored in one row whose primary key is the aggregate's ``id``: adding and
    getting by id are the same for every such repository; subclasses add their own queries."""

    # Whether ``get(..., for_update=True)`` locks the row even when this transaction already
    # holds the aggregate (without it, a repository trusts the lock it took when it first loaded
    # the aggregate, or that a row it added cannot be contended yet).
    relock_tracked = True
    # Whether ``add`` first inserts what the session holds: for rows with no ORM relationship to
    # a parent that may be new in this same transaction, so the flush would not order them.
    flush_before_add = False

    async def add(self, aggregate: IdentifiedT) -> None:
        row = self.mapper.new_row(aggregate)
        if self.flush_before_add:
            await self.session.flush()
        self.session.add(row)
        self._track(aggregate.id, aggregate, row)

    async def get(self, aggregate_id: UUID, *, for_update: bool = False) -> IdentifiedT | None:
        if aggregate_id in self._tracked and not (for_update and self.relock_tracked):
            return self._tracked[aggregate_id][0]
        row: RowT | None = await self.session.scalar(
            _by_id(self.mapper.row_type, for_update=for_update), {"aggregate_id": aggregate_id}
        )
        return None if row is None else self._load(row)


_BY_ID: dict[tuple[type[Any], bool], Select[Any]] = {}


def _by_id(row_type: Any, *, for_update: bool) -> Select[Any]:
    """A row by its id, built once per table and lock: a statement built afresh for each read
    costs SQLAlchemy its cache key again (~0.3 ms of the ~1 ms a read by id took), one reused
    keeps it."""
    key = (row_type, for_update)
    stmt = _BY_ID.get(key)
    if stmt is None:
        stmt = select(row_type).where(row_type.id == bindparam("aggregate_id"))
        if for_update:
            stmt = stmt.with_for_update()
        stmt = _BY_ID[key] = stmt
    return stmt
