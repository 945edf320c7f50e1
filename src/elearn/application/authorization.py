"""Who may exercise which power: named permissions, one table of the roles holding them, and one
authorizer that applies it.

A permission is a power beyond the actor's own objects (approving anyone's course, reading
anyone's booking) or one that comes with a role (offering lessons). Whether an actor owns,
teaches or is enrolled in the object stays the use case's check; the authorizer answers only
whether the actor may go beyond that.

Staff powers are what an attacker with a stolen password wants most, so where the platform asks
for it (``staff_two_factor_required``), every permission held by staff alone is refused to
someone who does not sign in with a second factor. That rule lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import ApplicationError, NotAuthenticated, PermissionDenied
from elearn.domain.identity.roles import Role


class Permission(StrEnum):
    # identity
    REVIEW_TUTOR_APPLICATIONS = "review_tutor_applications"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    CREATE_ACCOUNTS = "create_accounts"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_INSTITUTIONS = "manage_institutions"
    # privacy
    EXPORT_PERSONAL_DATA = "export_personal_data"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    # catalog
    APPROVE_COURSE = "approve_course"
    PUBLISH_COURSE = "publish_course"
    ARCHIVE_ANY_COURSE = "archive_any_course"
    MANAGE_CATEGORIES = "manage_categories"
    VIEW_ANY_COURSE = "view_any_course"
    # learning
    GRANT_ENROLLMENT = "grant_enrollment"
    REVOKE_ENROLLMENT = "revoke_enrollment"
    VIEW_ANY_COURSE_STUDENTS = "view_any_course_students"
    MODERATE_REVIEWS = "moderate_reviews"
    VIEW_ANY_SUBMISSION = "view_any_submission"
    VIEW_ANY_QUIZ_ATTEMPT = "view_any_quiz_attempt"
    VIEW_ANY_CERTIFICATE = "view_any_certificate"
    # billing
    VIEW_ANY_ORDER = "view_any_order"
    VIEW_REFUNDS = "view_refunds"
    VIEW_TRIAL_BALANCE = "view_trial_balance"
    REFUND_PAYMENT = "refund_payment"
    VIEW_ANY_WITHDRAWAL = "view_any_withdrawal"
    DECIDE_WITHDRAWAL = "decide_withdrawal"
    WITHDRAW_EARNINGS = "withdraw_earnings"
    # tutoring
    OFFER_LESSONS = "offer_lessons"
    VIEW_ANY_BOOKING = "view_any_booking"
    COMPLETE_LESSON_FOR_OTHERS = "complete_lesson_for_others"
    REPORT_NO_SHOW_FOR_OTHERS = "report_no_show_for_others"
    # community
    MODERATE_FORUMS = "moderate_forums"
    # communication
    ANNOUNCE_TO_ANY_COURSE = "announce_to_any_course"
    # communication: conversations
    MESSAGE_ANYONE = "message_anyone"
    REVIEW_CONVERSATION_REPORTS = "review_conversation_reports"
    # support
    WORK_SUPPORT_TICKETS = "work_support_tickets"
    # analytics
    VIEW_PLATFORM_ANALYTICS = "view_platform_analytics"
    # reporting: each kind of report also needs the permission of the list it exports
    RUN_REPORTS = "run_reports"


STAFF_ROLES = frozenset({Role.MANAGER, Role.ADMIN})

_P = Permission
_MANAGER = frozenset(
    {
        _P.REVIEW_TUTOR_APPLICATIONS,
        _P.VIEW_USERS,
        _P.VIEW_AUDIT_LOG,
        # The list of institutions is reference data, kept by whoever runs the back office.
        _P.MANAGE_INSTITUTIONS,
        _P.APPROVE_COURSE,
        _P.PUBLISH_COURSE,
        _P.ARCHIVE_ANY_COURSE,
        _P.VIEW_ANY_COURSE,
        _P.GRANT_ENROLLMENT,
        _P.REVOKE_ENROLLMENT,
        _P.VIEW_ANY_COURSE_STUDENTS,
        _P.MODERATE_REVIEWS,
        _P.VIEW_ANY_SUBMISSION,
        _P.VIEW_ANY_QUIZ_ATTEMPT,
        _P.VIEW_ANY_CERTIFICATE,
        _P.VIEW_ANY_BOOKING,
        _P.COMPLETE_LESSON_FOR_OTHERS,
        _P.REPORT_NO_SHOW_FOR_OTHERS,
        _P.MODERATE_FORUMS,
        _P.ANNOUNCE_TO_ANY_COURSE,
        _P.MESSAGE_ANYONE,
        _P.REVIEW_CONVERSATION_REPORTS,
        # Support agents are staff: they read every ticket and its internal notes.
        _P.WORK_SUPPORT_TICKETS,
        # Platform figures are aggregates: every staff member reads them.
        _P.VIEW_PLATFORM_ANALYTICS,
        _P.RUN_REPORTS,
    }
)
# Accounts, categories and money by hand are an admin's alone.
_ADMIN_ONLY = frozenset(
    {
        _P.MANAGE_USERS,
        _P.CREATE_ACCOUNTS,
        _P.EXPORT_PERSONAL_DATA,
        _P.ERASE_PERSONAL_DATA,
        _P.MANAGE_CATEGORIES,
        _P.VIEW_ANY_ORDER,
        _P.VIEW_REFUNDS,
        _P.VIEW_TRIAL_BALANCE,
        _P.REFUND_PAYMENT,
        _P.VIEW_ANY_WITHDRAWAL,
        _P.DECIDE_WITHDRAWAL,
    }
)

GRANTS: Mapping[Role, frozenset[Permission]] = {
    Role.STUDENT: frozenset(),
    Role.TUTOR: frozenset({_P.OFFER_LESSONS, _P.WITHDRAW_EARNINGS}),
    Role.MANAGER: _MANAGER,
    Role.ADMIN: _MANAGER | _ADMIN_ONLY,
}

_ONLY_STAFF = "only staff may do this"
_ONLY_ADMINS_MOVE_MONEY = "only admins may move money"
_ONLY_TUTORS = "only tutors may do this"
# What someone who does not hold a permission is told (the messages clients have always seen).
REFUSALS: Mapping[Permission, str] = {
    _P.REVIEW_TUTOR_APPLICATIONS: _ONLY_STAFF,
    _P.VIEW_USERS: _ONLY_STAFF,
    _P.MANAGE_USERS: "only an admin changes roles or suspends accounts",
    _P.CREATE_ACCOUNTS: "only an admin creates accounts for others",
    _P.VIEW_AUDIT_LOG: _ONLY_STAFF,
    _P.MANAGE_INSTITUTIONS: "only managers and admins keep the list of institutions",
    _P.EXPORT_PERSONAL_DATA: "only an admin exports someone else's data",
    _P.ERASE_PERSONAL_DATA: "only an admin erases someone else's data",
    _P.APPROVE_COURSE: "only managers and admins review courses",
    _P.PUBLISH_COURSE: "only managers and admins review courses",
    _P.ARCHIVE_ANY_COURSE: "only the course's owner or staff archive it",
    _P.MANAGE_CATEGORIES: "only an admin changes categories",
    _P.VIEW_ANY_COURSE: _ONLY_STAFF,
    _P.GRANT_ENROLLMENT: _ONLY_STAFF,
    _P.REVOKE_ENROLLMENT: _ONLY_STAFF,
    _P.VIEW_ANY_COURSE_STUDENTS: "only the course's instructors may do this",
    _P.MODERATE_REVIEWS: "only managers and admins moderate reviews",
    _P.VIEW_ANY_SUBMISSION: "only the course's instructors see submissions",
    _P.VIEW_ANY_QUIZ_ATTEMPT: _ONLY_STAFF,
    _P.VIEW_ANY_CERTIFICATE: _ONLY_STAFF,
    _P.VIEW_ANY_ORDER: _ONLY_ADMINS_MOVE_MONEY,
    _P.VIEW_REFUNDS: _ONLY_ADMINS_MOVE_MONEY,
    _P.VIEW_TRIAL_BALANCE: _ONLY_ADMINS_MOVE_MONEY,
    _P.REFUND_PAYMENT: _ONLY_ADMINS_MOVE_MONEY,
    _P.VIEW_ANY_WITHDRAWAL: _ONLY_ADMINS_MOVE_MONEY,
    _P.DECIDE_WITHDRAWAL: _ONLY_ADMINS_MOVE_MONEY,
    _P.WITHDRAW_EARNINGS: _ONLY_TUTORS,
    _P.OFFER_LESSONS: _ONLY_TUTORS,
    _P.VIEW_ANY_BOOKING: _ONLY_STAFF,
    _P.COMPLETE_LESSON_FOR_OTHERS: "the tutor marks a lesson completed",
    _P.REPORT_NO_SHOW_FOR_OTHERS: (
        "the tutor reports a student who did not come, the student a tutor"
    ),
    _P.MODERATE_FORUMS: "only the course's instructors and staff moderate its forum",
    _P.ANNOUNCE_TO_ANY_COURSE: "only the course's instructors and staff announce to it",
    _P.MESSAGE_ANYONE: (
        "you may message a tutor you booked or whose course you take, your students, or staff"
    ),
    _P.REVIEW_CONVERSATION_REPORTS: "only managers and admins review reported conversations",
    _P.WORK_SUPPORT_TICKETS: "only support agents (managers and admins) may do this",
    _P.VIEW_PLATFORM_ANALYTICS: _ONLY_STAFF,
    _P.RUN_REPORTS: _ONLY_STAFF,
}
# Role powers refused with their own code, so a client can tell "become a tutor" apart.
_REFUSAL_CODES: Mapping[Permission, str] = {
    _P.WITHDRAW_EARNINGS: "not-a-tutor",
    _P.OFFER_LESSONS: "not-a-tutor",
    _P.WORK_SUPPORT_TICKETS: "not-an-agent",
}


def held_only_by_staff(
    permission: Permission, grants: Mapping[Role, frozenset[Permission]]
) -> bool:
    holders = {role for role, held in grants.items() if permission in held}
    return bool(holders) and holders <= STAFF_ROLES


class Authorizer:
    """Built once from settings by the composition root and handed to every context."""

    def __init__(
        self,
        *,
        staff_two_factor_required: bool,
        grants: Mapping[Role, frozenset[Permission]] = GRANTS,
    ) -> None:
        self._grants = grants
        self._needs_second_factor = (
            frozenset(p for p in Permission if held_only_by_staff(p, grants))
            if staff_two_factor_required
            else frozenset()
        )

    def holds(self, actor: Actor, permission: Permission) -> bool:
        """Whether the actor's role carries the permission, the second factor aside: a use case
        that refuses strangers with a 404 tells a holder who still lacks it the real reason."""
        return actor.role is not None and permission in self._grants.get(actor.role, frozenset())

    def allows(self, actor: Actor, permission: Permission) -> bool:
        """For soft checks that change what is shown rather than refuse (hidden reviews,
        unpublished courses)."""
        return self.holds(actor, permission) and not self._lacks_second_factor(actor, permission)

    def authorize(
        self, actor: Actor, permission: Permission, *, otherwise: ApplicationError | None = None
    ) -> None:
        """Raises unless the actor may exercise the permission: ``otherwise`` (when given) or
        the permission's own refusal for whoever does not hold it, ``two-factor-required`` for
        staff who must sign in with a second factor first. The system actor (an operator at
        the command line, a background job) holds an admin's permissions and has no second
        factor to show."""
        if not self.holds(actor, permission):
            if otherwise is not None:
                raise otherwise
            if not actor.is_authenticated and actor.role is None:
                raise NotAuthenticated("sign in first")
            raise PermissionDenied(
                REFUSALS[permission], code=_REFUSAL_CODES.get(permission, PermissionDenied.code)
            )
        if self._lacks_second_factor(actor, permission):
            raise PermissionDenied(
                "staff must turn on two-factor sign-in first (POST /api/v1/me/2fa/setup)",
                code="two-factor-required",
            )

    def require(
        self, actor: Actor, permission: Permission, *, otherwise: ApplicationError | None = None
    ) -> UUID:
        """``authorize``, for a use case that records which person acted: the user id."""
        self.authorize(actor, permission, otherwise=otherwise)
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        return actor.user_id

    def _lacks_second_factor(self, actor: Actor, permission: Permission) -> bool:
        return (
            permission in self._needs_second_factor
            and actor.is_authenticated
            and not actor.two_factor_enabled
        )
