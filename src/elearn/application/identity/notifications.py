"""Emails that follow identity events. They run in a worker, from the outbox, never in a request."""

from __future__ import annotations

from elearn.application.identity.api import recipient_of
from elearn.application.identity.deps import IdentityDeps
from elearn.application.links import FrontEndLinks
from elearn.application.mail import EmailTemplates, MailAbout, Mailer, PersonalMailer
from elearn.domain.identity.tokens import OneTimeToken, TokenPurpose
from elearn.domain.identity.user import (
    EmailVerificationRequested,
    PasswordResetRequested,
    RegistrationOfTakenAddressAttempted,
    TutorApplicationDecided,
    UserRegistered,
)
from elearn.domain.shared.events import DomainEvent


class SendWelcomeEmail:
    """A newly registered user gets a welcome email with a link to sign in."""

    def __init__(
        self, mailer: Mailer, templates: EmailTemplates, *, app_name: str, links: FrontEndLinks
    ):
        self._mailer = mailer
        self._templates = templates
        self._app_name = app_name
        self._login_url = links.login()

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, UserRegistered)
        context = {
            "full_name": event.full_name,
            "role": event.role.value,
            "app_name": self._app_name,
            "login_url": self._login_url,
        }
        await self._mailer.send(self._templates.render("welcome", context, to=[event.email]))


class SendOneTimeLink:
    """Issues a fresh single-use token for the event's purpose (superseding older ones) and
    emails its link. The token is created here, in the worker, so it never sits in the outbox;
    a redelivery sends a new link that replaces the first."""

    _TEMPLATE = {
        TokenPurpose.VERIFY_EMAIL: "verify_email",
        TokenPurpose.RESET_PASSWORD: "password_reset",
    }
    _URL_NAME = {TokenPurpose.VERIFY_EMAIL: "verify_url", TokenPurpose.RESET_PASSWORD: "reset_url"}

    def __init__(
        self, deps: IdentityDeps, mailer: Mailer, templates: EmailTemplates, purpose: TokenPurpose
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates
        self._purpose = purpose

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, EmailVerificationRequested | PasswordResetRequested)
        deps = self._deps
        now = deps.clock.now()
        secret = deps.secrets.new()
        async with deps.uow() as uow:
            user = await uow.users.get(event.user_id)
            if user is None or not user.is_active:
                return
            if self._purpose is TokenPurpose.VERIFY_EMAIL and user.is_email_verified:
                return
            for older in await uow.one_time_tokens.open_for(user.id, self._purpose):
                older.supersede(now)
            language = (await recipient_of(uow, user)).language
            await uow.one_time_tokens.add(
                OneTimeToken.issue(
                    token_id=deps.ids.new_id(),
                    user_id=user.id,
                    purpose=self._purpose,
                    token_hash=deps.secrets.hash(secret),
                    now=now,
                    ttl=deps.one_time_token_ttl,
                )
            )
            await uow.commit()
        links = deps.policy.links
        link = (
            links.verify_email(secret)
            if self._purpose is TokenPurpose.VERIFY_EMAIL
            else links.reset_password(secret)
        )
        context = {
            "full_name": user.full_name,
            "app_name": deps.policy.app_name,
            self._URL_NAME[self._purpose]: link,
            "expires_minutes": deps.policy.one_time_token_minutes,
        }
        message = self._templates.render(
            self._TEMPLATE[self._purpose], context, to=[user.email.value], language=language
        )
        await self._mailer.send(message)


class SendTutorDecisionEmail:
    """The applicant hears the staff decision either way, with the reason when rejected (by
    email as their preferences for account news say)."""

    def __init__(
        self, deps: IdentityDeps, mailer: PersonalMailer, templates: EmailTemplates
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, TutorApplicationDecided)
        policy = self._deps.policy
        async with self._deps.uow(read_only=True) as uow:
            user = await uow.users.get(event.user_id)
            language = (await recipient_of(uow, user)).language if user else None
        context: dict[str, object] = {"full_name": event.full_name, "app_name": policy.app_name}
        if event.approved:
            context["login_url"] = policy.links.login()
            template = "tutor_approved"
        else:
            context["reason"] = event.reason or ""
            template = "tutor_rejected"
        await self._mailer.send(
            self._templates.render(template, context, to=[event.email], language=language),
            MailAbout(event.user_id, "account", str(event.event_id)),
        )


class SendAccountExistsEmail:
    """The owner of an address someone tried to register again hears of it, with where to sign
    in (or ask for a new password); the one who tried learns nothing."""

    def __init__(self, deps: IdentityDeps, mailer: Mailer, templates: EmailTemplates) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, RegistrationOfTakenAddressAttempted)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            user = await uow.users.get(event.user_id)
            if user is None or not user.is_active:
                return
            language = (await recipient_of(uow, user)).language
        context = {
            "full_name": user.full_name,
            "app_name": deps.policy.app_name,
            "login_url": deps.policy.links.login(),
        }
        await self._mailer.send(
            self._templates.render(
                "account_exists", context, to=[user.email.value], language=language
            )
        )
