"""Dashboards over HTTP, on SQLite and PostgreSQL: a student enrolls in a tutor's course and the
tutor's dashboard shows the enrollment today, in their own time zone, with the course's funnel;
staff see sign-ups and enrollments; `/me/dashboard` answers by role; the refusals (anonymous,
a student asking for the platform, a tutor naming a course they do not teach, a range
backwards) answer their problems. A quiz's hardest question shows on its instructor's dashboard
and the time a student's progress reports added on theirs, per local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from tests.integration.http.learning.helpers import LESSONS, RIGHT_ANSWERS, enroll, learning_course
from tests.support.apps import MovableClock, app_with_clock
from tests.support.catalog import headers_of, published_course, seed_people
from tests.support.identity import problem

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

STUDENT = "/api/v1/analytics/student"
INSTRUCTOR = "/api/v1/analytics/instructor"
PLATFORM = "/api/v1/analytics/platform"
MINE = "/api/v1/me/dashboard"


async def _refresh(settings: Settings, clock: MovableClock | None = None) -> None:
    """What the periodic job does every minute (the outbox handlers too, as events arrive), from
    a container of the test's own (the app's runs on the server's event loop), at ``clock``'s
    time when given."""
    overrides = {} if clock is None else {"clock": clock}
    container = bootstrap(settings, broker=build_broker(None), overrides=overrides)
    try:
        await container.analytics.refresh_recent()
    finally:
        await container.dispose()


async def _count_quizzes(settings: Settings) -> None:
    """What the worker does with each `learning.quiz_submitted`: the analytics handler."""
    container = bootstrap(settings, broker=build_broker(None))
    try:
        async with container.sessions() as session:
            pending = await session.scalars(
                select(OutboxDeliveryRow.id).where(
                    OutboxDeliveryRow.handler == "analytics.count_quiz",
                    OutboxDeliveryRow.status != "done",
                )
            )
            ids = list(pending)
        for delivery_id in ids:
            await container.deliveries().deliver(delivery_id)
    finally:
        await container.dispose()


def _series_shape(series: dict[str, Any], buckets: int) -> None:
    assert len(series["labels"]) == buckets
    assert all(len(dataset["data"]) == buckets for dataset in series["datasets"])


async def test_an_enrollment_shows_on_the_tutors_and_the_platforms_dashboards(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course = await published_course(client, tutor, manager)
    enrolled = await client.post(f"/api/v1/courses/{course['id']}/enroll", headers=student)
    assert enrolled.status_code in (200, 201), enrolled.text
    await _refresh(settings)

    mine = await client.get(INSTRUCTOR, params={"bucket": "week"}, headers=tutor)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["role"] == "instructor" and body["courses"] == 1
    assert sum(body["enrollments"]["datasets"][0]["data"]) == 1
    assert body["enrollments"]["unit"] == "count"
    _series_shape(body["enrollments"], len(body["enrollments"]["labels"]))
    (revenue,) = body["net_revenue"]
    assert revenue["unit"] == "money" and revenue["currency"] == "USD"
    (funnel,) = body["funnel"]
    assert (funnel["course_id"], funnel["enrolled"], funnel["completed"]) == (course["id"], 1, 0)
    assert body["ratings"] == [0, 0, 0, 0, 0]
    assert body["earnings"] == []  # a free course: no ledger account of theirs yet

    today = date.fromisoformat(body["window"]["last"])
    one = await client.get(
        INSTRUCTOR,
        params={"course_id": course["id"], "from": str(today - timedelta(days=6))},
        headers=tutor,
    )
    assert one.status_code == 200, one.text
    _series_shape(one.json()["enrollments"], 7)
    assert one.json()["enrollments"]["datasets"][0]["data"][-1] == 1

    platform = await client.get(PLATFORM, headers=manager)
    assert platform.status_code == 200, platform.text
    figures = platform.json()
    assert figures["role"] == "staff" and figures["totals"]["enrollments"] == 1
    assert {"dau", "wau", "mau"} <= figures["totals"].keys()
    assert {d["label"] for d in figures["signups"]["datasets"]} == {
        "student", "tutor", "manager", "admin"
    }  # fmt: skip
    _series_shape(figures["gmv"][0], 30)
    assert [d["label"] for d in figures["bookings"]["datasets"]] == [
        "confirmed", "cancelled by the student", "cancelled by the tutor"
    ]  # fmt: skip
    assert [d["label"] for d in figures["sla_breaches"]["datasets"]] == [
        "first_response", "resolution"
    ]  # fmt: skip
    for name in ("bookings", "tickets_opened", "sla_breaches", "tutor_decisions"):
        _series_shape(figures[name], 30)
    assert figures["totals"]["tutor_approvals"] == 0
    _series_shape(body["bookings"], len(body["enrollments"]["labels"]))
    # The tutor offers no lessons yet: zeros, in minutes and percent.
    assert [d["label"] for d in body["tutor_hours"]["datasets"]] == ["offered", "booked"]
    assert (body["tutor_hours"]["unit"], body["tutor_utilisation"]["unit"]) == (
        "minutes", "percent"
    )  # fmt: skip
    _series_shape(body["tutor_utilisation"], len(body["enrollments"]["labels"]))
    assert set(body["tutor_utilisation"]["datasets"][0]["data"]) == {0}
    # The course was approved within a minute of its submission: the first bin's middle.
    review_times = figures["review_times"]
    _series_shape(review_times, 30)
    assert review_times["unit"] == "seconds"
    assert [d["label"] for d in review_times["datasets"]] == ["tutor application", "course review"]
    assert review_times["datasets"][1]["data"][-1] == 30
    assert figures["totals"]["course_review_median_seconds"] == 30
    # As they stand: the one course, published; no tickets.
    courses = figures["courses_by_category"]
    assert courses["unit"] == "count"
    published = next(d for d in courses["datasets"] if d["label"] == "published")
    assert sum(published["data"]) == 1 and len(published["data"]) == len(courses["labels"])
    tickets = figures["tickets_by_status"]
    assert tickets["labels"][0] == "open" and set(tickets["datasets"][0]["data"]) == {0}

    learning = await client.get(STUDENT, headers=student)
    assert learning.status_code == 200, learning.text
    assert [c["course_id"] for c in learning.json()["courses"]] == [course["id"]]
    assert learning.json()["upcoming_lessons"] == []
    scores, submitted = learning.json()["quiz_scores"], learning.json()["quizzes_submitted"]
    _series_shape(scores, 30)
    assert (scores["unit"], submitted["unit"]) == ("percent", "count")
    assert scores["datasets"][0]["data"] == submitted["datasets"][0]["data"] == [0] * 30

    for who, role in ((student, "student"), (tutor, "instructor"), (manager, "staff")):
        answered = await client.get(MINE, headers=who)
        assert answered.status_code == 200, answered.text
        assert answered.json()["role"] == role


async def test_refusals_answer_their_problems(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor, cotutor = await headers_of(client, "tutor"), await headers_of(client, "cotutor")
    manager, student = await headers_of(client, "manager"), await headers_of(client, "student")
    course = await published_course(client, tutor, manager)

    problem(await client.get(MINE), 401, "not-authenticated")
    problem(await client.get(PLATFORM, headers=student), 403, "permission-denied")
    problem(await client.get(PLATFORM, headers=tutor), 403, "permission-denied")
    foreign = await client.get(INSTRUCTOR, params={"course_id": course["id"]}, headers=cotutor)
    problem(foreign, 404, "course-not-found")
    backwards = {"from": "2026-12-10", "to": "2026-12-01"}
    problem(
        await client.get(PLATFORM, params=backwards, headers=manager),
        422,
        "invalid-analytics-range",
    )
    problem(await client.get(PLATFORM, params={"bucket": "year"}, headers=manager), 400)
    # Staff may look at any course as its instructors do.
    staff_view = await client.get(INSTRUCTOR, params={"course_id": course["id"]}, headers=manager)
    assert staff_view.status_code == 200, staff_view.text


async def test_the_hardest_question_and_study_time_show_on_their_dashboards(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    student, cotutor = await headers_of(client, "student"), await headers_of(client, "cotutor")
    course = await learning_course(client, tutor, manager)
    await enroll(client, student, course.id)
    # Eleven minutes after enrolling (within the access tokens' 15): 600 seconds may be credited.
    clock = MovableClock(datetime.now(UTC) + timedelta(minutes=11))
    async with app_with_clock(settings, clock) as timed:
        reported = await timed.put(
            f"{LESSONS}/{course.text['id']}/progress",
            json={"seconds_spent": 600},
            headers=student,
        )
        assert reported.json()["seconds_spent"] == 600, reported.text
        started = await timed.post(f"{LESSONS}/{course.quiz['id']}/attempts", headers=student)
        assert started.status_code == 201, started.text
        answers = {**RIGHT_ANSWERS, "pi": 3}  # every question right but pi
        submitted = await timed.post(
            f"/api/v1/attempts/{started.json()['id']}/submit",
            json={"answers": answers},
            headers=student,
        )
        assert submitted.status_code == 200, submitted.text
    await _count_quizzes(settings)
    await _refresh(settings, clock)
    today = clock.current.date()
    window = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}

    mine = await client.get(INSTRUCTOR, params=window, headers=tutor)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["hardest_question"] == {
        "lesson_id": course.quiz["id"],
        "question_id": "pi",
        "label": "Check · Q5: Pi to two places?",
        "answered": 1,
        "correct": 0,
        "percent_correct": 0,
    }
    items = body["quiz_items"]
    assert items["unit"] == "percent" and items["labels"][0] == "Check · Q5: Pi to two places?"
    assert items["datasets"] == [{"label": "share correct", "data": [0, 100, 100, 100, 100]}]
    assert [q["question_id"] for q in body["quiz_questions"]] == [
        "pi",
        "capital",
        "even",
        "sky",
        "lang",
    ]
    foreign = await client.get(INSTRUCTOR, params={"course_id": course.id}, headers=cotutor)
    problem(foreign, 404, "course-not-found")

    learning = await client.get(STUDENT, params=window, headers=student)
    assert learning.status_code == 200, learning.text
    study = learning.json()["study_time"]
    _series_shape(study, 3)
    assert study["unit"] == "seconds"
    assert study["datasets"][0]["label"] == "study time"
    assert sum(study["datasets"][0]["data"]) == 600
