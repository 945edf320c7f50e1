"""Identity as a module: accounts, sessions, tutor applications and profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.identity_personal_data import IdentityPersonalData
from elearn.adapters.persistence.identity_reports import identity_reports
from elearn.adapters.persistence.models import identity as identity_tables
from elearn.adapters.persistence.repositories import (
    SqlaInstitutionRepository,
    SqlaOneTimeTokenRepository,
    SqlaProfileRepository,
    SqlaRefreshFamilyRepository,
    SqlaTutorApplicationRepository,
    SqlaUserRepository,
)
from elearn.adapters.persistence.unit_of_work import AroundCommit, StoreDeclaration
from elearn.application.identity.notifications import (
    SendAccountExistsEmail,
    SendOneTimeLink,
    SendTutorDecisionEmail,
    SendWelcomeEmail,
)
from elearn.domain.identity.tokens import TokenPurpose
from elearn.domain.identity.user import (
    EmailVerificationRequested,
    PasswordResetRequested,
    RegistrationOfTakenAddressAttempted,
    TutorApplicationDecided,
    UserRegistered,
)
from elearn.entrypoints.identity import IdentityUseCases, build_identity_deps, identity_policy
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> IdentityUseCases:
    return IdentityUseCases(build_identity_deps(container, container.redis))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.identity.account_routes import MeController, TutorsController
    from elearn.entrypoints.http.identity.admin_routes import AdminController
    from elearn.entrypoints.http.identity.auth_routes import AuthController
    from elearn.entrypoints.http.identity.institution_routes import (
        AdminInstitutionsController,
        InstitutionsController,
    )

    return (
        AuthController,
        MeController,
        TutorsController,
        AdminController,
        InstitutionsController,
        AdminInstitutionsController,
    )


def _subscriptions(c: Container) -> dict[str, Subscription]:
    settings = c.settings
    deps = c.identity.deps
    return {
        "identity.send_welcome_email": Subscription(
            UserRegistered.event_type,
            SendWelcomeEmail(
                c.mailer, c.templates, app_name=settings.app_name, links=settings.front_end
            ),
        ),
        "identity.send_verification_email": Subscription(
            EmailVerificationRequested.event_type,
            SendOneTimeLink(deps, c.mailer, c.templates, TokenPurpose.VERIFY_EMAIL),
        ),
        "identity.send_password_reset_email": Subscription(
            PasswordResetRequested.event_type,
            SendOneTimeLink(deps, c.mailer, c.templates, TokenPurpose.RESET_PASSWORD),
        ),
        "identity.send_account_exists_email": Subscription(
            RegistrationOfTakenAddressAttempted.event_type,
            SendAccountExistsEmail(deps, c.mailer, c.templates),
        ),
        "identity.send_tutor_decision_email": Subscription(
            TutorApplicationDecided.event_type,
            SendTutorDecisionEmail(deps, c.personal_mailer(), c.templates),
        ),
    }


def _account_changes_told_around_commit(container: Container) -> AroundCommit:
    """Every process's cached session facts of an account the transaction changed are void,
    from just before the commit (nothing read from then on is kept past it) and again just
    after it (nothing read between the two is kept either)."""
    revocations = container.identity.deps.revoked_tokens

    async def around_commit(stores: Mapping[str, Any]) -> None:
        users = stores.get("users")
        if users is not None and users.session_facts_changed:
            await revocations.accounts_changed([user.hex for user in users.session_facts_changed])

    return around_commit


MODULE = Module(
    name="identity",
    use_cases=_use_cases,
    policy=identity_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    stores=(
        StoreDeclaration("users", SqlaUserRepository),
        StoreDeclaration("tutor_applications", SqlaTutorApplicationRepository),
        StoreDeclaration("one_time_tokens", SqlaOneTimeTokenRepository),
        StoreDeclaration("refresh_families", SqlaRefreshFamilyRepository),
        StoreDeclaration("profiles", SqlaProfileRepository, trackers=lambda store: ()),
        StoreDeclaration("institutions", SqlaInstitutionRepository),
    ),
    around_commit=_account_changes_told_around_commit,
    constraint_errors=identity_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: IdentityPersonalData(c.clock),
    report_sources=lambda c: identity_reports(),
    tables=identity_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "identity",
)
