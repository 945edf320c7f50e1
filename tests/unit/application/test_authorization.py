"""The authorizer against a table written out here by hand: every permission, for every kind of
actor, with and without a second factor, with the platform's staff two-factor rule on and off."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from uuid import UUID

import pytest

from elearn.application.actor import Actor
from elearn.application.authorization import GRANTS, REFUSALS, Authorizer, Permission
from elearn.application.errors import NotAuthenticated, PermissionDenied
from elearn.domain.identity.roles import Role

APPLICATION = Path(__file__).parents[3] / "src" / "elearn" / "application"

# Who holds each power, decided from what the use cases did before there was an authorizer.
STAFF = "manager and admin"
ADMIN = "admin only"
TUTOR = "tutors only"
EXPECTED_HOLDERS: dict[str, str] = {
    "review_tutor_applications": STAFF,
    "view_users": STAFF,
    "manage_users": ADMIN,
    "create_accounts": ADMIN,
    "view_audit_log": STAFF,
    "manage_institutions": STAFF,
    "export_personal_data": ADMIN,
    "erase_personal_data": ADMIN,
    "approve_course": STAFF,
    "publish_course": STAFF,
    "archive_any_course": STAFF,
    "manage_categories": ADMIN,
    "view_any_course": STAFF,
    "grant_enrollment": STAFF,
    "revoke_enrollment": STAFF,
    "view_any_course_students": STAFF,
    "moderate_reviews": STAFF,
    "view_any_submission": STAFF,
    "view_any_quiz_attempt": STAFF,
    "view_any_certificate": STAFF,
    "view_any_order": ADMIN,
    "view_refunds": ADMIN,
    "view_trial_balance": ADMIN,
    "refund_payment": ADMIN,
    "view_any_withdrawal": ADMIN,
    "decide_withdrawal": ADMIN,
    "withdraw_earnings": TUTOR,
    "offer_lessons": TUTOR,
    "view_any_booking": STAFF,
    "complete_lesson_for_others": STAFF,
    "report_no_show_for_others": STAFF,
    "moderate_forums": STAFF,
    "announce_to_any_course": STAFF,
    "message_anyone": STAFF,
    "review_conversation_reports": STAFF,
    "work_support_tickets": STAFF,
    "view_platform_analytics": STAFF,
    "run_reports": STAFF,
}
# Refused with a code of their own, so a client can tell what the caller is not.
OWN_REFUSAL_CODES = {"work_support_tickets": "not-an-agent"}

PERSON = UUID(int=42)
ACTORS: dict[str, Actor] = {
    "anonymous": Actor.anonymous(),
    "student": Actor(user_id=PERSON, role=Role.STUDENT, email_verified=True),
    "tutor": Actor(user_id=PERSON, role=Role.TUTOR, email_verified=True),
    "manager": Actor(user_id=PERSON, role=Role.MANAGER, email_verified=True),
    "admin": Actor(user_id=PERSON, role=Role.ADMIN, email_verified=True),
    "system": Actor.system(),
}

OK = "ok"


def expected_outcome(
    permission: str, actor: str, *, second_factor: bool, staff_second_factor_required: bool
) -> str:
    """What ``require`` does: OK (the person's id) or the code of the error it raises."""
    holders = EXPECTED_HOLDERS[permission]
    held = {
        STAFF: actor in ("manager", "admin", "system"),
        ADMIN: actor in ("admin", "system"),
        TUTOR: actor == "tutor",
    }[holders]
    if actor == "anonymous":
        return "not-authenticated"
    if not held:
        if holders == TUTOR:
            return "not-a-tutor"
        return OWN_REFUSAL_CODES.get(permission, "permission-denied")
    if holders != TUTOR and staff_second_factor_required and not second_factor:
        if actor != "system":  # an operator at the command line has no second factor to show
            return "two-factor-required"
    if actor == "system":  # holds the power, but is not a person whose id could be recorded
        return "not-authenticated"
    return OK


def outcome_of(authorizer: Authorizer, actor: Actor, permission: Permission) -> str:
    try:
        assert authorizer.require(actor, permission) == actor.user_id
    except (NotAuthenticated, PermissionDenied) as refused:
        return refused.code
    return OK


CASES = [
    pytest.param(
        permission,
        actor,
        second_factor,
        required,
        id=f"{permission.value}-{actor}-{'2fa' if second_factor else 'no2fa'}"
        f"-{'required' if required else 'optional'}",
    )
    for permission in Permission
    for actor in ACTORS
    for second_factor in (False, True)
    for required in (False, True)
]


@pytest.mark.parametrize(("permission", "actor_name", "second_factor", "required"), CASES)
def test_every_permission_for_every_actor_with_and_without_a_second_factor(
    permission: Permission, actor_name: str, second_factor: bool, required: bool
) -> None:
    authorizer = Authorizer(staff_two_factor_required=required)
    actor = dataclasses.replace(ACTORS[actor_name], two_factor_enabled=second_factor)
    expected = expected_outcome(
        permission.value,
        actor_name,
        second_factor=second_factor,
        staff_second_factor_required=required,
    )

    assert outcome_of(authorizer, actor, permission) == expected
    # A soft check lets through exactly whom ``require`` lets through; the system actor, who
    # has no id to return, is let through by ``allows`` and ``authorize``.
    exercised = expected == OK or (actor_name == "system" and expected == "not-authenticated")
    assert authorizer.allows(actor, permission) is exercised
    if exercised:
        authorizer.authorize(actor, permission)
    else:
        with pytest.raises((NotAuthenticated, PermissionDenied)):
            authorizer.authorize(actor, permission)


def test_the_expected_table_names_every_permission_and_nothing_else() -> None:
    assert set(EXPECTED_HOLDERS) == {permission.value for permission in Permission}


def test_every_permission_is_held_by_some_role_and_refused_in_words() -> None:
    granted = set().union(*GRANTS.values())
    assert granted == set(Permission)
    assert set(REFUSALS) == set(Permission)
    assert set(GRANTS) == set(Role)


def test_every_permission_is_checked_by_some_use_case() -> None:
    used: set[str] = set()
    for module in APPLICATION.rglob("*.py"):
        if module.name != "authorization.py":
            used.update(re.findall(r"Permission\.([A-Z_]+)", module.read_text()))
    assert used == {permission.name for permission in Permission}


def test_whoever_does_not_hold_a_power_gets_the_use_cases_own_refusal_when_it_gives_one() -> None:
    authorizer = Authorizer(staff_two_factor_required=True)
    hidden = PermissionDenied("there is no such booking", code="booking-not-found")
    for name in ("anonymous", "student", "tutor"):
        with pytest.raises(PermissionDenied) as refused:
            authorizer.authorize(ACTORS[name], Permission.VIEW_ANY_BOOKING, otherwise=hidden)
        assert refused.value is hidden
    # A holder who lacks the second factor is told so, not the use case's refusal.
    with pytest.raises(PermissionDenied) as refused:
        authorizer.authorize(ACTORS["manager"], Permission.VIEW_ANY_BOOKING, otherwise=hidden)
    assert refused.value.code == "two-factor-required"


def test_role_powers_are_refused_to_others_as_before() -> None:
    authorizer = Authorizer(staff_two_factor_required=False)
    with pytest.raises(PermissionDenied) as refused:
        authorizer.require(ACTORS["student"], Permission.OFFER_LESSONS)
    assert (refused.value.code, refused.value.message) == ("not-a-tutor", "only tutors may do this")
    with pytest.raises(PermissionDenied) as refused:
        authorizer.require(ACTORS["manager"], Permission.REFUND_PAYMENT)
    assert refused.value.message == "only admins may move money"
