"""Identity's staff report: accounts made in the period, over identity's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.report_rows import SelectReport, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportColumn, ReportSource
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import AccountStatus

_USERS = SelectReport(
    permission=Permission.VIEW_USERS,
    columns=(
        ReportColumn("user_id", K.ID),
        ReportColumn("created_at", K.INSTANT),
        ReportColumn("email"),
        ReportColumn("full_name"),
        ReportColumn("role"),
        ReportColumn("status"),
        ReportColumn("email_verified_at", K.INSTANT),
        ReportColumn("tutor_approval"),
    ),
    instant=UserRow.created_at,
    select=lambda: select(
        UserRow.id,
        UserRow.created_at,
        UserRow.email,
        UserRow.full_name,
        UserRow.role,
        UserRow.status,
        UserRow.email_verified_at,
        UserRow.tutor_approval,
    ),
    row=tuple,
    filters={
        "role": choices(*(role.value for role in Role)),
        "status": choices(*(status.value for status in AccountStatus)),
    },
    filter_columns={"role": UserRow.role, "status": UserRow.status},
)


def identity_reports() -> Mapping[str, ReportSource]:
    return {"users": _USERS}
