"""Emails that follow identity events. They run in a worker, from the outbox, never in a request."""

from __future__ import annotations

from elearn.application.mail import EmailTemplates, Mailer
from elearn.domain.identity.user import UserRegistered
from elearn.domain.shared.events import DomainEvent


class SendWelcomeEmail:
    """A newly registered user gets a welcome email with a link to sign in."""

    def __init__(
        self, mailer: Mailer, templates: EmailTemplates, *, app_name: str, public_url: str
    ):
        self._mailer = mailer
        self._templates = templates
        self._app_name = app_name
        self._login_url = public_url.rstrip("/") + "/login"

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, UserRegistered)
        message = self._templates.render(
            "welcome",
            {
                "full_name": event.full_name,
                "app_name": self._app_name,
                "login_url": self._login_url,
            },
            to=[event.email],
        )
        await self._mailer.send(message)
