"""Checks on who is asking that every context makes the same way."""

from __future__ import annotations

from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated, PermissionDenied
from elearn.domain.identity.roles import Role


def require_signed_in(actor: Actor) -> UUID:
    if actor.user_id is None:
        raise NotAuthenticated("sign in first")
    return actor.user_id


def require_staff(actor: Actor, *, two_factor_required: bool) -> UUID:
    """A manager or an admin; with ``two_factor_required``, one who signs in with a second
    factor, since staff powers are what an attacker with a stolen password wants most."""
    user_id = require_signed_in(actor)
    if not actor.is_staff:
        raise PermissionDenied("only staff may do this")
    if two_factor_required and not actor.two_factor_enabled:
        raise PermissionDenied(
            "staff must turn on two-factor sign-in first (POST /api/v1/me/2fa/setup)",
            code="two-factor-required",
        )
    return user_id


def require_tutor(actor: Actor) -> UUID:
    """A signed-in tutor: availability, earnings and withdrawals are theirs alone."""
    user_id = require_signed_in(actor)
    if actor.role is not Role.TUTOR:
        raise PermissionDenied("only tutors may do this", code="not-a-tutor")
    return user_id
