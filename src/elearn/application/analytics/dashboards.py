"""Dashboards per role: a student's learning, an instructor's courses and earnings, the
platform's figures for staff. Series come from rollups only; the viewer's time zone (their
profile's) decides where a day begins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.analytics.ports import (
    AnalyticsQueries,
    CourseProgress,
    FunnelRow,
    PlatformSnapshot,
    RollupReader,
    UpcomingLesson,
)
from elearn.application.authorization import Authorizer, Permission
from elearn.application.billing.api import BillingApi, EarningsView
from elearn.application.caching import SingleFlightCache
from elearn.application.errors import NotFound
from elearn.application.identity.api import IdentityApi
from elearn.application.ports import Clock, Transaction, TransactionFactory
from elearn.application.tutoring.api import TutoringApi
from elearn.domain.analytics.durations import median_of_bins
from elearn.domain.analytics.metrics import Metric, quiz_item_key
from elearn.domain.analytics.quiz_items import QuestionDifficulty, hardest_first, question_label
from elearn.domain.analytics.series import (
    COUNT,
    MINUTES,
    PERCENT,
    SECONDS,
    Bucket,
    Buckets,
    Dataset,
    InvalidRange,
    Series,
    count_series,
    money_series,
    slot_start,
)
from elearn.domain.analytics.streaks import current_streak
from elearn.domain.analytics.utilisation import minutes_per_bucket, utilisation_percent
from elearn.domain.identity.roles import Role

# Without `from`, a dashboard shows the last 30 local days up to today.
DEFAULT_DAYS = 30

D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class AnalyticsPolicy:
    """Analytics' section of the settings: the currency a money series shows its zeros in when
    a range holds no money at all."""

    default_currency: str = "USD"


@dataclass(frozen=True, slots=True)
class AnalyticsDeps:
    uow: TransactionFactory[Transaction]
    clock: Clock
    rollups: RollupReader
    queries: AnalyticsQueries
    identity: IdentityApi
    billing: BillingApi
    tutoring: TutoringApi
    authorizer: Authorizer
    policy: AnalyticsPolicy
    # A viewer's dashboard answered again within its TTL, and identical concurrent requests
    # sharing one load; forgotten whenever this process recounts rollups.
    answers: SingleFlightCache = field(default_factory=lambda: SingleFlightCache(ttl_seconds=0))


@dataclass(frozen=True, slots=True)
class RangeQuery:
    first: date | None = None
    last: date | None = None
    bucket: Bucket = Bucket.DAY
    course_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """The range a dashboard answers: local days in the viewer's zone."""

    first: date
    last: date
    bucket: Bucket
    time_zone: str


@dataclass(frozen=True, slots=True)
class StudentDashboard:
    role: str
    time_zone: str
    courses: list[CourseProgress]
    streak_days: int
    learning_days_last_30: int
    certificates: int
    courses_completed: int
    window: Window
    # Confirmed lessons not yet over, soonest first (at most 10).
    upcoming_lessons: list[UpcomingLesson]
    quizzes_submitted: Series
    # Their average score per bucket, in percent of the maximum (0 where none was submitted).
    quiz_scores: Series
    # Seconds of study their progress reports added, per bucket (in the quarter hour of UTC
    # each report arrived in).
    study_time: Series


@dataclass(frozen=True, slots=True)
class LessonReached:
    lesson_id: UUID
    students: int


@dataclass(frozen=True, slots=True)
class InstructorDashboard:
    role: str
    window: Window
    courses: int
    enrollments: Series
    completions: Series
    net_revenue: list[Series]
    funnel: list[FunnelRow]
    course_viewers: Series
    # The tutor's lessons: confirmed, cancelled by the student, cancelled by the tutor.
    bookings: Series
    # The caller as a tutor: minutes offered (availability as it stands, and lessons booked)
    # and booked (confirmed lessons) per bucket; and booked over offered, in percent.
    tutor_hours: Series
    tutor_utilisation: Series
    # The caller's earnings now, per currency (pending, available, on hold, earned, paid out):
    # balances of the ledger, read through billing, not a series.
    earnings: list[EarningsView] = field(default_factory=list)
    # Visible reviews per rating, 1 to 5 stars.
    ratings: list[int] = field(default_factory=list)
    # Active students whose last lesson reached is each lesson: where they stop.
    last_lesson_reached: list[LessonReached] = field(default_factory=list)
    # Share correct per quiz question over the range (one label per question, one dataset),
    # hardest first; questions nobody answered last, at 0. `quiz_questions` has the counts in
    # the same order, `hardest_question` the first answered one.
    quiz_items: Series = field(default_factory=lambda: Series([], [], unit=PERCENT))
    quiz_questions: list[QuestionDifficulty] = field(default_factory=list)
    hardest_question: QuestionDifficulty | None = None


