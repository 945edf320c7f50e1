"""/api/v1/admin/reports: staff reports exported in the background (issue 18)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Response, Stream

from elearn.application.paging import Page
from elearn.application.reporting.ports import ReportView
from elearn.application.reporting.reports import ReportRequest, report_path
from elearn.domain.reporting.reports import ReportFormat, ReportKind, ReportStatus
from elearn.entrypoints.http.auth import CurrentActor, staff_only
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.downloads import private_download
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.reporting import Reporting


class ReportBody(RequestBody):
    kind: ReportKind
    format: ReportFormat
    from_: datetime = msgspec.field(name="from")
    to: datetime
    # Per kind: orders `status`, `kind`, `method`; payments `kind`, `currency`; refunds
    # `status`; payouts `status`, `tutor_id`; enrollments `course_id`, `student_id`, `status`,
    # `source`; users `role`, `status`; bookings `status`, `tutor_id`, `student_id`; tickets
    # `status`, `priority`, `category`, `assignee_id`.
    # Names and values are checked by the use case (422 `invalid-staff-report`): the document
    # cannot say what a map's keys and values must be.
    filters: dict[str, str] = {}


class StaffReport(msgspec.Struct, kw_only=True):
    id: UUID
    kind: ReportKind
    format: ReportFormat
    status: ReportStatus
    progress: Annotated[int, msgspec.Meta(ge=0, le=100)]
    from_: datetime = msgspec.field(name="from")
    to: datetime
    filters: dict[str, str]
    requested_by: UUID
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    row_count: int | None
    size: int | None
    failure: str | None
    download_url: str | None


class StaffReportPage(msgspec.Struct, kw_only=True):
    items: list[StaffReport]
    next_cursor: str | None


def _out(view: ReportView) -> StaffReport:
    return StaffReport(
        id=view.id,
        kind=view.kind,
        format=view.format,
        status=view.status,
        progress=view.progress,
        from_=view.from_,
        to=view.to,
        filters=dict(view.filters),
        requested_by=view.requested_by,
        requested_at=view.requested_at,
        started_at=view.started_at,
        finished_at=view.finished_at,
        expires_at=view.expires_at,
        row_count=view.row_count,
        size=view.size,
        failure=view.failure,
        download_url=view.download_url,
    )


def _page(page: Page[ReportView]) -> StaffReportPage:
    return StaffReportPage(items=[_out(view) for view in page.items], next_cursor=page.next_cursor)


class ReportsController(Controller):
    path = "/admin/reports"
    tags = ["reporting"]
    guards = [staff_only]

    @problems("invalid-staff-report", "invalid-report-period", "same-report-in-progress")
    @post(
        "/",
        operation_id="request_report",
        summary="Export a report",
        status_code=202,
        response_headers=[
            ResponseHeader(
                name="Location",
                value="/api/v1/admin/reports/{report_id}",  # documents the type: a string
                description="The report's address (the new one, or the one already asked for)",
                documentation_only=True,
            )
        ],
        responses={
            303: ResponseSpec(
                StaffReport,
                description="The same report is already queued or running: `Location` names "
                "it, and the body is where it stands.",
            )
        },
    )
    async def request_report(
        self, data: JSONBody[ReportBody], actor: CurrentActor, reporting: Reporting
    ) -> Response[StaffReport]:
        """Queues a report of one kind over `[from, to)` (at most 366 days) as CSV or PDF; it
        is built in the background and its requester is notified (and emailed, per their
        preferences) when it is ready: 202 with the new report, `Location` its address. Asking
        again for the same report (same kind, format, period and filters) while yours is
        queued or running, double clicks included, queues nothing: 303 See Other with
        `Location` naming that report and the report as the body (RFC 9110 §15.4.4: the result
        would be equivalent to an existing resource). Money kinds (`orders`, `payments`,
        `refunds`, `payouts`) are an admin's; managers run the others. 422
        `invalid-staff-report` for a filter the kind does not take, `invalid-report-period` for
        an empty or too long period. Audited."""
        request = ReportRequest(
            kind=data.kind,
            format=data.format,
            starts_at=data.from_,
            ends_at=data.to,
            filters=dict(data.filters),
        )
        view = await reporting.request_report(actor, request)
        return Response(
            _out(view),
            status_code=303 if view.already_requested else 202,
            headers={"Location": report_path(view.id)},
        )

    @get("/", operation_id="list_reports", summary="Reports")
    async def list_reports(
        self,
        actor: CurrentActor,
        reporting: Reporting,
        mine: FromQuery[bool] = False,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> StaffReportPage:
        """Newest first: every report of a kind you may run, or only yours (`mine=true`)."""
        return _page(await reporting.list_reports(actor, mine=mine, limit=limit, cursor=cursor))

    @problems("staff-report-not-found")
    @get("/{staff_report_id:uuid}", operation_id="get_report", summary="A report's progress")
    async def get_report(
        self, staff_report_id: FromPath[UUID], actor: CurrentActor, reporting: Reporting
    ) -> StaffReport:
        """`queued`, `running` with `progress` in percent, `ready` with a `download_url` signed
        for you for a few minutes (open the report again for a fresh one), or `failed`."""
        return _out(await reporting.get_report(actor, staff_report_id))

    @problems(
        "staff-report-not-found",
        "report-not-ready",
        "report-expired",
        "report-link-expired",
        "report-link-invalid",
    )
    @binary("text/csv", "application/pdf")
    @get(
        "/{staff_report_id:uuid}/file", operation_id="download_report", summary="Download a report"
    )
    async def download(
        self,
        staff_report_id: FromPath[UUID],
        actor: CurrentActor,
        reporting: Reporting,
        expires: Annotated[int, QueryParameter(ge=0, le=253_402_300_799)],
        signature: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> Stream:
        """With a report's `download_url`, signed in as whom it was signed for: 410
        `report-link-expired` once the link is past, 403 `report-link-invalid` for a forged or
        someone else's link, 409 `report-not-ready` before it is ready, 410 `report-expired`
        once its file is deleted. Each download is audited."""
        file = await reporting.open_report_file(
            actor, staff_report_id, expires=expires, signature=signature
        )
        return private_download(reporting.deps.storage, file)


REPORTING_CONTROLLERS = [ReportsController]
