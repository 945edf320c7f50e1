"""Erasing a person: asked for by the person (proving it is them) or by staff for them,
carried out by a periodic job once the grace period has passed, unless the person signed in
again or cancelled meanwhile.

Carrying it out is one transaction over every context's declared personal data: names,
addresses, free text and files go; money records stay, naming only the account's id, whose
name and address are now a pseudonym nobody can sign in with. The erasure's row is the record
of it (who asked, when, how many things of each kind), with no personal data in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.application.files import delete_quietly
from elearn.application.identity.api import AccountStatus
from elearn.application.personal_data import Pseudonym
from elearn.application.privacy.deps import PrivacyDeps
from elearn.application.privacy.exports import UserNotFound
from elearn.application.privacy.ports import ErasureView, PrivacyUnitOfWork
from elearn.domain.privacy.requests import Erasure, ExportStatus
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import Conflict

logger = logging.getLogger(__name__)

_DUE_PER_RUN = 20


class ErasureNotFound(NotFound):
    code = "erasure-not-found"

    def __init__(self) -> None:
        super().__init__("no erasure of this account is scheduled")


class AlreadyErased(Conflict):
    code = "already-erased"

    def __init__(self) -> None:
        super().__init__("this account has already been erased")


def erasure_view(erasure: Erasure) -> ErasureView:
    return ErasureView(
        id=erasure.id,
        user_id=erasure.user_id,
        status=erasure.status.value,
        requested_at=erasure.requested_at,
        due_at=erasure.due_at,
        cancelled_at=erasure.cancelled_at,
        erased_at=erasure.erased_at,
        summary=erasure.summary,
    )


@dataclass(frozen=True, slots=True)
class EraseMeCommand:
    password: str | None = None


class ScheduleMyErasure:
    """``DELETE /me``: with the current password, or within minutes of signing in. Asking
    again while one is scheduled answers that one (its date does not move)."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: EraseMeCommand) -> ErasureView:
        deps = self._deps
        user_id = require_signed_in(actor)
        now = deps.clock.now()
        async with deps.uow() as uow:
            if command.password is not None:
                if not await deps.identity.password_matches(uow, user_id, command.password):
                    raise InvalidInput(
                        "the password is wrong",
                        errors=[FieldError("password", "does not match your password")],
                    )
            else:
                recently = now - deps.recent_sign_in
                if not await deps.identity.signed_in_since(uow, user_id, recently):
                    raise InvalidInput(
                        "confirm with your password, or sign in again first",
                        errors=[
                            FieldError(
                                "password",
                                "is required unless you signed in within the last "
                                f"{deps.policy.recent_sign_in_minutes} minutes",
                            )
                        ],
                    )
            erasure = await _schedule(deps, uow, actor, user_id)
            await uow.commit()
        return erasure_view(erasure)


