"""Who is asking: every use case receives an ``Actor`` and checks it against the object."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.domain.identity.roles import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller, as authenticated for this request, with where the request came from (for
    rate limits and the audit log). ``email_verified`` and ``role`` are the account's as it
    stands (``SessionAccounts``: kept per process, void on every change), never a token's."""

    user_id: UUID | None
    role: Role | None
    email_verified: bool = False
    ip: str | None = None
    user_agent: str | None = None
    session_id: UUID | None = None  # the sign-in (refresh family) the access token is of
    two_factor_enabled: bool = False

    @classmethod
    def anonymous(cls, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls(user_id=None, role=None, ip=ip, user_agent=user_agent)

    @classmethod
    def system(cls) -> Actor:
        """An operator at the command line or a background job acting for the platform."""
        return cls(user_id=None, role=Role.ADMIN, email_verified=True)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None
