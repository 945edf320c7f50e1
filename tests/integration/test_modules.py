"""A context is a module: a tiny context declared in this test joins the application through the
module list alone, with its own table, store, route, outbox subscription, periodic job and
personal data (exported and erased with everything else, no privacy code touched)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import msgspec
import pytest
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient
from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.unit_of_work import StoreDeclaration, session_of
from elearn.application.actor import Actor
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Transaction
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.http.problems import problem_responses
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.modules import MODULES
from elearn.entrypoints.settings import Settings

# The tiny context's own table, on metadata of its own: the application's never knows it.
notes_metadata = MetaData()
notes_table = Table(
    "test_module_notes",
    notes_metadata,
    Column("id", Uuid, primary_key=True),
    Column("body", String(200), nullable=False),
    UniqueConstraint("body", name="uq_test_module_notes_body"),
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteWritten(DomainEvent):
    event_type: ClassVar[str] = "test_notes.note_written"
    note_id: UUID
    body: str


class SqlaNotes:
    """The context's store: keeps what a use case adds and writes it back before commit, as the
    unit of work asks, with the events that happened."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: list[dict[str, Any]] = []
        self._events: list[DomainEvent] = []

    def add(self, note_id: UUID, body: str) -> None:
        self._pending.append({"id": note_id, "body": body})
        self._events.append(
            NoteWritten(event_id=uuid4(), occurred_at=datetime.now(UTC), note_id=note_id, body=body)
        )

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(notes_table)) or 0)

    async def flush_changes(self) -> None:
        rows, self._pending = self._pending, []
        if rows:
            await self._session.execute(insert(notes_table), rows)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


class NotesUseCases:
    def __init__(self, uow: Callable[..., Any]) -> None:
        self._uow = uow

    async def write(self, body: str) -> UUID:
        note_id = uuid4()
        async with self._uow() as uow:
            uow.notes.add(note_id, body)
            await uow.commit()
        return note_id

    async def count(self) -> int:
        async with self._uow(read_only=True) as uow:
            return int(await uow.notes.count())

    async def tidy(self) -> None:
        """The periodic job: nothing to tidy in a test."""


class NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    body: str


class NoteCreated(msgspec.Struct):
    id: UUID


class NoteCount(msgspec.Struct):
    count: int


class NotesController(Controller):
    path = "/test-notes"
    tags = ["test"]

    # A code of the module's own, documented by the route itself (not in PROBLEM_CODES).
    @post(
        "/",
        operation_id="test_write_note",
        summary="Write a note",
        status_code=201,
        responses=problem_responses({409: ["note-exists"]}),
    )
    async def write(self, notes: NamedDependency[NotesUseCases], data: NoteBody) -> NoteCreated:
        """Writes one note."""
        return NoteCreated(id=await notes.write(data.body))

    @get("/", operation_id="test_count_notes", summary="Count the notes")
    async def count(self, notes: NamedDependency[NotesUseCases]) -> NoteCount:
        """How many notes there are."""
        return NoteCount(count=await notes.count())


@dataclasses.dataclass
class NotesProbe:
    """What the tiny context saw: stores built, events handled."""

    stores_built: int = 0
    handled: list[NoteWritten] = dataclasses.field(default_factory=list)

    def build_store(self, session: AsyncSession) -> SqlaNotes:
        self.stores_built += 1
        return SqlaNotes(session)

    async def handle(self, event: DomainEvent) -> None:
        assert isinstance(event, NoteWritten)
        self.handled.append(event)


class NotesPersonalData:
    """What the tiny context holds about a person: the notes that name them."""

    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        bodies = await session_of(uow).scalars(
            select(notes_table.c.body).where(notes_table.c.body.contains(str(user_id)))
        )
        return PersonalData(records={"notes": list(bodies)})

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        deleted = await session_of(uow).execute(
            delete(notes_table).where(notes_table.c.body.contains(str(user_id)))
        )
        return ErasedData(counts={"notes": deleted.rowcount})


def notes_module(probe: NotesProbe) -> Module:
    def subscriptions(container: Container) -> Mapping[str, Subscription]:
        return {"test_notes.remember": Subscription(NoteWritten.event_type, probe.handle)}

    def periodic_jobs(container: Container) -> Iterable[PeriodicJob]:
        return (PeriodicJob("test_notes.tidy", timedelta(hours=1), container.notes.tidy),)

    return Module(
        name="notes",
        use_cases=lambda container, options: NotesUseCases(container.uow),
        routes=lambda: (NotesController,),
        subscriptions=subscriptions,
        periodic_jobs=periodic_jobs,
        stores=(StoreDeclaration("notes", probe.build_store),),
        constraint_errors={
            "uq_test_module_notes_body": lambda: Conflict("that note exists", code="note-exists")
        },
        personal_data=lambda container: NotesPersonalData(),
    )


