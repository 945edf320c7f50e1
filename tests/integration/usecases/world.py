"""The people and the builders the use-case tests share: a container bootstrapped on the test's
own SQLite copy, accounts of every role as ``Actor``s, and courses built through the catalog's
use cases (never through HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from tests.fakes import FixedClock

from elearn.application.actor import Actor
from elearn.application.billing.checkout import CheckoutItem
from elearn.application.billing.ports import TrialBalance
from elearn.application.catalog.authoring import CourseChanges, NewCourse, NewLesson
from elearn.application.catalog.ports import CourseDetail
from elearn.application.identity.account import TutorProfileChanges, UpdateAccount
from elearn.application.tutoring.ports import BookingView
from elearn.domain.catalog.course import LessonKind
from elearn.domain.identity.roles import Role
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import Availability, WeeklyWindow
from elearn.domain.tutoring.booking import BookingStatus
from elearn.entrypoints.bootstrap import Container

DOMAIN = "usecases.test"
# Seeded verified accounts: (name, role). tutor and cotutor are approved tutors.
PEOPLE = (
    ("tutor", Role.TUTOR),
    ("cotutor", Role.TUTOR),
    ("manager", Role.MANAGER),
    ("admin", Role.ADMIN),
    ("student", Role.STUDENT),
    ("classmate", Role.STUDENT),
)
APPROVED_TUTORS = ("tutor", "cotutor")


def email_of(name: str) -> str:
    return f"{name}@{DOMAIN}"


def actor_for(user_id: UUID, role: Role) -> Actor:
    return Actor(user_id=user_id, role=role, email_verified=True)


@dataclass
class World:
    container: Container
    clock: FixedClock
    tutor: Actor
    cotutor: Actor
    manager: Actor
    admin: Actor
    student: Actor
    classmate: Actor

    # ---- catalog ------------------------------------------------------------------------------
    async def draft_course(
        self,
        owner: Actor | None = None,
        *,
        title: str = "Python for Beginners",
        lesson: NewLesson | None = None,
        **changes: object,
    ) -> tuple[CourseDetail, UUID]:
        """A draft with a description, one section and one lesson (text unless ``lesson``
        says otherwise): complete enough to submit. Answers the course and the lesson's id."""
        owner = owner or self.tutor
        catalog = self.container.catalog
        details = CourseChanges(description="Learn Python.", **{"free": True, **changes})  # type: ignore[arg-type]
        course = await catalog.create_course(owner, NewCourse(title, details))
        section = await catalog.add_section(owner, course.id, "Basics")
        added = await catalog.add_lesson(
            owner,
            section.id,
            lesson or NewLesson(kind=LessonKind.TEXT, title="Hello", text="# Hello"),
        )
        return await catalog.get_course(owner, str(course.id)), added.id

    async def publish(self, course_id: UUID, owner: Actor | None = None) -> CourseDetail:
        catalog = self.container.catalog
        await catalog.submit_course(owner or self.tutor, course_id)
        await catalog.approve_course(self.manager, course_id)
        return await catalog.publish_course(self.manager, course_id)

    async def published_course(self, **changes: object) -> tuple[CourseDetail, UUID]:
        draft, lesson_id = await self.draft_course(**changes)  # type: ignore[arg-type]
        return await self.publish(draft.id), lesson_id

    async def paid_course(self, amount: int, currency: str = "USD") -> CourseDetail:
        course, _ = await self.published_course(free=False, price=Money(amount, currency))
        return course

    # ---- time ---------------------------------------------------------------------------------
    def days_ahead_at(self, days: int, hour: int) -> datetime:
        """``hour`` o'clock UTC, ``days`` days after today on the test's clock."""
        day = self.clock.now().date() + timedelta(days=days)
        return datetime.combine(day, time(hour), tzinfo=UTC)

    # ---- billing ------------------------------------------------------------------------------
    async def top_up(self, buyer: Actor, amount: int, currency: str = "USD") -> UUID:
        """Wallet credits bought by card: the checkout, then the sandbox page's success button
        (the same provider event a Stripe webhook brings). Answers the order's id."""
        billing = self.container.billing
        started = await billing.start_checkout(
            buyer, CheckoutItem(kind="wallet_topup", amount=amount, currency=currency)
        )
        await billing.sandbox_checkout(started.order_id, "succeed")
        return started.order_id

    async def wallet_balance(self, owner: Actor, currency: str = "USD") -> int:
        balances = await self.container.billing.wallet(owner)
        assert balances.next_cursor is None  # every currency on one page
        return sum(b.amount for b in balances.items if b.currency == currency)

    async def books_balance(self) -> TrialBalance:
        """The trial balance, checked to sum to zero in every currency."""
        trial = await self.container.billing.trial_balance(self.admin)
        assert trial.balanced, trial
        assert all(total.total.amount == 0 for total in trial.totals), trial
        return trial

    # ---- tutoring -----------------------------------------------------------------------------
    async def offer_lessons(self, tutor: Actor | None = None, *, rate: int = 4000) -> Actor:
        """A tutor with an hourly rate in USD who teaches every day from 09:00 to 17:00 UTC,
        in lessons of 30 or 60 minutes."""
        tutor = tutor or self.tutor
        await self.container.identity.update_account(
            tutor,
            UpdateAccount(
                tutor=TutorProfileChanges(hourly_rate=Money(rate, "USD"), time_zone="UTC")
            ),
        )
        await self.container.tutoring.set_availability(tutor, WORKING_HOURS)
        return tutor

    async def hold(
        self, student: Actor, starts_at: datetime, *, minutes: int = 60, tutor: Actor | None = None
    ) -> BookingView:
        tutor_id = (tutor or self.tutor).user_id
        assert tutor_id is not None
        return await self.container.tutoring.hold(
            student, tutor_id=tutor_id, starts_at=starts_at, duration_minutes=minutes
        )

    async def confirmed_with_credits(self, student: Actor, starts_at: datetime) -> BookingView:
        """A 60-minute lesson held and paid from a wallet topped up with exactly its price."""
        held = await self.hold(student, starts_at)
        await self.top_up(student, held.price.amount)
        paid = await self.container.tutoring.pay(student, held.id, "credits")
        assert paid.booking.status is BookingStatus.CONFIRMED, paid
        return paid.booking


WORKING_HOURS = Availability(
    time_zone="UTC",
    windows=tuple(WeeklyWindow(day, 9 * 60, 17 * 60) for day in range(7)),
    durations=(30, 60),
)
