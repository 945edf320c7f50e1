"""The support desk's staff report: tickets opened in the period, over support's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from elearn.adapters.persistence.models.support import SupportTicketRow as T
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportColumn, ReportSource
from elearn.domain.support.tickets import Category, Priority, TicketStatus

_TICKETS = SelectReport(
    permission=Permission.WORK_SUPPORT_TICKETS,
    columns=(
        ReportColumn("ticket_id", K.ID),
        ReportColumn("opened_at", K.INSTANT),
        ReportColumn("subject"),
        ReportColumn("category"),
        ReportColumn("priority"),
        ReportColumn("status"),
        ReportColumn("customer_id", K.ID),
        ReportColumn("assignee_id", K.ID),
        ReportColumn("first_responded_at", K.INSTANT),
        ReportColumn("first_response_due", K.INSTANT),
        ReportColumn("resolution_due", K.INSTANT),
    ),
    instant=T.opened_at,
    select=lambda: select(
        T.id,
        T.opened_at,
        T.subject,
        T.category,
        T.priority,
        T.status,
        T.customer_id,
        T.assignee_id,
        T.first_responded_at,
        T.first_response_due,
        T.resolution_due,
    ),
    row=tuple,
    filters={
        "status": choices(*(status.value for status in TicketStatus)),
        "priority": choices(*(priority.value for priority in Priority)),
        "category": choices(*(category.value for category in Category)),
        "assignee_id": ANY_ID,
    },
    filter_columns={
        "status": T.status,
        "priority": T.priority,
        "category": T.category,
        "assignee_id": T.assignee_id,
    },
)


def support_reports() -> Mapping[str, ReportSource]:
    return {"tickets": _TICKETS}
