"""Staff reports (issue 18): asked for by staff, built by the background job from what each
context declares, downloaded through a link signed for the one who opens it; a payments
export agrees with the ledger to the minor unit."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from tests.integration.usecases.world import World

from elearn.application.actor import Actor
from elearn.application.billing.checkout import CheckoutItem
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.files import PrivateFile
from elearn.application.identity.admin import AuditLogQuery
from elearn.application.identity.ports import AuditFilter
from elearn.application.report_sources import Cell, ReportSource
from elearn.application.reporting.ports import DownloadGrant
from elearn.application.reporting.reports import (
    BuildReport,
    InvalidReport,
    ReportLinkExpired,
    ReportLinkInvalid,
    ReportNotReady,
    ReportRequest,
)
from elearn.domain.billing.ledger import AccountKind
from elearn.domain.reporting.reports import (
    InvalidReportPeriod,
    ReportFormat,
    ReportKind,
    ReportReady,
    ReportStatus,
)


def _request(
    world: World, kind: ReportKind, fmt: ReportFormat = ReportFormat.CSV, **filters: str
) -> ReportRequest:
    now = world.clock.now()
    return ReportRequest(kind, fmt, now - timedelta(days=1), now + timedelta(hours=1), filters)


async def _built(world: World, actor: Actor, request: ReportRequest) -> UUID:
    reporting = world.container.reporting
    queued = await reporting.request_report(actor, request)
    assert queued.status is ReportStatus.QUEUED and queued.download_url is None
    await reporting.build_report.build(queued.id)  # what the outbox hands the job
    return queued.id


async def _open(world: World, actor: Actor, report_id: UUID) -> tuple[PrivateFile, bytes]:
    reporting = world.container.reporting
    view = await reporting.get_report(actor, report_id)
    assert view.status is ReportStatus.READY and view.progress == 100, view
    assert view.download_url is not None
    query = parse_qs(urlsplit(view.download_url).query)
    file = await reporting.open_report_file(
        actor, report_id, expires=int(query["expires"][0]), signature=query["signature"][0]
    )
    data = b"".join([chunk async for chunk in world.container.storage.read(file.key)])
    assert len(data) == file.size
    return file, data


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _clearing(trial: object) -> int:
    return sum(
        account.balance.amount
        for account in trial.accounts  # type: ignore[attr-defined]
        if account.kind == AccountKind.PROVIDER_CLEARING and account.balance.currency == "USD"
    )


async def test_a_payments_export_totals_the_ledger_movement_of_money_captured(
    world: World,
) -> None:
    """Money captured by card over the period is what left the provider clearing account in
    it: the CSV's total equals the trial balance's movement, to the minor unit."""
    before = _clearing(await world.books_balance())
    await world.top_up(world.student, 3456)
    await world.top_up(world.classmate, 5001)
    course = await world.paid_course(2999)
    started = await world.container.billing.start_checkout(
        world.classmate, CheckoutItem(kind="course", course_id=course.id)
    )
    await world.container.billing.sandbox_checkout(world.classmate, started.order_id, "succeed")
    # Credits move no money in: an order, not a payment.
    await world.container.billing.purchase_with_credits(world.student, course.id)
    after = _clearing(await world.books_balance())

    report_id = await _built(world, world.admin, _request(world, ReportKind.PAYMENTS))
    file, data = await _open(world, world.admin, report_id)
    assert file.content_type.startswith("text/csv") and file.filename.endswith(".csv")
    rows = _rows(data)
    assert len(rows) == 3
    assert sum(int(row["amount"]) for row in rows if row["currency"] == "USD") == before - after
    view = await world.container.reporting.get_report(world.admin, report_id)
    assert view.row_count == 3


async def test_a_pdf_report_has_a_table_and_totals(world: World) -> None:
    await world.top_up(world.student, 700)
    report_id = await _built(
        world, world.admin, _request(world, ReportKind.ORDERS, ReportFormat.PDF)
    )
    file, data = await _open(world, world.admin, report_id)
    assert file.content_type == "application/pdf" and data.startswith(b"%PDF")


async def test_managers_export_what_their_lists_show_and_not_money(world: World) -> None:
    reporting = world.container.reporting
    with pytest.raises(PermissionDenied):
        await reporting.request_report(world.manager, _request(world, ReportKind.PAYMENTS))
    with pytest.raises(PermissionDenied):
        await reporting.request_report(world.tutor, _request(world, ReportKind.USERS))
    report_id = await _built(world, world.manager, _request(world, ReportKind.USERS, role="tutor"))
    _, data = await _open(world, world.manager, report_id)
    rows = _rows(data)
    assert rows and {row["role"] for row in rows} == {"tutor"}
    listed = await reporting.list_reports(world.manager, mine=True)
    assert [view.id for view in listed.items] == [report_id]


async def test_filters_and_periods_a_kind_does_not_take_are_refused(world: World) -> None:
    reporting = world.container.reporting
    with pytest.raises(InvalidReport) as refused:
        await reporting.request_report(world.admin, _request(world, ReportKind.USERS, colour="x"))
    assert [error.field for error in refused.value.errors] == ["filters.colour"]
    for role in ("x", ""):
        with pytest.raises(InvalidReport):
            await reporting.request_report(
                world.admin, _request(world, ReportKind.USERS, role=role)
            )
    now = world.clock.now()
    for start, end in ((now, now), (now - timedelta(days=400), now)):
        with pytest.raises(InvalidReportPeriod):
            await reporting.request_report(
                world.admin,
                ReportRequest(ReportKind.USERS, ReportFormat.CSV, start, end, {}),
            )


async def test_download_links_are_the_viewers_and_expire(world: World) -> None:
    reporting = world.container.reporting
    queued = await reporting.request_report(world.admin, _request(world, ReportKind.USERS))
    soon = world.clock.now() + timedelta(minutes=5)
    signature = reporting.deps.links.sign(DownloadGrant(_id(world.admin), queued.id, soon))
    with pytest.raises(ReportNotReady):  # a link made by hand: the view gives none yet
        await reporting.open_report_file(
            world.admin, queued.id, expires=int(soon.timestamp()), signature=signature
        )
    await reporting.build_report.build(queued.id)
    view = await reporting.get_report(world.admin, queued.id)
    assert view.download_url is not None
    query = parse_qs(urlsplit(view.download_url).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    with pytest.raises(ReportLinkInvalid):  # signed for the admin, not the manager
        await reporting.open_report_file(
            world.manager, queued.id, expires=expires, signature=signature
        )
    with pytest.raises(ReportLinkInvalid):
        await reporting.open_report_file(
            world.admin, queued.id, expires=expires + 60, signature=signature
        )
    world.clock.advance(timedelta(minutes=10))
    with pytest.raises(ReportLinkExpired):
        await reporting.open_report_file(
            world.admin, queued.id, expires=expires, signature=signature
        )
    log = await world.container.identity.read_audit_log(
        world.admin, AuditLogQuery(filters=AuditFilter(target_id=queued.id), limit=10)
    )
    assert {entry.action.value for entry in log.items} == {"report.requested"}


async def test_a_ready_report_notifies_its_requester(world: World) -> None:
    report_id = await _built(world, world.admin, _request(world, ReportKind.USERS))
    await _open(world, world.admin, report_id)
    event = ReportReady(
        event_id=report_id,
        occurred_at=world.clock.now(),
        report_id=report_id,
        requested_by=_id(world.admin),
        kind="users",
        keep_days=7,
    )
    await world.container.subscriptions["notifications.of_reporting.report_ready"].handler(event)
    inbox = await world.container.notifications.my_notifications(world.admin)
    assert [item.title for item in inbox.items] == ["Your report is ready"]
    log = await world.container.identity.read_audit_log(
        world.admin, AuditLogQuery(filters=AuditFilter(target_id=report_id), limit=10)
    )
    assert {entry.action.value for entry in log.items} == {
        "report.requested",
        "report.downloaded",
    }


def _id(actor: Actor) -> UUID:
    assert actor.user_id is not None
    return actor.user_id


class _BrokenSource:
    """A kind whose rows cannot be read (its table gone, its database away)."""

    def __init__(self, working: ReportSource) -> None:
        self.permission, self.columns, self.filters = (
            working.permission,
            working.columns,
            working.filters,
        )

    async def count(self, *args: object) -> int:
        return 10

    async def rows(self, *args: object) -> AsyncIterator[Sequence[Cell]]:
        yield ("x",) * len(self.columns)
        raise ConnectionError("the database went away")


async def test_a_report_that_cannot_be_written_fails_and_says_so(world: World) -> None:
    reporting = world.container.reporting
    queued = await reporting.request_report(world.admin, _request(world, ReportKind.USERS))
    deps = dataclasses.replace(
        reporting.deps, sources={"users": _BrokenSource(reporting.deps.sources["users"])}
    )
    await BuildReport(deps).build(queued.id)
    await BuildReport(deps).build(queued.id)  # redelivered: left alone
    view = await reporting.get_report(world.admin, queued.id)
    assert view.status is ReportStatus.FAILED and view.download_url is None
    assert view.failure == "the report could not be written: ConnectionError"


async def test_one_report_requested_twice_at_once_is_one_report_built_once(
    world_on_each_database: World,
) -> None:
    """A double click: both requests answer the same queued report (the second one says it was
    already requested), however the two transactions interleave; and its job delivered twice
    at once builds it once."""
    world = world_on_each_database
    reporting = world.container.reporting
    request = _request(world, ReportKind.USERS)
    answers = await asyncio.gather(
        *(reporting.request_report(world.admin, request) for _ in range(4))
    )
    assert len({view.id for view in answers}) == 1
    assert sorted(view.already_requested for view in answers) == [False, True, True, True]
    assert all(view.status is ReportStatus.QUEUED for view in answers)
    report_id = answers[0].id
    await asyncio.gather(
        reporting.build_report.build(report_id), reporting.build_report.build(report_id)
    )
    _, data = await _open(world, world.admin, report_id)
    assert _rows(data)
    listed = await reporting.list_reports(world.admin, mine=True)
    assert [view.id for view in listed.items] == [report_id]


async def test_the_same_report_once_built_or_asked_differently_is_a_new_report(
    world: World,
) -> None:
    """Only a report still queued or running is answered again: once it is ready, asking again
    makes a new one; and a different format, period, filter, or person is a different report.
    The same filters in another order, or the period written with another offset, are not."""
    reporting = world.container.reporting
    request = _request(world, ReportKind.USERS, role="student", status="active")
    first = await reporting.request_report(world.admin, request)
    reordered = dataclasses.replace(
        request,
        filters=dict(reversed(list(request.filters.items()))),
        starts_at=request.starts_at.astimezone(timezone(timedelta(hours=5, minutes=30))),
    )
    assert (await reporting.request_report(world.admin, reordered)).id == first.id
    others = [
        dataclasses.replace(request, format=ReportFormat.PDF),
        dataclasses.replace(request, ends_at=request.ends_at + timedelta(seconds=1)),
        dataclasses.replace(request, filters={"role": "student"}),
    ]
    for other in others:
        assert not (await reporting.request_report(world.admin, other)).already_requested
    assert (await reporting.request_report(world.manager, request)).id != first.id
    await reporting.build_report.build(first.id)
    again = await reporting.request_report(world.admin, request)
    assert again.id != first.id and not again.already_requested


async def test_a_report_past_its_keeping_loses_its_file_and_keeps_its_record(
    world: World,
) -> None:
    reporting = world.container.reporting
    report_id = await _built(world, world.admin, _request(world, ReportKind.USERS))
    file, _ = await _open(world, world.admin, report_id)
    assert await reporting.purge_expired_reports() == 0  # still kept
    world.clock.advance(reporting.deps.keep_for)
    assert await reporting.purge_expired_reports() == 1
    with pytest.raises(NotFound):
        await world.container.storage.size(file.key)
    view = await reporting.get_report(world.admin, report_id)
    assert view.download_url is None
    assert await reporting.purge_expired_reports() == 0
