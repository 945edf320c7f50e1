"""/api/v1/me (own account, profile, avatar, tutor application, two-factor) and the public
/api/v1/tutors/{id}."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody

from elearn.application.identity.account import (
    NO_INSTITUTION,
    AccountView,
    AvatarResult,
    SetAvatar,
    StudentProfileChanges,
    TutorApplicationCommand,
    TutorApplicationResult,
    TutorProfileChanges,
    UpdateAccount,
)
from elearn.application.identity.admin import PublicTutorQuery, PublicTutorView
from elearn.application.identity.two_factor import (
    ConfirmTwoFactorCommand,
    DisableTwoFactorCommand,
    RecoveryCodes,
    TwoFactorSetup,
)
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import (
    FullName,
    MoneyBody,
    OneTimeCode,
    Password,
    RequestBody,
    upload_chunks,
    upload_of,
)
from elearn.entrypoints.http.identity.auth_routes import subjects_of
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.identity import Identity

ShortText = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Code = Annotated[str, msgspec.Meta(max_length=64)]
Items = Annotated[list[Annotated[str, msgspec.Meta(max_length=60)]], msgspec.Meta(max_length=20)]


class StudentProfileBody(RequestBody):
    bio: LongText | None = None
    language: Code | None = None
    country: Code | None = None
    time_zone: Code | None = None
    preferred_currency: Code | None = None
    institution_id: Annotated[
        UUID | msgspec.UnsetType | None,
        msgspec.Meta(
            description="an institution from `GET /institutions`; `null` names none any more"
        ),
    ] = msgspec.UNSET
    onboarding: dict[str, Any] | None = None


class TutorProfileBody(RequestBody):
    bio: LongText | None = None
    headline: ShortText | None = None
    subjects: Items | None = None
    languages: Items | None = None
    hourly_rate: MoneyBody | None = None
    time_zone: Code | None = None
    meeting_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    institution_id: Annotated[
        UUID | msgspec.UnsetType | None,
        msgspec.Meta(
            description="an institution from `GET /institutions`; `null` names none any more"
        ),
    ] = msgspec.UNSET


class UpdateMeBody(RequestBody):
    """Fields left out stay as they are. Role, verification and approval are not here."""

    full_name: FullName | None = None
    student: StudentProfileBody | None = None
    tutor: TutorProfileBody | None = None


class AvatarForm(msgspec.Struct):
    file: UploadFile


class TutorApplicationForm(msgspec.Struct, kw_only=True):
    headline: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    subjects: Annotated[
        str, msgspec.Meta(min_length=1, max_length=1000, description="comma-separated")
    ]
    cv: UploadFile
    certificate: UploadFile


class CodeBody(RequestBody):
    code: OneTimeCode


class DisableTwoFactorBody(RequestBody):
    password: Password
    code: OneTimeCode


def _changes(body: msgspec.Struct | None, kind: type[Any]) -> Any:
    if body is None:
        return None
    fields = msgspec.structs.asdict(body)
    institution_id = fields.pop("institution_id", msgspec.UNSET)
    return kind(
        **{
            name: value.to_money() if isinstance(value, MoneyBody) else value
            for name, value in fields.items()
        },
        # Left out: as it is; null: no institution any more.
        institution_id=None
        if institution_id is msgspec.UNSET
        else (NO_INSTITUTION if institution_id is None else institution_id),
    )


class MeController(Controller):
    path = "/me"
    tags = ["identity"]
    guards = [signed_in]

    @get(operation_id="get_me", summary="Your account and profile")
    async def get_me(self, actor: CurrentActor, identity: Identity) -> AccountView:
        """Your account, and the profile you present: the tutor profile for tutors and tutor
        applicants, the student profile otherwise."""
        return await identity.get_account(actor)

    @problems("invalid-input")
    @patch(operation_id="update_me", summary="Change your name or profile")
    async def update_me(
        self,
        data: JSONBody[UpdateMeBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> AccountView:
        """Every invalid field is reported at once (422); nothing changes unless all are valid."""
        command = UpdateAccount(
            full_name=data.full_name,
            student=_changes(data.student, StudentProfileChanges),
            tutor=_changes(data.tutor, TutorProfileChanges),
        )
        return await identity.update_account(actor, command)

    @problems("empty-file")
    @put(
        "/avatar",
        operation_id="set_avatar",
        summary="Replace your avatar",
        request_max_body_size=6 * 1024 * 1024,
    )
    async def set_avatar(
        self,
        data: Annotated[AvatarForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        identity: Identity,
    ) -> AvatarResult:
        """A JPEG, PNG, GIF or WebP image of at most 5 MiB, judged by its bytes, in the `file`
        field; SVG is refused."""
        return await identity.set_avatar(
            actor, SetAvatar(upload_chunks(data.file), data.file.filename)
        )

    @problems("email-not-verified", "illegal-transition", "invalid-input")
    @post(
        "/tutor-application",
        operation_id="apply_as_tutor",
        summary="Apply to teach",
        request_max_body_size=32 * 1024 * 1024,
    )
    async def apply_as_tutor(
        self,
        data: Annotated[TutorApplicationForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        identity: Identity,
    ) -> TutorApplicationResult:
        """A student with a verified email applies with a CV and a certificate (PDF or image);
        one application is pending at a time."""
        command = TutorApplicationCommand(
            headline=data.headline,
            subjects=subjects_of(data.subjects),
            cv=upload_of(data.cv),
            certificate=upload_of(data.certificate),
        )
        return await identity.apply_as_tutor(actor, command)

    @post(
        "/2fa/setup", operation_id="set_up_2fa", summary="Start two-factor sign-in", status_code=200
    )
    async def set_up_2fa(self, actor: CurrentActor, identity: Identity) -> TwoFactorSetup:
        """A new authenticator secret and its `otpauth://` URI; it takes effect once confirmed."""
        return await identity.set_up_two_factor(actor)

    @problems("illegal-transition", "invalid-otp")
    @post(
        "/2fa/confirm",
        operation_id="confirm_2fa",
        summary="Turn two-factor sign-in on",
        status_code=200,
    )
    async def confirm_2fa(
        self,
        data: JSONBody[CodeBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> RecoveryCodes:
        """A code from the authenticator turns it on and returns ten single-use recovery codes,
        shown this once."""
        return await identity.confirm_two_factor(actor, ConfirmTwoFactorCommand(data.code))

    @problems("illegal-transition", "invalid-input", "invalid-otp", "rate-limited")
    @post(
        "/2fa/disable",
        operation_id="disable_2fa",
        summary="Turn two-factor sign-in off",
        status_code=204,
    )
    async def disable_2fa(
        self,
        data: JSONBody[DisableTwoFactorBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> None:
        """Needs the password and a current code (or a recovery code)."""
        await identity.disable_two_factor(actor, DisableTwoFactorCommand(data.password, data.code))


class TutorsController(Controller):
    path = "/tutors"
    tags = ["identity"]

    @get("/{tutor_id:uuid}", operation_id="get_tutor", summary="A tutor's public profile")
    async def get_tutor(
        self,
        tutor_id: FromPath[UUID],
        actor: CurrentActor,
        identity: Identity,
    ) -> PublicTutorView:
        """Approved, active tutors only; anyone else answers 404. The fields of a card in the
        tutor list, under the same names, and the bio."""
        return await identity.public_tutor(actor, PublicTutorQuery(tutor_id))
