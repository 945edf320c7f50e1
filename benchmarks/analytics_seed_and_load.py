"""Analytics at scale on PostgreSQL: seed with COPY, rebuild the rollups, load the dashboards.

    .venv/bin/python benchmarks/analytics_seed_and_load.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/elearn_bench_analytics \
        [--scale 1.0] [--connections 32] [--requests 40] [--skip-seed]

1. drops and recreates the database named in the URL, migrates it, and seeds with COPY (the
   issue's scale at ``--scale 1``): 1,000,000 enrollments of 200,000 students in 1,000
   published courses of 50 tutors (5 lessons each; a quarter completed), 5,000,000 lesson
   progress rows, 200,000 card orders over the last year with their ledger entries (sale: the
   buyer's card to platform revenue and the tutor's pending earnings, 15 % fee), 5 % of them
   refunded in full, and 200 payouts; what the back office's series read (categories, course
   reviews, tutor applications, support tickets, tutors' availability and 50,000 lessons: see
   ``_seed_back_office``); the last lesson of every course a quiz of 10 questions with 200,000
   submitted attempts' answers per question (``analytics_quiz_answers``, what the quiz handler
   keeps: 2,000,000 rows), and the study time the progress rows' seconds were credited as, per
   student and quarter hour (``study_time``); then VACUUM ANALYZE;
2. times ``elearn analytics rebuild --from <a year ago>`` (the same use case, in-process);
3. loads the three dashboards through their use cases (no HTTP: the figure is the database
   path and the bucketing): first ``--cold-calls`` calls of one caller with the dashboard cache
   forgotten before each (the database path), then ``--connections`` concurrent callers each
   making ``--requests`` calls in turn with the cache as configured (10 s by default): the
   platform dashboard as an admin over the last 30 days by day and over the last year by month
   (with courses by category and status, tickets by status and the median review times), an
   instructor's (the busiest tutor: 20 courses; with their utilisation and its quiz questions
   hardest first) over 30 days by day, a student's (with study time per day); reports p50/p99
   per dashboard.

The machine is shared: the figures printed say so, and what the load average was.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.application.actor import Actor
from elearn.application.analytics.dashboards import RangeQuery
from elearn.domain.analytics.series import Bucket
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

COURSES, LESSONS, TUTORS = 1000, 5, 50
FEE_BPS = 1500
QUESTIONS = 10  # in each course's quiz (its last lesson)
QUIZ_DEFINITION = json.dumps(
    {
        "pass_mark_percent": 60,
        "max_attempts": None,
        "time_limit_seconds": None,
        "shuffle_questions": False,
        "shuffle_choices": False,
        "feedback": "score",
        "required": False,
        "reveal_answers": "never",
        "questions": [
            {"id": f"q{q}", "kind": "true_false", "prompt": f"Statement {q} is true.",
             "points": 1, "choices": [], "partial_credit": False, "correct_boolean": True,
             "accepted_answers": [], "numeric_answer": None, "tolerance": "0",
             "explanation": ""}
            for q in range(1, QUESTIONS + 1)
        ],
    }
)  # fmt: skip


def _quarter_hour(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _recreate(url: str) -> None:
    dsn = _dsn(url)
    name = dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await upgrade(url, find_migrations_dir(None), "head")


async def _seed(url: str, scale: float) -> dict[str, object]:
    rng = random.Random(18)
    now = datetime.now(UTC)
    year_ago = now - timedelta(days=365)
    enrollments = int(1_000_000 * scale)
    students = max(1, enrollments // 5)
    progress = int(5_000_000 * scale)
    orders = int(200_000 * scale)
    conn = await asyncpg.connect(_dsn(url))
    try:

        def when() -> datetime:
            return year_ago + timedelta(seconds=rng.randrange(365 * 86400))

        tutor_ids = [uuid.uuid4() for _ in range(TUTORS)]
        student_ids = [uuid.uuid4() for _ in range(students)]
        users = [
            (
                i,
                f"t{n}@bench.test",
                f"Tutor {n}",
                "tutor",
                "x",
                year_ago,
                year_ago,
                "active",
                False,
                "[]",
            )
            for n, i in enumerate(tutor_ids)
        ] + [
            (i, f"s{n}@bench.test", f"Student {n}", "student", "x", t, t, "active", False, "[]")
            for n, i in enumerate(student_ids)
            for t in (when(),)
        ]
        await conn.copy_records_to_table(
            "users",
            records=users,
            columns=["id", "email", "full_name", "role", "password_hash", "created_at",
                     "updated_at", "status", "totp_enabled", "recovery_code_hashes"],
        )  # fmt: skip
        course_ids = [uuid.uuid4() for _ in range(COURSES)]
        owner = {c: tutor_ids[n % TUTORS] for n, c in enumerate(course_ids)}
        await conn.copy_records_to_table(
            "courses",
            records=[
                (c, owner[c], f"course-{n}", f"Course {n}", "", "", "en", "beginner", "[]", "[]",
                 "[]", "published", LESSONS, 0, 0, 0, 0.0, year_ago, year_ago)
                for n, c in enumerate(course_ids)
            ],
            columns=["id", "owner_id", "slug", "title", "subtitle", "description", "language",
                     "level", "tags", "learning_outcomes", "requirements", "status",
                     "lesson_count", "duration_seconds", "enrollment_count", "rating_count",
                     "rating_average", "created_at", "updated_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "course_instructors",
            records=[(c, owner[c], 0) for c in course_ids],
            columns=["course_id", "user_id", "position"],
        )
        sections = {c: uuid.uuid4() for c in course_ids}
        await conn.copy_records_to_table(
            "course_sections",
            records=[(s, c, 0, "Basics", year_ago, year_ago) for c, s in sections.items()],
            columns=["id", "course_id", "position", "title", "created_at", "updated_at"],
        )
        lessons = {c: [uuid.uuid4() for _ in range(LESSONS)] for c in course_ids}
        await conn.copy_records_to_table(
            "lessons",
            records=[
                (lesson, c, sections[c], p, "quiz" if p == LESSONS - 1 else "text", f"L{p}", 60,
                 False, True, year_ago, year_ago)
                for c, ids in lessons.items()
                for p, lesson in enumerate(ids)
            ],
            columns=["id", "course_id", "section_id", "position", "kind", "title",
                     "duration_seconds", "is_free_preview", "is_required", "created_at",
                     "updated_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "quizzes",
            records=[(ids[-1], c, False, QUIZ_DEFINITION, year_ago) for c, ids in lessons.items()],
            columns=["lesson_id", "course_id", "required", "definition", "updated_at"],
        )

        # Each student takes 5 distinct courses; progress rows follow their enrollments.
        enrolled: list[tuple[uuid.UUID, uuid.UUID]] = []
        rows = []
        for n in range(enrollments):
            student = student_ids[n // 5]
            course = course_ids[(n * 7 + (n // 5) * 13) % COURSES]
            at = when()
            done = rng.random() < 0.25
            percent = 100 if done else rng.choice((0, 10, 40, 60, 80))
            completed = at + timedelta(days=rng.randrange(1, 30)) if done else None
            if completed is not None and completed > now:
                completed = now
            rows.append(
                (
                    uuid.uuid4(),
                    student,
                    course,
                    "purchase",
                    "completed" if done else "active",
                    percent,
                    at,
                    at,
                    at,
                    completed,
                )
            )
            enrolled.append((student, course))
        await conn.copy_records_to_table(
            "enrollments",
            records=rows,
            columns=["id", "user_id", "course_id", "source", "status", "progress_percent",
                     "enrolled_at", "created_at", "updated_at", "completed_at"],
        )  # fmt: skip
        del rows
        progress_rows = []
        # A student's progress rows come one after another: their study time per quarter hour
        # is summed for one student at a time (two rows may share a quarter hour).
        study_rows: list[tuple[uuid.UUID, datetime, int]] = []
        studied: dict[datetime, int] = {}
        studying: uuid.UUID | None = None
        for n in range(progress):
            student, course = enrolled[(n // LESSONS) % len(enrolled)]
            lesson = lessons[course][n % LESSONS]
            if n >= len(enrolled) * LESSONS:
                break
            at = when()
            seconds = rng.randrange(60, 3600)
            progress_rows.append((student, lesson, course, 0, seconds, at))
            if student != studying:
                study_rows += [(studying, q, sec) for q, sec in studied.items() if studying]
                studied, studying = {}, student
            studied[_quarter_hour(at)] = studied.get(_quarter_hour(at), 0) + seconds
        study_rows += [(studying, q, sec) for q, sec in studied.items() if studying]
        await conn.copy_records_to_table(
            "lesson_progress",
            records=progress_rows,
            columns=["user_id", "lesson_id", "course_id", "position_seconds", "seconds_spent",
                     "updated_at"],
        )  # fmt: skip
        del progress_rows
        await conn.copy_records_to_table(
            "study_time", records=study_rows, columns=["user_id", "quarter_hour", "seconds"]
        )
        del study_rows
        # One submitted attempt per five enrollments, at its course's quiz; question q is right
        # in (25 + 6q) % of them (q1 the hardest on average; any may be in a small sample).
        answer_rows = []
        for n in range(0, len(enrolled), 5):
            student, course = enrolled[n]
            attempt, at = uuid.uuid4(), when()
            answer_rows += [
                (attempt, f"q{q}", course, lessons[course][-1], at, rng.random() < 0.25 + 0.06 * q)
                for q in range(1, QUESTIONS + 1)
            ]
        await conn.copy_records_to_table(
            "analytics_quiz_answers",
            records=answer_rows,
            columns=["attempt_id", "question_id", "course_id", "lesson_id", "submitted_at",
                     "correct"],
        )  # fmt: skip
        answers = len(answer_rows)
        del answer_rows

        accounts: dict[tuple[str, uuid.UUID | None], uuid.UUID] = {}

        def account(kind: str, owner_id: uuid.UUID | None = None) -> uuid.UUID:
            return accounts.setdefault((kind, owner_id), uuid.uuid4())

        order_rows, entry_rows, line_rows = [], [], []
        for n in range(orders):
            buyer = student_ids[n % students]
            course = course_ids[n % COURSES]
            gross = rng.choice((1999, 2999, 4999))
            fee = gross * FEE_BPS // 10_000
            at = when()
            order_id = uuid.uuid4()
            refunded = rng.random() < 0.05
            order_rows.append((order_id, buyer, "course", "card", gross, "USD", FEE_BPS,
                               "refunded" if refunded else "succeeded",
                               gross if refunded else 0, at, at, course))  # fmt: skip
            moves = [("card_payment", f"sale:{order_id}", at,
                      [(account("provider_clearing"), -gross),
                       (account("platform_revenue"), fee),
                       (account("tutor_pending", owner[course]), gross - fee)])]  # fmt: skip
            if refunded:
                back = min(at + timedelta(days=2), now)
                moves.append(
                    (
                        "refund",
                        f"refund:{order_id}",
                        back,
                        [
                            (account("provider_clearing"), gross),
                            (account("platform_revenue"), -fee),
                            (account("tutor_pending", owner[course]), -(gross - fee)),
                        ],
                    )
                )
            for kind, key, posted, lines in moves:
                entry = uuid.uuid4()
                entry_rows.append((entry, key, kind, posted, "", posted, posted, order_id))
                line_rows += [(uuid.uuid4(), entry, a, amount, posted, posted, posted)
                              for a, amount in lines]  # fmt: skip
        for n in range(200):
            tutor = tutor_ids[n % TUTORS]
            posted, entry = when(), uuid.uuid4()
            entry_rows.append((entry, f"payout:{n}", "payout", posted, "", posted, posted, None))
            line_rows += [
                (uuid.uuid4(), entry, account("tutor_hold", tutor), -1000, posted, posted, posted),
                (uuid.uuid4(), entry, account("payouts"), 1000, posted, posted, posted),
            ]
        await conn.copy_records_to_table(
            "orders",
            records=order_rows,
            columns=["id", "buyer_id", "kind", "method", "amount", "currency", "platform_bps",
                     "status", "refunded_amount", "created_at", "updated_at", "course_id"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "ledger_accounts",
            records=[
                (i, f"{kind}:{o or '-'}:USD", kind, "USD", o, 0, year_ago, year_ago)
                for (kind, o), i in accounts.items()
            ],
            columns=["id", "key", "kind", "currency", "owner_id", "balance", "created_at",
                     "updated_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "journal_entries",
            records=entry_rows,
            columns=["id", "key", "kind", "posted_at", "memo", "created_at", "updated_at",
                     "reference_id"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "journal_lines",
            records=line_rows,
            columns=["id", "entry_id", "account_id", "amount", "posted_at", "created_at",
                     "updated_at"],
        )  # fmt: skip
        await _seed_back_office(conn, rng, now, scale, tutor_ids, student_ids, course_ids)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return {
        "since": year_ago,
        "tutor": tutor_ids[0],
        "student": student_ids[0],
        "counts": (enrollments, progress, orders, len(line_rows), answers),
    }


async def _seed_back_office(
    conn: asyncpg.Connection,
    rng: random.Random,
    now: datetime,
    scale: float,
    tutor_ids: list[uuid.UUID],
    student_ids: list[uuid.UUID],
    course_ids: list[uuid.UUID],
) -> None:
    """What the back office's series read: 20 categories over the courses, each course's
    review (submitted, a fifth rejected and resubmitted, approved, published), tutor
    applications decided after hours to weeks (20,000 at scale 1), support tickets in every
    status (100,000), the tutors' weekly availability (weekdays 09:00-17:00 in their zone) and
    their lessons (50,000 spread over the year: 60 % completed, 20 % confirmed, 20 %
    cancelled)."""
    year_ago = now - timedelta(days=365)

    def when() -> datetime:
        return year_ago + timedelta(seconds=rng.randrange(365 * 86400))

    categories = [uuid.uuid4() for _ in range(20)]
    await conn.copy_records_to_table(
        "categories",
        records=[(c, f"Category {n}", f"category-{n}", "", year_ago, year_ago)
                 for n, c in enumerate(categories)],
        columns=["id", "name", "slug", "description", "created_at", "updated_at"],
    )  # fmt: skip
    await conn.executemany(
        "UPDATE courses SET category_id = $1 WHERE id = $2",
        [(categories[n % len(categories)], c) for n, c in enumerate(course_ids)],
    )
    transitions = []
    for course in course_ids:
        at = when() - timedelta(days=30)
        steps = [("submit", "draft", "pending")]
        if rng.random() < 0.2:
            steps += [("reject", "pending", "rejected"), ("revise", "rejected", "draft"),
                      ("submit", "draft", "pending")]  # fmt: skip
        steps += [("approve", "pending", "approved"), ("publish", "approved", "published")]
        for action, before, after in steps:
            at = min(at + timedelta(minutes=rng.randrange(5, 5 * 24 * 60)), now)
            transitions.append((uuid.uuid4(), course, at, action, before, after, at, at))
    await conn.copy_records_to_table(
        "course_transitions",
        records=transitions,
        columns=["id", "course_id", "at", "action", "from_status", "to_status", "created_at",
                 "updated_at"],
    )  # fmt: skip
    applications = []
    for n in range(max(10, int(20_000 * scale))):
        submitted = when()
        decided: datetime | None = submitted + timedelta(minutes=rng.randrange(60, 21 * 1440))
        status = rng.choice(("approved", "approved", "rejected"))
        if (decided is not None and decided > now) or rng.random() < 0.05:
            decided, status = None, "pending"
        applications.append((uuid.uuid4(), student_ids[n % len(student_ids)], "Tutor", "[]",
                             "cv", "certificate", status, submitted, decided, submitted,
                             submitted))  # fmt: skip
    await conn.copy_records_to_table(
        "tutor_applications",
        records=applications,
        columns=["id", "user_id", "headline", "subjects", "cv_key", "certificate_key",
                 "status", "submitted_at", "decided_at", "created_at", "updated_at"],
    )  # fmt: skip
    statuses = ("open", "assigned", "waiting_on_customer", "resolved", "closed")
    tickets = []
    for n in range(max(10, int(100_000 * scale))):
        opened = when()
        tickets.append((uuid.uuid4(), student_ids[n % len(student_ids)], "Help",
                        rng.choice(("payment", "account", "technical", "course", "tutoring")),
                        "medium", 2, rng.choice(statuses), opened, opened,
                        opened + timedelta(hours=4), opened + timedelta(days=2), opened,
                        opened))  # fmt: skip
    await conn.copy_records_to_table(
        "support_tickets",
        records=tickets,
        columns=["id", "customer_id", "subject", "category", "priority", "priority_rank",
                 "status", "opened_at", "activity_at", "first_response_due", "resolution_due",
                 "created_at", "updated_at"],
    )  # fmt: skip
    weekdays = "[" + ",".join(f"[{d},540,1020]" for d in range(5)) + "]"
    await conn.copy_records_to_table(
        "tutor_availability",
        records=[(t, "Europe/Berlin", weekdays, "[60]", 0, 720, 60, "[]", year_ago)
                 for t in tutor_ids],
        columns=["tutor_id", "time_zone", "windows", "durations", "buffer_minutes",
                 "minimum_notice_minutes", "maximum_days_ahead", "exceptions", "updated_at"],
    )  # fmt: skip
    per_tutor = max(1, int(50_000 * scale) // len(tutor_ids))
    # Spread over the year (every 8.76 hours at scale 1), an hour each: never overlapping.
    every = max(timedelta(hours=2), timedelta(days=365) / per_tutor)
    bookings = []
    for t, tutor in enumerate(tutor_ids):
        for k in range(per_tutor):
            starts = (year_ago + every * k + timedelta(minutes=t)).replace(microsecond=0)
            ends = starts + timedelta(hours=1)
            roll = rng.random()
            status = "cancelled_by_student" if roll < 0.2 else (
                "completed" if ends < now and roll < 0.8 else "confirmed")  # fmt: skip
            ended = starts - timedelta(days=1) if status.startswith("cancelled") else None
            booked = starts - timedelta(days=3)
            bookings.append((uuid.uuid4(), tutor, student_ids[(t * per_tutor + k) %
                             len(student_ids)], starts, ends, ends, status, 4000, "USD", 24,
                             100, 0, 0, booked, "", 0, booked, ended, booked, booked))  # fmt: skip
    await conn.copy_records_to_table(
        "bookings",
        records=bookings,
        columns=["id", "tutor_id", "student_id", "starts_at", "ends_at", "blocks_until",
                 "status", "price_amount", "price_currency", "cutoff_hours",
                 "refund_percent_before", "refund_percent_after", "buffer_minutes",
                 "held_until", "note", "sequence", "confirmed_at", "ended_at", "created_at",
                 "updated_at"],
    )  # fmt: skip


async def _run(args: argparse.Namespace) -> None:
    url = args.database_url
    started = time.perf_counter()
    if not args.skip_seed:
        await _recreate(url)
    seeded = await _seed(url, args.scale) if not args.skip_seed else None
    if seeded is not None:
        print(f"seeded {seeded['counts']} (enrollments, progress, orders, journal lines, "
              f"quiz answers) in {time.perf_counter() - started:.0f} s")  # fmt: skip
    var = Path(os.environ.get("TMPDIR", "/tmp")) / "elearn-bench-analytics"
    settings = Settings(
        env="test",
        database_url=url,
        database_pool_size=args.connections + 4,
        var_dir=str(var),
        jwt_secret="bench-only-jwt-secret-" + "0" * 24,
        media_signing_key="bench-only-media-key-" + "0" * 24,
        log_format="console",
        log_level="WARNING",
    )
    container = bootstrap(settings, broker=build_broker(None))
    # What the API process does once started (its lifespan): start-up's objects out of the
    # collector's full passes, whose pauses would otherwise be this load's slowest calls.
    gc.collect()
    gc.freeze()
    try:
        since = seeded["since"] if seeded else datetime.now(UTC) - timedelta(days=365)
        load = os.getloadavg()[0]
        began = time.perf_counter()
        written = await container.analytics.rebuild(since)
        print(f"rebuild: {written} rollup rows in {time.perf_counter() - began:.1f} s "
              f"(1-min load average before: {load:.1f}, shared machine)")  # fmt: skip

        async with container.sessions() as session:
            from sqlalchemy import text

            # A rebuild rewrote every row: autovacuum would analyse them soon; do it now.
            await session.execute(text("ANALYZE analytics_rollups"))
            await session.commit()

            tutor = (await session.execute(text(
                "SELECT user_id FROM course_instructors GROUP BY user_id "
                "ORDER BY count(*) DESC LIMIT 1"))).scalar_one()  # fmt: skip
            student = (await session.execute(text(
                "SELECT user_id FROM enrollments LIMIT 1"))).scalar_one()  # fmt: skip
        a = container.analytics
        admin = Actor(user_id=uuid.uuid4(), role=Role.ADMIN, email_verified=True)
        instructor = Actor(user_id=tutor, role=Role.TUTOR, email_verified=True)
        learner = Actor(user_id=student, role=Role.STUDENT, email_verified=True)
        query = RangeQuery()
        year = RangeQuery(
            first=(datetime.now(UTC) - timedelta(days=364)).date(), bucket=Bucket.MONTH
        )
        calls = {
            "platform (30 days by day)": lambda: a.platform_dashboard(admin, query),
            "platform (a year by month)": lambda: a.platform_dashboard(admin, year),
            "instructor (30 days by day)": lambda: a.instructor_dashboard(instructor, query),
            "student": lambda: a.student_dashboard(learner),
        }
        shown = await a.instructor_dashboard(instructor, query)
        studied = await a.student_dashboard(learner)
        print(f"instructor: {len(shown.quiz_questions)} quiz questions, hardest "
              f"{shown.hardest_question}; student: {sum(studied.study_time.datasets[0].data)} s "
              "of study in the last 30 days")  # fmt: skip
        for name, call in calls.items():
            # Warm, as a running server's pool is: a connection per concurrent caller.
            await asyncio.gather(*(call() for _ in range(args.connections)))
            # Cold: the database path of one caller, the dashboard cache forgotten each time.
            cold: list[float] = []
            for _ in range(args.cold_calls):
                a.deps.answers.invalidate()
                t0 = time.perf_counter()
                await call()
                cold.append((time.perf_counter() - t0) * 1000)
            cold.sort()
            print(
                f"{name}: cold, one caller: p50 {statistics.median(cold):.1f} ms, "
                f"max {cold[-1]:.1f} ms over {len(cold)} calls"
            )
            timings: list[float] = []

            async def caller(call=call, timings=timings) -> None:  # type: ignore[no-untyped-def]
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    await call()
                    timings.append((time.perf_counter() - t0) * 1000)

            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            await asyncio.gather(*(caller() for _ in range(args.connections)))
            wall = time.perf_counter() - t0
            timings.sort()
            p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
            print(
                f"{name}: {len(timings)} calls, {args.connections} at once (dashboard cache "
                f"{settings.analytics_cache_seconds:g} s), "
                f"p50 {statistics.median(timings):.1f} ms, p99 {p99:.1f} ms, "
                f"{len(timings) / wall:.0f}/s (load average {load:.1f}, shared machine)"
            )
    finally:
        await container.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--cold-calls", type=int, default=10)
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