async def create_notes_table(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(notes_metadata.drop_all)
            await connection.run_sync(notes_metadata.create_all)
    finally:
        await engine.dispose()


# One probe and one module list for the whole file, so every test's app is the one app built
# for them (tests/support/apps.py); each test starts the probe afresh.
NOTES = NotesProbe()
WITH_NOTES = (*MODULES, notes_module(NOTES))


@pytest.fixture
async def notes(database_url: str) -> NotesProbe:
    await create_notes_table(database_url)
    NOTES.stores_built = 0
    NOTES.handled.clear()
    return NOTES


@pytest.fixture
def notes_settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def app_client(
    notes_settings: Settings, notes: NotesProbe
) -> AsyncIterator[AsyncTestClient[Any]]:
    app = app_for(notes_settings, modules=WITH_NOTES)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def until(condition: Callable[[], bool], *, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_module_added_in_the_list_serves_its_route_with_its_own_store(
    app_client: AsyncTestClient[Any], notes: NotesProbe
) -> None:
    written = await app_client.post("/api/v1/test-notes", json={"body": "hello"})
    assert written.status_code == 201, written.text

    counted = await app_client.get("/api/v1/test-notes")
    assert counted.status_code == 200
    assert counted.json() == {"count": 1}
    assert notes.stores_built == 2  # one per transaction of its own


async def test_a_constraint_the_module_declares_answers_as_its_domain_conflict(
    app_client: AsyncTestClient[Any],
) -> None:
    assert (await app_client.post("/api/v1/test-notes", json={"body": "once"})).status_code == 201

    again = await app_client.post("/api/v1/test-notes", json={"body": "once"})

    assert again.status_code == 409, again.text
    assert again.json()["code"] == "note-exists"


async def test_a_modules_event_reaches_its_handler_through_the_outbox(
    app_client: AsyncTestClient[Any], notes: NotesProbe
) -> None:
    written = await app_client.post("/api/v1/test-notes", json={"body": "deliver me"})
    note_id = UUID(written.json()["id"])

    await until(lambda: bool(notes.handled))
    assert [(e.note_id, e.body) for e in notes.handled] == [(note_id, "deliver me")]


async def test_a_modules_periodic_job_and_subscription_are_registered(
    app_client: AsyncTestClient[Any],
) -> None:
    container: Container = app_client.app.state.container
    assert "test_notes.tidy" in container.periodic_jobs
    assert container.subscriptions["test_notes.remember"].event_type == "test_notes.note_written"
    # The contexts listed before it are all still there, with their names unchanged.
    assert "tutoring.send_due_reminders" in container.periodic_jobs
    assert "identity.send_welcome_email" in container.subscriptions


async def test_other_contexts_transactions_never_build_its_store(
    app_client: AsyncTestClient[Any], notes: NotesProbe, notes_settings: Settings
) -> None:
    registered = await app_client.post(
        "/api/v1/auth/register/student",
        json={
            "email": "ada@example.com",
            "password": "a long and unusual secret",
            "full_name": "Ada",
        },
    )
    assert registered.status_code == 202, registered.text
    assert (await app_client.get("/api/v1/courses")).status_code == 200
    assert (await app_client.get("/api/v1/categories")).status_code == 200

    assert notes.stores_built == 0

    # A transaction of this loop's own container: what identity touched is all it built.
    modules = app_client.app.state.container.modules
    container = bootstrap(notes_settings, broker=build_broker(None), modules=modules)
    try:
        async with container.uow() as uow:
            assert await uow.users.get_by_email(EmailAddress("ada@example.com")) is not None
            assert set(uow.built_stores) == {"users"}
    finally:
        await container.dispose()
    assert notes.stores_built == 0


def test_each_modules_settings_section_is_the_policy_its_use_cases_follow(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        public_url="https://school.example",
        app_name="School",
        platform_fee_bps=2000,
        cancellation_cutoff_hours=12,
        media_url_seconds=120,
        publish_courses_on_approval=True,
        require_2fa_for_staff=True,
    )
    container = bootstrap(settings, broker=build_broker(None))
    try:
        for module in MODULES:
            assert module.policy is not None, module.name
            assert container.policies[module.name] == getattr(container, module.name).deps.policy
    finally:
        asyncio.run(container.dispose())


async def test_a_modules_personal_data_joins_exports_and_erasures(
    notes: NotesProbe, notes_settings: Settings
) -> None:
    person, admin = await seed_accounts(
        notes_settings, ("ada@example.com", Role.STUDENT), ("root@example.com", Role.ADMIN)
    )
    container = bootstrap(notes_settings, broker=build_broker(None), modules=WITH_NOTES)
    try:
        await container.notes.write(f"a note about {person}")
        await container.notes.write("a note about nobody")
        ada = Actor(user_id=person, role=Role.STUDENT, email_verified=True)
        requested = await container.privacy.request_export(ada)
        await container.privacy.build_export.build(requested.id)
        archive = await container.privacy.export_archive(ada, requested.id)
        data = b"".join([chunk async for chunk in container.storage.read(archive.key)])
        section = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("notes.json"))
        assert section == {"notes": [f"a note about {person}"]}

        root = Actor(user_id=admin, role=Role.ADMIN, email_verified=True)
        erased = await container.privacy.erase_user(root, person, immediately=True)

        assert erased.summary["notes"] == {"notes": 1}
        assert await container.notes.count() == 1
    finally:
        await container.dispose()
