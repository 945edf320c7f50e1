"""/api/v1/auth: registration, verification, sessions and passwords."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from elearn.application.identity.account import AccountView
from elearn.application.identity.passwords import (
    ChangePasswordCommand,
    ForgotPasswordCommand,
    ResetPasswordCommand,
)
from elearn.application.identity.registration import (
    RegisteredAccount,
    RegisterStudentCommand,
    RegisterTutorCommand,
    ResendVerificationCommand,
    VerifyEmailCommand,
)
from elearn.application.identity.sessions import (
    LoginCommand,
    LogoutCommand,
    RefreshCommand,
    Session,
)
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import (
    Email,
    FullName,
    OneTimeCode,
    OpaqueToken,
    Password,
    RequestBody,
    upload_of,
)
from elearn.entrypoints.identity import Identity


class RegisterStudentBody(RequestBody):
    email: Email
    password: Password
    full_name: FullName


class RegisteredOut(msgspec.Struct):
    user_id: str
    email: str
    role: str
    tutor_approval: str | None


def _registered(account: RegisteredAccount) -> RegisteredOut:
    return RegisteredOut(
        str(account.user_id), account.email, account.role.value, account.tutor_approval
    )


class RegisterTutorForm(msgspec.Struct, kw_only=True):
    email: Email
    password: Password
    full_name: FullName
    headline: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    subjects: Annotated[
        str, msgspec.Meta(min_length=1, max_length=1000, description="comma-separated")
    ]
    cv: UploadFile
    certificate: UploadFile


class TokenBody(RequestBody):
    token: OpaqueToken


class EmailBody(RequestBody):
    email: Email


class LoginBody(RequestBody):
    email: Email
    password: Password
    otp: OneTimeCode | None = None


class RefreshBody(RequestBody):
    refresh_token: OpaqueToken


class ResetPasswordBody(RequestBody):
    token: OpaqueToken
    new_password: Password


class ChangePasswordBody(RequestBody):
    current_password: Password
    new_password: Password


class SessionOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def _session(session: Session) -> SessionOut:
    return SessionOut(
        session.access_token, session.refresh_token, session.token_type, session.expires_in
    )


class SignedInOut(msgspec.Struct):
    """A new session and the account it belongs to, as `GET /me` shows it."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: AccountView


class Accepted(msgspec.Struct):
    status: str = "accepted"


def subjects_of(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class AuthController(Controller):
    path = "/auth"
    tags = ["identity"]

    @post("/register/student", operation_id="register_student", summary="Open a student account")
    async def register_student(
        self,
        data: JSONBody[RegisterStudentBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> RegisteredOut:
        """Anyone may open a student account with an unused email address; it can be used at
        once, and a verification link is emailed. A taken address answers 409."""
        command = RegisterStudentCommand(data.email, data.password, data.full_name)
        return _registered(await identity.register_student(actor, command))

    @post(
        "/register/tutor",
        operation_id="register_tutor",
        summary="Open a tutor account (pending approval)",
        request_max_body_size=32 * 1024 * 1024,
    )
    async def register_tutor(
        self,
        data: Annotated[RegisterTutorForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        identity: Identity,
    ) -> RegisteredOut:
        """A tutor signs up with a CV and a certificate (PDF or image); the account can sign in
        at once but teaches only after staff approve it."""
        command = RegisterTutorCommand(
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            headline=data.headline,
            subjects=subjects_of(data.subjects),
            cv=upload_of(data.cv),
            certificate=upload_of(data.certificate),
        )
        return _registered(await identity.register_tutor(actor, command))

    @post(
        "/verify-email",
        operation_id="verify_email",
        summary="Confirm an email address",
        status_code=204,
    )
    async def verify_email(
        self,
        data: JSONBody[TokenBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> None:
        """The token from the emailed link proves the address; it works once, within 10 minutes
        (configurable), and only the newest link sent works."""
        await identity.verify_email(actor, VerifyEmailCommand(data.token))

    @post(
        "/verify-email/resend",
        operation_id="resend_verification",
        summary="Send the link again",
        status_code=202,
    )
    async def resend_verification(
        self,
        data: JSONBody[EmailBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> Accepted:
        """Always 202, whether or not the address has an account."""
        await identity.resend_verification(actor, ResendVerificationCommand(data.email))
        return Accepted()

    @post("/login", operation_id="login", summary="Sign in", status_code=200)
    async def login(
        self,
        data: JSONBody[LoginBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> SignedInOut:
        """Email and password (and `otp` when two-factor sign-in is on) give an access token,
        a refresh token and your account (`user`, as `GET /me` answers it). Every failure
        answers the same 401."""
        session = await identity.login(actor, LoginCommand(data.email, data.password, data.otp))
        signed_in_actor = await identity.authenticate(
            session.access_token, ip=actor.ip, user_agent=actor.user_agent
        )
        return SignedInOut(
            session.access_token,
            session.refresh_token,
            session.token_type,
            session.expires_in,
            user=await identity.get_account(signed_in_actor),
        )

    @post(
        "/refresh",
        operation_id="refresh_session",
        summary="Rotate the refresh token",
        status_code=200,
    )
    async def refresh(
        self,
        data: JSONBody[RefreshBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> SessionOut:
        """A refresh token buys a new pair once; reusing an old one ends the whole session."""
        return _session(await identity.refresh(actor, RefreshCommand(data.refresh_token)))

    @post("/logout", operation_id="logout", summary="Sign out", status_code=204)
    async def logout(
        self,
        data: JSONBody[RefreshBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> None:
        """Ends the refresh token's session and refuses the access token used to ask."""
        await identity.logout(actor, LogoutCommand(data.refresh_token))

    @post(
        "/password/forgot",
        operation_id="forgot_password",
        summary="Email a reset link",
        status_code=202,
    )
    async def forgot_password(
        self,
        data: JSONBody[EmailBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> Accepted:
        """Always 202, whether or not the address has an account."""
        await identity.forgot_password(actor, ForgotPasswordCommand(data.email))
        return Accepted()

    @post(
        "/password/reset",
        operation_id="reset_password",
        summary="Set a new password from a reset link",
        status_code=204,
    )
    async def reset_password(
        self,
        data: JSONBody[ResetPasswordBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> None:
        """A valid reset token sets the new password and ends every session of the account."""
        await identity.reset_password(actor, ResetPasswordCommand(data.token, data.new_password))

    @post(
        "/password/change",
        operation_id="change_password",
        summary="Change your password",
        guards=[signed_in],
        status_code=200,
    )
    async def change_password(
        self,
        data: JSONBody[ChangePasswordBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> SessionOut:
        """With the current password, sets a new one; other sessions end and a new one starts."""
        command = ChangePasswordCommand(data.current_password, data.new_password)
        return _session(await identity.change_password(actor, command))
