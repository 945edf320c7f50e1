"""Reports of abusive posts: anyone who can read a post reports it once; staff hide it (it
vanishes for everyone but the course's moderators) or dismiss the report."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.community.deps import CommunityDeps
from elearn.application.community.ports import ContentReportView
from elearn.application.errors import NotFound
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.community.forum import (
    ContentReport,
    ReportAction,
    ReportStatus,
    ReportTarget,
)
from elearn.domain.shared.errors import Conflict


class ReportNotFound(NotFound):
    code = "report-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such report")


class AlreadyReported(Conflict):
    code = "already-reported"

    def __init__(self) -> None:
        super().__init__("you reported this post already; staff will look at it")


@dataclass(frozen=True, slots=True)
class NewReport:
    target_type: ReportTarget
    target_id: UUID
    reason: str


class ReportContent:
    def __init__(self, deps: CommunityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, new: NewReport) -> ContentReportView:
        deps = self._deps
        async with deps.uow() as uow:
            if new.target_type is ReportTarget.REPLY:
                _, thread, access = await deps.reply_access(uow, actor, new.target_id)
            else:
                thread, access = await deps.thread_access(uow, actor, new.target_id)
            reports = uow.forum.reports
            if await reports.open_report_by(access.user_id, new.target_type, new.target_id):
                raise AlreadyReported()
            report = ContentReport.file(
                report_id=deps.ids.new_id(),
                event_id=deps.ids.new_id(),
                course_id=thread.course_id,
                thread_id=thread.id,
                target_type=new.target_type,
                target_id=new.target_id,
                reporter_id=access.user_id,
                reason=new.reason,
                now=deps.clock.now(),
            )
            await reports.add(report)
            await uow.commit()
        return ContentReportView.of(report)


class ListReports:
    """Staff: reports to decide (``status`` open by default), oldest first."""

    def __init__(self, deps: CommunityDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        status: ReportStatus | None = ReportStatus.OPEN,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[ContentReportView]:
        self._deps.authorizer.authorize(actor, Permission.MODERATE_FORUMS)
        check_limit(limit)
        return await page_of(self._deps.queries.reports(status, limit=limit, cursor=cursor))


class ResolveReport:
    """Staff hide the reported post or dismiss the report; a report is resolved once (409)."""

    def __init__(self, deps: CommunityDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, report_id: UUID, action: ReportAction
    ) -> ContentReportView:
        deps = self._deps
        staff_id = deps.authorizer.require(actor, Permission.MODERATE_FORUMS)
        async with deps.uow() as uow:
            report = await uow.forum.reports.get(report_id, for_update=True)
            if report is None:
                raise ReportNotFound()
            report.resolve(action, by=staff_id, now=deps.clock.now())
            if action is ReportAction.HIDE:
                target = (
                    await uow.forum.replies.get(report.target_id, for_update=True)
                    if report.target_type is ReportTarget.REPLY
                    else await uow.forum.threads.get(report.target_id, for_update=True)
                )
                if target is not None:
                    target.hidden = True
            await uow.commit()
        return ContentReportView.of(report)
