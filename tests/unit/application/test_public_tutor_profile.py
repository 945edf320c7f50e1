"""The public face of a tutor's profile is the profile without its meeting room (issue 15,
finding 2). A field added to or renamed in the profile must be decided on here: this test
fails until the public profile says whether it shows it."""

from __future__ import annotations

from dataclasses import fields
from uuid import uuid4

from elearn.application.identity.ports import PublicTutorProfile
from elearn.domain.identity.profiles import TutorProfile

PRIVATE = {"meeting_url"}


def test_the_public_profile_is_every_field_of_the_profile_but_the_private_ones() -> None:
    public = {field.name for field in fields(PublicTutorProfile)}
    profile = {field.name for field in fields(TutorProfile)}

    assert public == profile - PRIVATE


def test_a_public_profile_copies_the_public_fields_and_not_the_room() -> None:
    profile = TutorProfile(
        user_id=uuid4(),
        headline="Physics",
        subjects=("physics",),
        meeting_url="https://meet.example.com/private",
        rating_count=3,
    )

    public = PublicTutorProfile.of(profile)

    assert (public.user_id, public.headline, public.subjects, public.rating_count) == (
        profile.user_id,
        "Physics",
        ("physics",),
        3,
    )
    assert not hasattr(public, "meeting_url")
