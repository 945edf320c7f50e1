"""The support desk's staff report: tickets opened in the period, over support's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from elearn.adapters.persistence.models.support import SupportTicketRow as T
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, cell, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportSource
from elearn.domain.support.tickets import Category, Priority, TicketStatus

_TICKETS = SelectReport(
    permission=Permission.WORK_SUPPORT_TICKETS,
    cells=(
        cell("ticket_id", T.id, K.ID),
        cell("opened_at", T.opened_at, K.INSTANT),
        cell("subject", T.subject),
        cell("category", T.category),
        cell("priority", T.priority),
        cell("status", T.status),
        cell("customer_id", T.customer_id, K.ID),
        cell("assignee_id", T.assignee_id, K.ID),
        cell("first_responded_at", T.first_responded_at, K.INSTANT),
        cell("first_response_due", T.first_response_due, K.INSTANT),
        cell("resolution_due", T.resolution_due, K.INSTANT),
    ),
    instant=T.opened_at,
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