class ScheduleErasureFor:
    """Staff erase a person on their request (audited): after the grace period, or at once."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, user_id: UUID, *, immediately: bool) -> ErasureView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.ERASE_PERSONAL_DATA)
        async with deps.uow() as uow:
            erasure = await _schedule(deps, uow, actor, user_id, at_once=immediately)
            await uow.commit()
        if immediately:
            # A transaction of its own: the one above read the account through identity, and
            # erasing writes around what it read.
            done = await carry_out(deps, erasure.id, cancel_on_sign_in=False)
            erasure = done or erasure
        return erasure_view(erasure)


async def _schedule(
    deps: PrivacyDeps, uow: PrivacyUnitOfWork, actor: Actor, user_id: UUID, *, at_once: bool = False
) -> Erasure:
    person = await deps.identity.user(uow, user_id)
    if person is None:
        raise UserNotFound()
    if person.status is AccountStatus.ERASED:
        raise AlreadyErased()
    now = deps.clock.now()
    erasure = await uow.privacy.erasures.scheduled_for(user_id, for_update=True)
    if erasure is not None:
        if at_once:
            erasure.bring_forward(now)
        return erasure
    erasure = Erasure.schedule(
        erasure_id=deps.ids.new_id(),
        user_id=user_id,
        requested_by=actor.user_id,
        now=now,
        grace=timedelta(0) if at_once else deps.grace,
    )
    await uow.privacy.erasures.add(erasure)
    deps.audit(
        uow, actor, AuditAction.ERASURE_SCHEDULED,
        target_type="user", target_id=user_id, erasure_id=erasure.id,
        due_at=erasure.due_at.isoformat(),
    )  # fmt: skip
    return erasure


async def _carry_out(
    deps: PrivacyDeps, uow: PrivacyUnitOfWork, erasure: Erasure, pseudonym: Pseudonym
) -> list[str]:
    """Every context erases its part in the caller's transaction; answers the files to delete
    after it commits (a rolled-back erasure must find its files still there)."""
    summary: dict[str, dict[str, int]] = {}
    file_keys: list[str] = []
    for name, provider in deps.personal_data.items():
        erased = await provider.erase(uow, erasure.user_id, pseudonym)
        summary[name] = dict(erased.counts)
        file_keys.extend(erased.file_keys)
    # Privacy's own part: the person's archives are their data too, and none is built after.
    exports = await uow.privacy.exports.of_user(erasure.user_id)
    for export in exports:
        if export.status is ExportStatus.PENDING:
            export.fail()
    archives = [key for export in exports if (key := export.forget_file()) is not None]
    file_keys.extend(archives)
    summary["privacy"] = {"export_archives": len(archives)}
    erasure.complete(deps.clock.now(), summary)
    deps.audit(
        uow, Actor.system(), AuditAction.USER_ERASED,
        target_type="user", target_id=erasure.user_id, erasure_id=erasure.id,
    )  # fmt: skip
    return file_keys


class GetMyErasure:
    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> ErasureView:
        user_id = require_signed_in(actor)
        async with self._deps.uow(read_only=True) as uow:
            erasure = await uow.privacy.erasures.scheduled_for(user_id)
        if erasure is None:
            raise ErasureNotFound()
        return erasure_view(erasure)


class CancelMyErasure:
    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> ErasureView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            erasure = await uow.privacy.erasures.scheduled_for(user_id, for_update=True)
            if erasure is None:
                raise ErasureNotFound()
            erasure.cancel(deps.clock.now())
            deps.audit(
                uow, actor, AuditAction.ERASURE_CANCELLED,
                target_type="user", target_id=user_id, erasure_id=erasure.id, by="request",
            )  # fmt: skip
            await uow.commit()
        return erasure_view(erasure)


class EraseDuePeople:
    """The periodic job: each erasure past its grace period is carried out in a transaction of
    its own, unless the person signed in after asking (which cancels it)."""

    def __init__(self, deps: PrivacyDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            due = [e.id for e in await uow.privacy.erasures.due(deps.clock.now(), _DUE_PER_RUN)]
        erased = 0
        for erasure_id in due:
            try:
                erased += await self.erase(erasure_id)
            except Exception:
                # One person's failure must not hold the others back; the next run retries.
                logger.exception("erasure %s failed", erasure_id)
        return erased

    async def erase(self, erasure_id: UUID) -> int:
        return 0 if await carry_out(self._deps, erasure_id, cancel_on_sign_in=True) is None else 1


async def carry_out(
    deps: PrivacyDeps, erasure_id: UUID, *, cancel_on_sign_in: bool
) -> Erasure | None:
    """Erases the person of a due erasure in one transaction, then deletes their files; the
    erasure done, or None when it was not due (or the person signed in again, which cancels
    it, when ``cancel_on_sign_in``)."""
    now = deps.clock.now()
    # Read apart from the erasing transaction, which must not hold the account it rewrites.
    async with deps.uow(read_only=True) as read:
        erasure = await read.privacy.erasures.get(erasure_id)
        person = None if erasure is None else await deps.identity.user(read, erasure.user_id)
    pseudonym = Pseudonym.new(former_name=person.full_name if person else "")
    async with deps.uow() as uow:
        erasure = await uow.privacy.erasures.get(erasure_id, for_update=True)
        if erasure is None or not erasure.is_due(now):
            return None
        if cancel_on_sign_in and await deps.identity.signed_in_since(
            uow, erasure.user_id, erasure.requested_at
        ):
            erasure.cancel(now)
            deps.audit(
                uow, Actor.system(), AuditAction.ERASURE_CANCELLED,
                target_type="user", target_id=erasure.user_id, erasure_id=erasure.id,
                by="sign_in",
            )  # fmt: skip
            await uow.commit()
            return None
        file_keys = await _carry_out(deps, uow, erasure, pseudonym)
        await uow.commit()
    await delete_quietly(deps.storage, *file_keys)
    return erasure
