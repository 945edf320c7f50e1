"""Identity's staff report: accounts made in the period, over identity's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.report_rows import SelectReport, cell, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportSource
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import AccountStatus

_USERS = SelectReport(
    permission=Permission.VIEW_USERS,
    cells=(
        cell("user_id", UserRow.id, K.ID),
        cell("created_at", UserRow.created_at, K.INSTANT),
        cell("email", UserRow.email),
        cell("full_name", UserRow.full_name),
        cell("role", UserRow.role),
        cell("status", UserRow.status),
        cell("email_verified_at", UserRow.email_verified_at, K.INSTANT),
        cell("tutor_approval", UserRow.tutor_approval),
    ),
    instant=UserRow.created_at,
    filters={
        "role": choices(*(role.value for role in Role)),
        "status": choices(*(status.value for status in AccountStatus)),
    },
    filter_columns={"role": UserRow.role, "status": UserRow.status},
)


def identity_reports() -> Mapping[str, ReportSource]:
    return {"users": _USERS}
