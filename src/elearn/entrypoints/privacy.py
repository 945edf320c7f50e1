"""Privacy's part of the composition root: its policy from settings, every registered module's
personal data, and its use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.privacy_repositories import SqlaPrivacyQueries
from elearn.application.identity.api import IdentityApi
from elearn.application.privacy import erasure, exports
from elearn.application.privacy.deps import PrivacyDeps
from elearn.application.privacy.ports import PrivacyPolicy
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def privacy_policy(settings: Settings) -> PrivacyPolicy:
    return PrivacyPolicy(
        erasure_grace_days=settings.erasure_grace_days,
        export_keep_days=settings.data_export_days,
        links=settings.front_end,
    )


def build_privacy_deps(container: Container) -> PrivacyDeps:
    return PrivacyDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        storage=container.storage,
        queries=SqlaPrivacyQueries(container.sessions),
        identity=IdentityApi(container.identity.deps),
        # Every module that declares personal data, in module order: a context added later
        # joins exports and erasures by declaring its own.
        personal_data={
            module.name: module.personal_data(container)
            for module in container.modules
            if module.personal_data is not None
        },
        mailer=container.mailer,
        templates=container.templates,
        policy=privacy_policy(container.settings),
        authorizer=container.authorizer,
    )


class PrivacyUseCases:
    def __init__(self, deps: PrivacyDeps) -> None:
        self.deps = deps

    @cached_property
    def request_export(self) -> exports.RequestDataExport:
        return exports.RequestDataExport(self.deps)

    @cached_property
    def my_exports(self) -> exports.ListMyExports:
        return exports.ListMyExports(self.deps)

    @cached_property
    def export_archive(self) -> exports.GetExportArchive:
        return exports.GetExportArchive(self.deps)

    @cached_property
    def build_export(self) -> exports.BuildDataExport:
        return exports.BuildDataExport(self.deps)

    @cached_property
    def send_export_ready_email(self) -> exports.SendExportReadyEmail:
        return exports.SendExportReadyEmail(self.deps)

    @cached_property
    def purge_expired_exports(self) -> exports.PurgeExpiredExports:
        return exports.PurgeExpiredExports(self.deps)

    @cached_property
    def erase_me(self) -> erasure.ScheduleMyErasure:
        return erasure.ScheduleMyErasure(self.deps)

    @cached_property
    def erase_user(self) -> erasure.ScheduleErasureFor:
        return erasure.ScheduleErasureFor(self.deps)

    @cached_property
    def my_erasure(self) -> erasure.GetMyErasure:
        return erasure.GetMyErasure(self.deps)

    @cached_property
    def cancel_my_erasure(self) -> erasure.CancelMyErasure:
        return erasure.CancelMyErasure(self.deps)

    @cached_property
    def erase_due_people(self) -> erasure.EraseDuePeople:
        return erasure.EraseDuePeople(self.deps)


# Privacy's use cases, as a route parameter: ``privacy: Privacy``.
Privacy: TypeAlias = NamedDependency[PrivacyUseCases]
