"""The one check on who is asking that needs no permission: that they signed in. Powers
beyond one's own objects are the authorizer's (``application.authorization``)."""

from __future__ import annotations

from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated


def require_signed_in(actor: Actor) -> UUID:
    if actor.user_id is None:
        raise NotAuthenticated("sign in first")
    return actor.user_id