@dataclass(frozen=True, slots=True)
class PlatformDashboard:
    role: str
    window: Window
    signups: Series
    active_people: Series
    enrollments: Series
    gmv: list[Series]
    platform_revenue: list[Series]
    refunds: Series
    refunded_amount: list[Series]
    payouts: list[Series]
    # Lessons confirmed, cancelled by students, cancelled by tutors.
    bookings: Series
    tickets_opened: Series
    # Support deadlines missed: first response, resolution.
    sla_breaches: Series
    # Tutor applications decided: approved, rejected.
    tutor_decisions: Series
    # Median seconds from submission to decision, of the decisions in each bucket: tutor
    # applications and course reviews (0 where none was decided).
    review_times: Series
    # Now, not over the range: courses per category (labels) and status (datasets), and
    # support tickets per status (labels).
    courses_by_category: Series
    tickets_by_status: Series
    totals: dict[str, int] = field(default_factory=dict)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class _Dashboard:
    def __init__(self, deps: AnalyticsDeps) -> None:
        self._deps = deps

    async def _answer(self, key: tuple[Hashable, ...], compute: Callable[[], Awaitable[D]]) -> D:
        """The dashboard ``key`` names, computed at most once per TTL. Called only once the
        viewer is known to be allowed it; ``key`` holds the viewer, so one viewer's answer is
        never another's, and today's UTC date, so a default range moves on at midnight."""
        today = self._deps.clock.now().date()
        return await self._deps.answers.get((type(self).__name__, today, *key), compute)

    async def _time_zone(self, user_id: UUID) -> str:
        async with self._deps.uow(read_only=True) as uow:
            recipient = await self._deps.identity.recipient(uow, user_id)
        return "UTC" if recipient is None else recipient.time_zone

    def _window(self, query: RangeQuery, time_zone: str) -> tuple[Window, Buckets]:
        zone = _zone(time_zone)
        today = self._deps.clock.now().astimezone(zone).date()
        last = query.last or today
        try:
            first = query.first or (last - timedelta(days=DEFAULT_DAYS - 1))
        except OverflowError:  # `to` in the first days of year 1
            raise InvalidRange("`to` is too early") from None
        buckets = Buckets.of(first, last, query.bucket, zone)
        return Window(first, last, query.bucket, time_zone), buckets


