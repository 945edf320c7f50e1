"""Demo data for the embedded default: accounts to sign in with, one per role, and an approved
tutor with a public profile (``GET /api/v1/tutors/{id}``)."""

from __future__ import annotations

from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.profiles import TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken, TutorApproval, User
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credentials, refused in production
DEMO_ACCOUNTS = [
    ("admin@demo.elearn.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.elearn.test", "Max Manager", Role.MANAGER),
    ("tutor@demo.elearn.test", "Tess Tutor", Role.TUTOR),
    ("student@demo.elearn.test", "Sam Student", Role.STUDENT),
]
DEMO_TUTOR_EMAIL = "tutor@demo.elearn.test"


def demo_tutor_profile(user: User) -> TutorProfile:
    return TutorProfile(
        user_id=user.id,
        headline="Mathematics and physics, from school algebra to first-year university",
        subjects=("Mathematics", "Physics", "Statistics"),
        languages=("en", "de"),
        hourly_rate_amount=3000,
        hourly_rate_currency="USD",
        time_zone="Europe/Berlin",
        bio=(
            "I have taught mathematics and physics for ten years, at a Berlin Gymnasium and "
            "online. Lessons start from the problems you are stuck on; you leave with worked "
            "notes and a short plan for the week."
        ),
    )


async def seed_demo(settings: Settings) -> list[str]:
    """Creates what is missing and says what it did; running it twice changes nothing."""
    if settings.is_production:
        return ["demo data is never seeded in production"]
    container = bootstrap(settings)
    lines = []
    try:
        for email, full_name, role in DEMO_ACCOUNTS:
            if email == DEMO_TUTOR_EMAIL:
                lines.append(await _seed_tutor(container, email, full_name))
                continue
            command = CreateAccount(
                email=email, password=DEMO_PASSWORD, full_name=full_name, role=role
            )
            try:
                await container.create_account(Actor.system(), command)
                lines.append(f"demo {role.value}: {email} / {DEMO_PASSWORD}")
            except EmailTaken:
                lines.append(f"demo {role.value}: {email} already exists")
    finally:
        await container.dispose()
    return lines


async def _seed_tutor(container: Container, email: str, full_name: str) -> str:
    """An approved tutor with a profile. A demo tutor left half-made (an older seed made it
    pending, without a profile) is approved and given the profile; one changed since is left
    alone."""
    address = EmailAddress(email)
    async with container.uow() as uow:
        existing = await uow.users.get_by_email(address)
    created = existing is None
    if existing is None:
        # The account first, its profile in a second transaction: the flush does not order a
        # new user row before its tutor profile row (the profile models use another base).
        now = container.clock.now()
        new_user = User.register(
            user_id=container.ids.new_id(),
            event_id=container.ids.new_id(),
            email=address,
            full_name=full_name,
            role=Role.TUTOR,
            password_hash=await container.hasher.hash(DEMO_PASSWORD),
            now=now,
            email_verified=True,
            tutor_approval=TutorApproval.APPROVED,
        )
        try:
            async with container.uow() as uow:
                await uow.users.add(new_user)
                await uow.commit()
        except EmailTaken:  # another seed made it meanwhile
            created = False
    async with container.uow() as uow:
        user = await uow.users.get_by_email(address, for_update=True)
        assert user is not None  # made above, or by an earlier seed
        done = []
        if user.role is Role.TUTOR and user.tutor_approval is TutorApproval.PENDING:
            user.approve_as_tutor(container.clock.now())
            done.append("approved")
        if user.role is Role.TUTOR and await uow.profiles.get_tutor(user.id) is None:
            await uow.profiles.save_tutor(demo_tutor_profile(user))
            done.append("profile added")
        if done:
            await uow.commit()
    if created:
        return f"demo tutor: {email} / {DEMO_PASSWORD} (id {user.id}, approved)"
    if done:
        return f"demo tutor: {email} existed; {', '.join(done)} (id {user.id})"
    return f"demo tutor: {email} already exists (id {user.id})"
