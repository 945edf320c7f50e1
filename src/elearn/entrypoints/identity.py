"""Identity's part of the composition root: its adapters from settings, and its use cases."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.institution_queries import SqlaInstitutionQueries
from elearn.adapters.persistence.queries import SqlaIdentityQueries
from elearn.adapters.security.applicant_document_links import HmacApplicantDocumentLinks
from elearn.adapters.security.common_passwords import load_common_passwords
from elearn.adapters.security.deny_list import InMemoryRevokedAccessTokens, RedisRevokedAccessTokens
from elearn.adapters.security.device_tokens import HmacDeviceTokens
from elearn.adapters.security.jwt_tokens import JwtAccessTokens
from elearn.adapters.security.rate_limits import InMemoryRateLimiter, RedisRateLimiter
from elearn.adapters.security.reference_data import BabelReferenceData
from elearn.adapters.security.secrets import RandomSecretTokens
from elearn.adapters.security.totp import PyotpTotpService
from elearn.application.identity import (
    account,
    accounts,
    admin,
    applicant_documents,
    institutions,
    passwords,
    registration,
    sessions,
    two_factor,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import IdentityPolicy
from elearn.application.identity.session_accounts import SessionAccounts
from elearn.entrypoints.catalog import image_url
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from elearn.entrypoints.bootstrap import Container


def identity_policy(settings: Settings) -> IdentityPolicy:
    return IdentityPolicy(
        one_time_token_minutes=settings.one_time_token_minutes,
        access_token_seconds=settings.jwt_access_ttl_seconds,
        refresh_absolute_days=max(1, settings.jwt_refresh_ttl_seconds // 86_400),
        refresh_idle_days=settings.refresh_idle_days,
        login_attempts_per_ip=settings.login_attempts_per_ip,
        login_attempts_per_account=settings.login_attempts_per_account,
        login_attempts_per_device=settings.login_attempts_per_device,
        login_device_days=settings.login_device_days,
        login_device_cookie_secure=settings.public_url.startswith("https://"),
        login_window_seconds=settings.login_window_seconds,
        emails_per_account=settings.emails_per_account_per_hour,
        email_window_seconds=3600,
        app_name=settings.app_name,
        links=settings.front_end,
        document_link_seconds=settings.media_url_seconds,
    )


def build_identity_deps(container: Container, redis: Redis | None) -> IdentityDeps:
    settings = container.settings
    return IdentityDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        hasher=container.hasher,
        secrets=RandomSecretTokens(),
        access_tokens=JwtAccessTokens(
            settings.jwt_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.jwt_access_ttl_seconds,
            previous_secrets=settings.jwt_previous_secrets,
        ),
        revoked_tokens=RedisRevokedAccessTokens(redis, clock=container.clock)
        if redis
        else InMemoryRevokedAccessTokens(container.clock),
        rate_limiter=RedisRateLimiter(redis) if redis else InMemoryRateLimiter(),
        device_tokens=HmacDeviceTokens(
            settings.jwt_secret, lifetime=timedelta(days=settings.login_device_days)
        ),
        totp=PyotpTotpService(),
        reference=BabelReferenceData(),
        common_passwords=load_common_passwords(),
        storage=container.storage,
        image_url=image_url,
        queries=SqlaIdentityQueries(container.sessions),
        institutions=SqlaInstitutionQueries(container.sessions),
        policy=identity_policy(settings),
        authorizer=container.authorizer,
        document_links=HmacApplicantDocumentLinks(
            settings.media_signing_key or settings.jwt_secret
        ),
    )


class IdentityUseCases:
    """Every identity use case, built on first use from one set of dependencies."""

    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps

    @cached_property
    def session_accounts(self) -> SessionAccounts:
        """This process's cache of the account facts every authenticated request needs."""
        return SessionAccounts(self.deps.queries.session_account, self.deps.clock)

    @cached_property
    def authenticate(self) -> sessions.Authenticate:
        return sessions.Authenticate(self.deps, self.session_accounts)

    @cached_property
    def actor_of_session(self) -> sessions.ActorOfSession:
        return sessions.ActorOfSession(self.deps)

    @cached_property
    def register_student(self) -> registration.RegisterStudent:
        return registration.RegisterStudent(self.deps)

    @cached_property
    def register_tutor(self) -> registration.RegisterTutor:
        return registration.RegisterTutor(self.deps)

    @cached_property
    def verify_email(self) -> registration.VerifyEmail:
        return registration.VerifyEmail(self.deps)

    @cached_property
    def resend_verification(self) -> registration.ResendVerification:
        return registration.ResendVerification(self.deps)

    @cached_property
    def login(self) -> sessions.Login:
        return sessions.Login(self.deps)

    @cached_property
    def refresh(self) -> sessions.RefreshSession:
        return sessions.RefreshSession(self.deps)

    @cached_property
    def logout(self) -> sessions.Logout:
        return sessions.Logout(self.deps)

    @cached_property
    def forgot_password(self) -> passwords.ForgotPassword:
        return passwords.ForgotPassword(self.deps)

    @cached_property
    def reset_password(self) -> passwords.ResetPassword:
        return passwords.ResetPassword(self.deps)

    @cached_property
    def change_password(self) -> passwords.ChangePassword:
        return passwords.ChangePassword(self.deps)

    @cached_property
    def get_account(self) -> account.GetMyAccount:
        return account.GetMyAccount(self.deps)

    @cached_property
    def update_account(self) -> account.UpdateMyAccount:
        return account.UpdateMyAccount(self.deps)

    @cached_property
    def set_avatar(self) -> account.SetMyAvatar:
        return account.SetMyAvatar(self.deps)

    @cached_property
    def apply_as_tutor(self) -> account.ApplyAsTutor:
        return account.ApplyAsTutor(self.deps)

    @cached_property
    def set_up_two_factor(self) -> two_factor.SetUpTwoFactor:
        return two_factor.SetUpTwoFactor(self.deps)

    @cached_property
    def confirm_two_factor(self) -> two_factor.ConfirmTwoFactor:
        return two_factor.ConfirmTwoFactor(self.deps)

    @cached_property
    def disable_two_factor(self) -> two_factor.DisableTwoFactor:
        return two_factor.DisableTwoFactor(self.deps)

    @cached_property
    def public_tutor(self) -> admin.GetPublicTutor:
        return admin.GetPublicTutor(self.deps)

    @cached_property
    def open_applicant_document(self) -> applicant_documents.OpenApplicantDocument:
        return applicant_documents.OpenApplicantDocument(self.deps)

    @cached_property
    def list_tutor_applications(self) -> admin.ListTutorApplications:
        return admin.ListTutorApplications(self.deps)

    @cached_property
    def approve_tutor(self) -> admin.ApproveTutor:
        return admin.ApproveTutor(self.deps)

    @cached_property
    def reject_tutor(self) -> admin.RejectTutor:
        return admin.RejectTutor(self.deps)

    @cached_property
    def list_users(self) -> admin.ListUsers:
        return admin.ListUsers(self.deps)

    @cached_property
    def update_user(self) -> admin.UpdateUser:
        return admin.UpdateUser(self.deps)

    @cached_property
    def read_audit_log(self) -> admin.ReadAuditLog:
        return admin.ReadAuditLog(self.deps)

    @cached_property
    def create_institution(self) -> institutions.CreateInstitution:
        return institutions.CreateInstitution(self.deps)

    @cached_property
    def update_institution(self) -> institutions.UpdateInstitution:
        return institutions.UpdateInstitution(self.deps)

    @cached_property
    def list_institutions(self) -> institutions.ListInstitutions:
        return institutions.ListInstitutions(self.deps)

    @cached_property
    def search_institutions(self) -> institutions.SearchInstitutions:
        return institutions.SearchInstitutions(self.deps)

    @cached_property
    def create_account(self) -> accounts.CreateAccountByOperator:
        deps = self.deps
        return accounts.CreateAccountByOperator(
            deps.uow, deps.hasher, deps.clock, deps.ids, deps.common_passwords, deps.authorizer
        )


# Identity's use cases, as a route parameter: ``identity: Identity``.
Identity: TypeAlias = NamedDependency[IdentityUseCases]