class GetStudentDashboard(_Dashboard):
    """Anyone signed in, about themselves: progress per course, the current streak of days
    learned (in their time zone), days learned in the last 30, certificates, their next
    confirmed lessons, quizzes submitted with their average score and the study time their
    progress reports added, per bucket."""

    async def __call__(self, actor: Actor, query: RangeQuery | None = None) -> StudentDashboard:
        user_id = require_signed_in(actor)
        query = query or RangeQuery()
        return await self._answer((user_id, query), lambda: self._compute(user_id, query))

    async def _compute(self, user_id: UUID, query: RangeQuery) -> StudentDashboard:
        facts = await self._deps.queries.learner(user_id, self._deps.clock.now())
        time_zone = await self._time_zone(user_id)
        window, buckets = self._window(query, time_zone)
        rows = await self._deps.rollups.many(
            (Metric.QUIZ_SUBMISSIONS, Metric.QUIZ_SCORE_PERMILLE, Metric.STUDY_SECONDS),
            buckets.first_slots,
            buckets.end_slot,
            dimensions=[user_id.hex],
        )
        submitted = buckets.fill((i, v) for i, _, _, v in rows[Metric.QUIZ_SUBMISSIONS])
        studied = buckets.fill((i, v) for i, _, _, v in rows[Metric.STUDY_SECONDS])
        permille = buckets.fill((i, v) for i, _, _, v in rows[Metric.QUIZ_SCORE_PERMILLE])
        today = self._deps.clock.now().astimezone(_zone(time_zone)).date()
        recent = sum(1 for day in facts.learning_days if (today - day).days < 30)
        return StudentDashboard(
            window=window,
            upcoming_lessons=facts.upcoming_lessons,
            quizzes_submitted=Series(
                buckets.labels, [Dataset("quizzes submitted", submitted)], unit=COUNT
            ),
            quiz_scores=Series(
                buckets.labels,
                [
                    Dataset(
                        "average score",
                        [average_percent(p, n) for p, n in zip(permille, submitted, strict=True)],
                    )
                ],
                unit=PERCENT,
            ),
            study_time=Series(buckets.labels, [Dataset("study time", studied)], unit=SECONDS),
            role="student",
            time_zone=time_zone,
            courses=facts.courses,
            streak_days=current_streak(facts.learning_days, today),
            learning_days_last_30=recent,
            certificates=facts.certificates,
            courses_completed=sum(1 for c in facts.courses if c.completed_at is not None),
        )


