"""/api/v1/auth: registration, verification, sessions and passwords."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, post
from litestar.datastructures import Cookie, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, CookieParameter, JSONBody

from elearn.application.identity.account import AccountView
from elearn.application.identity.passwords import (
    ChangePasswordCommand,
    ForgotPasswordCommand,
    ResetPasswordCommand,
)
from elearn.application.identity.ports import IdentityPolicy
from elearn.application.identity.registration import (
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
from elearn.entrypoints.http.docs import RequestExample, request_examples
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.identity import Identity


class RegisterStudentBody(RequestBody):
    email: Email
    password: Password
    full_name: FullName


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


DEVICE_COOKIE = "elearn_device"
DeviceToken = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        description="the device token a sign-in on this device answered (or its cookie)",
    ),
]


class LoginBody(RequestBody):
    email: Email
    password: Password
    otp: OneTimeCode | None = None
    device_token: DeviceToken | None = None


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


def _device_cookie(token: str, policy: IdentityPolicy) -> Cookie:
    """HttpOnly (no script reads it), SameSite=Strict and sent back to the sign-in route only;
    Secure when the API is served over https."""
    return Cookie(
        key=DEVICE_COOKIE,
        value=token,
        max_age=policy.login_device_days * 86_400,
        path="/api/v1/auth/login",
        httponly=True,
        samesite="strict",
        secure=policy.login_device_cookie_secure,
    )


class SignedInOut(msgspec.Struct):
    """A new session and the account it belongs to, as `GET /me` shows it."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: AccountView
    # Keep it (or its cookie) and send it when signing in again (see the login route).
    device_token: str | None = None


class Accepted(msgspec.Struct):
    status: str = "accepted"


def subjects_of(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class AuthController(Controller):
    path = "/auth"
    tags = ["identity"]

    @problems(
        "weak-password",
        "invalid-email",
        "invalid-full-name",
        "rate-limited",
    )
    @request_examples(
        ada=RequestExample(
            "A new student",
            {
                "email": "ada@example.com",
                "password": "violet-harbour-teapot-42",
                "full_name": "Ada Lovelace",
            },
        )
    )
    @post(
        "/register/student",
        operation_id="register_student",
        summary="Open a student account",
        status_code=202,
    )
    async def register_student(
        self,
        data: JSONBody[RegisterStudentBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> Accepted:
        """Anyone may open a student account with an unused email address; it can be used at
        once, and a verification link is emailed. Always 202 with the same body: a taken
        address creates nothing and its owner is emailed instead, so the answer does not tell
        who has an account."""
        command = RegisterStudentCommand(data.email, data.password, data.full_name)
        await identity.register_student(actor, command)
        return Accepted()

    @problems(
        "empty-file",
        "invalid-input",
        "weak-password",
        "invalid-email",
        "invalid-full-name",
        "rate-limited",
    )
    @post(
        "/register/tutor",
        operation_id="register_tutor",
        summary="Open a tutor account (pending approval)",
        request_max_body_size=32 * 1024 * 1024,
        status_code=202,
    )
    async def register_tutor(
        self,
        data: Annotated[RegisterTutorForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        identity: Identity,
    ) -> Accepted:
        """A tutor signs up with a CV and a certificate (PDF or image); the account can sign in
        at once but teaches only after staff approve it. Always 202 with the same body, like
        student registration: a taken address keeps no upload and its owner is emailed."""
        command = RegisterTutorCommand(
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            headline=data.headline,
            subjects=subjects_of(data.subjects),
            cv=upload_of(data.cv),
            certificate=upload_of(data.certificate),
        )
        await identity.register_tutor(actor, command)
        return Accepted()

    @problems("invalid-token")
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

    @problems("rate-limited")
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

    @problems("invalid-credentials", "otp-required", "rate-limited")
    @request_examples(
        ada=RequestExample(
            "Email and password",
            {"email": "ada@example.com", "password": "violet-harbour-teapot-42"},
        )
    )
    @post("/login", operation_id="login", summary="Sign in", status_code=200)
    async def login(
        self,
        data: JSONBody[LoginBody],
        actor: CurrentActor,
        identity: Identity,
        device_cookie: Annotated[
            str | None,
            CookieParameter(name=DEVICE_COOKIE, max_length=200, description="the device token"),
        ] = None,
    ) -> Response[SignedInOut]:
        """Email and password (and `otp` when two-factor sign-in is on) give an access token,
        a refresh token, your account (`user`, as `GET /me` answers it) and a device token
        (also set as the HttpOnly cookie `elearn_device`). Send the device token back on later
        sign-ins (the cookie does it in a browser): wrong passwords from devices without one
        are limited per account, so strangers cannot lock a known device out. Every failure
        answers the same 401; too many answer 429."""
        command = LoginCommand(
            data.email, data.password, data.otp, data.device_token or device_cookie
        )
        session = await identity.login(actor, command)
        signed_in_actor = await identity.authenticate(
            session.access_token, ip=actor.ip, user_agent=actor.user_agent
        )
        answer = SignedInOut(
            session.access_token,
            session.refresh_token,
            session.token_type,
            session.expires_in,
            user=await identity.get_account(signed_in_actor),
            device_token=session.device_token,
        )
        cookies = []
        if session.device_token:
            cookies.append(_device_cookie(session.device_token, identity.deps.policy))
        return Response(answer, cookies=cookies)

    @problems("invalid-refresh-token")
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

    @problems("not-your-session", "invalid-refresh-token")
    @post("/logout", operation_id="logout", summary="Sign out", status_code=204)
    async def logout(
        self,
        data: JSONBody[RefreshBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> None:
        """Ends the refresh token's session and refuses the access token used to ask."""
        await identity.logout(actor, LogoutCommand(data.refresh_token))

    @problems("rate-limited")
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

    @problems("invalid-token")
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

    @problems("invalid-input", "rate-limited")
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
