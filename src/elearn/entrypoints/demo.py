"""Demo data for the embedded default: accounts to sign in with, one per role."""

from __future__ import annotations

from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credentials, refused in production
DEMO_ACCOUNTS = [
    ("admin@demo.elearn.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.elearn.test", "Max Manager", Role.MANAGER),
    ("tutor@demo.elearn.test", "Tess Tutor", Role.TUTOR),
    ("student@demo.elearn.test", "Sam Student", Role.STUDENT),
]


async def seed_demo(settings: Settings) -> list[str]:
    """Creates what is missing and says what it did; running it twice changes nothing."""
    if settings.is_production:
        return ["demo data is never seeded in production"]
    container = bootstrap(settings)
    lines = []
    try:
        for email, full_name, role in DEMO_ACCOUNTS:
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