class GetInstructorDashboard(_Dashboard):
    """An instructor, about the courses they teach (or one of them with `course_id`); staff
    about any course. Enrollments and completions per bucket, net revenue (their share of
    sales less refunds, per currency, from the ledger), the completion funnel per course, the
    unique viewers of the courses' pages, and the share of attempts that got each quiz
    question right over the range, hardest first."""

    async def __call__(self, actor: Actor, query: RangeQuery) -> InstructorDashboard:
        user_id = require_signed_in(actor)
        courses = await self._courses(actor, user_id, query.course_id)
        return await self._answer(
            (user_id, query, *courses), lambda: self._compute(user_id, courses, query)
        )

    async def _compute(
        self, user_id: UUID, courses: list[UUID], query: RangeQuery
    ) -> InstructorDashboard:
        time_zone = await self._time_zone(user_id)
        window, buckets = self._window(query, time_zone)
        dimensions = [c.hex for c in courses]  # rollups name a UUID as `UUID.hex` spells it
        rows = await self._deps.rollups.many(
            (Metric.ENROLLMENTS, Metric.COMPLETIONS, Metric.COURSE_VIEWERS),
            buckets.first_slots,
            buckets.end_slot,
            dimensions=dimensions,
            per_dimension=False,
        )
        # A tutor's net revenue and lessons are theirs, whatever course (lessons too).
        revenue = await self._deps.rollups.many(
            (Metric.TUTOR_NET_REVENUE, *_BOOKING_METRICS),
            buckets.first_slots,
            buckets.end_slot,
            dimensions=[user_id.hex],
            per_dimension=False,
        )
        tutor_hours, tutor_utilisation = await self._tutor_time(user_id, buckets)
        questions = await self._quiz_questions(courses, buckets)
        funnel = await self._deps.queries.funnel(list(courses)) if courses else []
        stars, reached = (
            await self._deps.queries.ratings_and_last_lessons(list(courses))
            if courses
            else ([0] * 5, {})
        )
        return InstructorDashboard(
            role="instructor",
            window=window,
            courses=len(courses),
            enrollments=_total(buckets, rows[Metric.ENROLLMENTS], "enrollments"),
            completions=_total(buckets, rows[Metric.COMPLETIONS], "completions"),
            net_revenue=money_series(
                buckets,
                ((s, cur, v) for s, _, cur, v in revenue[Metric.TUTOR_NET_REVENUE]),
                "net revenue",
                self._deps.policy.default_currency,
            ),
            funnel=funnel,
            course_viewers=_total(buckets, rows[Metric.COURSE_VIEWERS], "unique viewers"),
            bookings=_bookings(buckets, revenue),
            tutor_hours=tutor_hours,
            tutor_utilisation=tutor_utilisation,
            earnings=await self._deps.billing.earnings(user_id),
            ratings=stars,
            last_lesson_reached=[
                LessonReached(lesson, count)
                for lesson, count in sorted(reached.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            quiz_items=Series(
                [q.label for q in questions],
                [Dataset("share correct", [q.percent_correct for q in questions])],
                unit=PERCENT,
            ),
            quiz_questions=questions,
            hardest_question=next((q for q in questions if q.answered), None),
        )

    async def _quiz_questions(
        self, courses: list[UUID], buckets: Buckets
    ) -> list[QuestionDifficulty]:
        """The courses' quiz questions as they are now, with their answers over the whole
        range (one bucket), hardest first."""
        if not courses:
            return []
        questions = await self._deps.queries.quiz_questions(courses)
        if not questions:
            return []
        keys = [quiz_item_key(q.lesson_id, q.question_id) for q in questions]
        rows = await self._deps.rollups.many(
            (Metric.QUIZ_ITEM_ANSWERED, Metric.QUIZ_ITEM_CORRECT),
            [buckets.first_slot],
            buckets.end_slot,
            dimensions=keys,
        )
        answered = {dim: v for _, dim, _, v in rows[Metric.QUIZ_ITEM_ANSWERED]}
        correct = {dim: v for _, dim, _, v in rows[Metric.QUIZ_ITEM_CORRECT]}
        return hardest_first(
            QuestionDifficulty(
                lesson_id=q.lesson_id,
                question_id=q.question_id,
                label=question_label(q.lesson_title, q.position, q.prompt),
                answered=answered.get(key, 0),
                correct=correct.get(key, 0),
            )
            for q, key in zip(questions, keys, strict=True)
        )

    async def _tutor_time(self, tutor_id: UUID, buckets: Buckets) -> tuple[Series, Series]:
        """Minutes offered and booked per bucket, read through tutoring (their availability
        expanded over the range in their zone, and their lessons), and booked over offered."""
        bounds = [slot_start(slot) for slot in (*buckets.first_slots, buckets.end_slot)]
        hours = await self._deps.tutoring.tutor_hours(tutor_id, bounds[0], bounds[-1])
        offered = minutes_per_bucket(hours.offered, bounds)
        booked = minutes_per_bucket(hours.booked, bounds)
        minutes = Series(
            buckets.labels, [Dataset("offered", offered), Dataset("booked", booked)], unit=MINUTES
        )
        share = [utilisation_percent(b, o) for b, o in zip(booked, offered, strict=True)]
        return minutes, Series(buckets.labels, [Dataset("utilisation", share)], unit=PERCENT)

    async def _courses(self, actor: Actor, user_id: UUID, course_id: UUID | None) -> list[UUID]:
        taught = await self._deps.queries.taught_courses(user_id)
        if course_id is None:
            return list(taught)
        if course_id in taught:
            return [course_id]
        if self._deps.authorizer.allows(actor, Permission.VIEW_ANY_COURSE):
            if await self._deps.queries.course_title(course_id) is not None:
                return [course_id]
        raise NotFound("there is no such course among those you teach", code="course-not-found")


class GetPlatformDashboard(_Dashboard):
    """Staff: sign-ups by role, people active per day, enrollments, GMV, platform revenue,
    refunds (count and amount) and payouts, money per currency, all from the ledger's journal
    lines. ``totals`` sums each count series over the range, and gives the distinct people
    active on the last 1, 7 and 30 UTC days (``dau``, ``wau``, ``mau``)."""

    async def __call__(self, actor: Actor, query: RangeQuery) -> PlatformDashboard:
        self._deps.authorizer.require(actor, Permission.VIEW_PLATFORM_ANALYTICS)
        user_id = require_signed_in(actor)
        return await self._answer((user_id, query), lambda: self._compute(user_id, query))

    async def _compute(self, user_id: UUID, query: RangeQuery) -> PlatformDashboard:
        time_zone = await self._time_zone(user_id)
        window, buckets = self._window(query, time_zone)
        # Two statements: the figures summed over their dimensions, and those shown per
        # dimension (sign-ups by role, SLA breaches by kind, tutor decisions).
        rows = await self._deps.rollups.many(
            _PLATFORM_METRICS, buckets.first_slots, buckets.end_slot, per_dimension=False
        )
        rows.update(
            await self._deps.rollups.many(
                (Metric.SIGNUPS, Metric.SLA_BREACHES, Metric.TUTOR_DECISIONS, *_REVIEW_TIMES),
                buckets.first_slots,
                buckets.end_slot,
            )
        )
        # And what stands now, not over the range: one statement.
        snapshot = await self._deps.queries.platform_snapshot()

        def per_dimension(metric: Metric, labels: list[str]) -> Series:
            return count_series(buckets, ((i, dim, v) for i, dim, _, v in rows[metric]), labels)

        def money(metric: Metric, label: str) -> list[Series]:
            points = ((s, cur, v) for s, _, cur, v in rows[metric])
            return money_series(buckets, points, label, self._deps.policy.default_currency)

        signups = per_dimension(Metric.SIGNUPS, [role.value for role in Role])
        decisions = per_dimension(Metric.TUTOR_DECISIONS, ["approved", "rejected"])
        dashboard = PlatformDashboard(
            role="staff",
            window=window,
            signups=signups,
            active_people=_total(buckets, rows[Metric.ACTIVE_PEOPLE], "active people"),
            enrollments=_total(buckets, rows[Metric.ALL_ENROLLMENTS], "enrollments"),
            gmv=money(Metric.GMV, "GMV"),
            platform_revenue=money(Metric.PLATFORM_REVENUE, "platform revenue"),
            refunds=_total(buckets, rows[Metric.REFUNDS], "refunds"),
            refunded_amount=money(Metric.REFUNDED_AMOUNT, "refunded"),
            payouts=money(Metric.PAYOUTS, "payouts"),
            bookings=_bookings(buckets, rows),
            tickets_opened=_total(buckets, rows[Metric.TICKETS_OPENED], "tickets opened"),
            sla_breaches=per_dimension(Metric.SLA_BREACHES, ["first_response", "resolution"]),
            tutor_decisions=decisions,
            review_times=_review_times(buckets, rows),
            courses_by_category=_courses_by_category(snapshot),
            tickets_by_status=_tickets_by_status(snapshot),
        )
        # Distinct people seen on the last 1, 7 and 30 UTC days, today included.
        dau, wau, mau = await self._deps.queries.active_people(self._deps.clock.now().date())
        dashboard.totals.update(
            dau=dau,
            wau=wau,
            mau=mau,
            signups=sum(sum(d.data) for d in signups.datasets),
            enrollments=sum(dashboard.enrollments.datasets[0].data),
            refunds=sum(dashboard.refunds.datasets[0].data),
            tutor_approvals=sum(decisions.datasets[0].data),
            tutor_rejections=sum(decisions.datasets[1].data),
            **{
                f"{name}_median_seconds": median_of_bins(
                    (int(dim), v) for _, dim, _, v in rows[metric]
                )
                or 0
                for metric, name in zip(_REVIEW_TIMES, _REVIEW_TIME_NAMES, strict=True)
            },
        )
        return dashboard


_BOOKING_METRICS = (
    Metric.BOOKINGS_CONFIRMED,
    Metric.BOOKINGS_CANCELLED_BY_STUDENT,
    Metric.BOOKINGS_CANCELLED_BY_TUTOR,
)
_BOOKING_LABELS = ("confirmed", "cancelled by the student", "cancelled by the tutor")

_PLATFORM_METRICS: tuple[Metric, ...] = (
    Metric.ACTIVE_PEOPLE,
    Metric.ALL_ENROLLMENTS,
    Metric.GMV,
    Metric.PLATFORM_REVENUE,
    Metric.REFUNDS,
    Metric.REFUNDED_AMOUNT,
    Metric.PAYOUTS,
    Metric.TICKETS_OPENED,
    *_BOOKING_METRICS,
)


# How long reviews take: histogram rollups whose dimension is the bin of the time taken.
_REVIEW_TIMES = (Metric.TUTOR_DECISION_TIME, Metric.COURSE_REVIEW_TIME)
_REVIEW_TIME_NAMES = ("tutor_decision", "course_review")
_REVIEW_TIME_LABELS = ("tutor application", "course review")
# The states, in the order of their workflows, each a dataset even when none is in it; a
# state not listed here (added later) still shows, after them.
_COURSE_STATUSES = ("draft", "pending", "approved", "rejected", "published", "archived")
_TICKET_STATUSES = ("open", "assigned", "waiting_on_customer", "resolved", "closed")
UNCATEGORISED = "uncategorised"


def _review_times(buckets: Buckets, rows: dict[Metric, list[tuple[int, str, str, int]]]) -> Series:
    datasets = []
    for metric, label in zip(_REVIEW_TIMES, _REVIEW_TIME_LABELS, strict=True):
        bins: list[list[tuple[int, int]]] = [[] for _ in buckets.starts]
        for index, dimension, _, count in rows[metric]:
            bins[index].append((int(dimension), count))
        datasets.append(Dataset(label, [median_of_bins(b) or 0 for b in bins]))
    return Series(buckets.labels, datasets, unit=SECONDS)


def _courses_by_category(snapshot: PlatformSnapshot) -> Series:
    """Labels: the categories by name (courses with none last, as `uncategorised`); a dataset
    per status."""
    categories = sorted({name for name, _, _ in snapshot.courses if name})
    if any(not name for name, _, _ in snapshot.courses):
        categories.append("")
    statuses = list(_COURSE_STATUSES)
    statuses += sorted({s for _, s, _ in snapshot.courses} - set(statuses))
    position = {name: i for i, name in enumerate(categories)}
    data = {status: [0] * len(categories) for status in statuses}
    for name, status, count in snapshot.courses:
        data[status][position[name]] += count
    return Series(
        labels=[name or UNCATEGORISED for name in categories],
        datasets=[Dataset(status, values) for status, values in data.items()],
        unit=COUNT,
    )


def _tickets_by_status(snapshot: PlatformSnapshot) -> Series:
    statuses = list(_TICKET_STATUSES)
    statuses += sorted({s for s, _ in snapshot.tickets} - set(statuses))
    counts = dict.fromkeys(statuses, 0)
    for status, count in snapshot.tickets:
        counts[status] += count
    return Series(statuses, [Dataset("tickets", list(counts.values()))], unit=COUNT)


def _total(buckets: Buckets, rows: Collection[tuple[int, str, str, int]], label: str) -> Series:
    return Series(
        labels=buckets.labels,
        datasets=[Dataset(label, buckets.fill((i, v) for i, _, _, v in rows))],
        unit=COUNT,
    )


def _bookings(buckets: Buckets, rows: dict[Metric, list[tuple[int, str, str, int]]]) -> Series:
    return Series(
        labels=buckets.labels,
        datasets=[
            Dataset(label, buckets.fill((i, v) for i, _, _, v in rows[metric]))
            for metric, label in zip(_BOOKING_METRICS, _BOOKING_LABELS, strict=True)
        ],
        unit=COUNT,
    )


def average_percent(permille_sum: int, count: int) -> int:
    """The average of ``count`` scores summing to ``permille_sum`` (each in permille), in whole
    percent rounded half up; 0 for none."""
    return (permille_sum + 5 * count) // (10 * count) if count else 0


class GetMyDashboard:
    """The caller's own dashboard, by role: a student's, a tutor's as an instructor, staff's
    of the platform. The payload is the matching `/analytics/*` one, with `role` saying which."""

    def __init__(
        self,
        student: GetStudentDashboard,
        instructor: GetInstructorDashboard,
        platform: GetPlatformDashboard,
    ) -> None:
        self._student = student
        self._instructor = instructor
        self._platform = platform

    async def __call__(
        self, actor: Actor, query: RangeQuery
    ) -> StudentDashboard | InstructorDashboard | PlatformDashboard:
        require_signed_in(actor)
        if actor.role in (Role.MANAGER, Role.ADMIN):
            return await self._platform(actor, query)
        if actor.role is Role.TUTOR:
            return await self._instructor(actor, query)
        return await self._student(actor, query)
