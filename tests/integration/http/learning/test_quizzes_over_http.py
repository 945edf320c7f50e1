"""Quizzes over HTTP, on SQLite and PostgreSQL: who sets a quiz and which definitions are
refused, the paper a student gets (no answers in it, a stable shuffled order), scoring and the
three feedback modes, refused answers, the attempt limit, the time limit as the server keeps it
(with a clock the test moves), who may read an attempt, and a required quiz holding back the
course's completion."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from tests.integration.http.learning.helpers import LESSONS, QUIZ, RIGHT_ANSWERS, enroll
from tests.support.apps import MovableClock, app_with_clock
from tests.support.catalog import (
    add_co_instructor,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    seed_people,
)
from tests.support.identity import problem

from elearn.entrypoints.settings import Settings

ATTEMPTS = "/api/v1/attempts"
WRONG_ANSWERS = {"capital": "lyon", "even": ["two", "three"], "sky": False, "lang": "Java", "pi": 3}


# ---- helpers ---------------------------------------------------------------------------------
def quiz(**changes: Any) -> dict[str, Any]:
    """The shared five-question quiz (6 points, pass mark 60) with explanations, changed."""
    body = copy.deepcopy(QUIZ)
    body["max_attempts"] = None
    for question in body["questions"]:
        question["explanation"] = f"Because of {question['id']}."
    body.update(changes)
    return body


async def quiz_course(
    client: Any,
    tutor: dict[str, str],
    manager: dict[str, str] | None,
    quizzes: dict[str, dict[str, Any] | None],
) -> tuple[dict[str, Any], str, dict[str, str]]:
    """A course with a required text lesson and one quiz lesson per entry of ``quizzes`` (set
    unless None); published when ``manager`` is given. Returns the course, the text lesson's id
    and the quiz lessons' ids by name."""
    course = await create_course(client, tutor, title="Quizzing")
    section = await add_section(client, tutor, course["id"])
    text = await add_lesson(client, tutor, section["id"], title="Reading")
    lessons = {}
    for name, definition in quizzes.items():
        lesson = await add_lesson(client, tutor, section["id"], kind="quiz", title=name, text=None)
        lessons[name] = lesson["id"]
        if definition is not None:
            response = await set_quiz(client, tutor, lesson["id"], definition)
            assert response.status_code == 200, response.text
    if manager is not None:
        for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
            response = await move(client, headers, course["id"], action)
            assert response.status_code == 200, response.text
    return course, text["id"], lessons


async def set_quiz(client: Any, headers: dict[str, str], lesson_id: str, body: Any) -> Any:
    return await client.put(f"{LESSONS}/{lesson_id}/quiz", json=body, headers=headers)


async def start(client: Any, headers: dict[str, str], lesson_id: str, status: int = 201) -> Any:
    response = await client.post(f"{LESSONS}/{lesson_id}/attempts", headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def submit(client: Any, headers: dict[str, str], attempt_id: str, answers: Any) -> Any:
    return await client.post(
        f"{ATTEMPTS}/{attempt_id}/submit", json={"answers": answers}, headers=headers
    )


async def definition_of(client: Any, tutor: dict[str, str], lesson_id: str) -> dict[str, Any]:
    response = await client.get(f"{LESSONS}/{lesson_id}", headers=tutor)
    assert response.status_code == 200, response.text
    return response.json()["quiz"]["definition"]  # type: ignore[no-any-return]


async def visit(client: Any, headers: dict[str, str], lesson_id: str) -> None:
    """Time spent on a lesson: it gives the lesson a progress row. Failed attempts need one
    (see test_a_first_attempt_failed_before_any_progress_is_scored)."""
    response = await client.put(
        f"{LESSONS}/{lesson_id}/progress", json={"seconds_spent": 30}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["completed"] is False


def paper_order(attempt: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(q["id"], [c["id"] for c in q["choices"]]) for q in attempt["questions"]]


# ---- setting a quiz --------------------------------------------------------------------------
async def test_only_the_course_instructors_set_a_valid_quiz(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    cotutor = await headers_of(client, "cotutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    stranger = await headers_of(client, "pending")
    course, text_id, lessons = await quiz_course(client, tutor, manager, {"check": quiz()})
    lesson_id = lessons["check"]
    await add_co_instructor(client, tutor, course["id"], cotutor)
    await enroll(client, student, course["id"])
    original = await definition_of(client, tutor, lesson_id)
    assert [q["id"] for q in original["questions"]] == ["capital", "even", "sky", "lang", "pi"]
    # The key of a numeric question comes back as the number it was set to, not a string.
    assert (original["questions"][4]["numeric_answer"], original["questions"][4]["tolerance"]) == (
        3.14,
        0.005,
    )

    # Who may: the course's instructors, nobody else.
    smaller = quiz(questions=QUIZ["questions"][:2], pass_mark_percent=50)
    for outsider in (student, stranger, manager):
        problem(await set_quiz(client, outsider, lesson_id, smaller), 403, "permission-denied")
    problem(await set_quiz(client, {}, lesson_id, smaller), 401)
    problem(await set_quiz(client, tutor, str(uuid.uuid4()), smaller), 404, "lesson-not-found")
    problem(await set_quiz(client, tutor, text_id, smaller), 422, "not-a-quiz-lesson")
    assert await definition_of(client, tutor, lesson_id) == original

    # Definitions breaking a rule (422), then malformed bodies (400); none is stored.
    single, tf, short, numeric = (copy.deepcopy(QUIZ["questions"][i]) for i in (0, 2, 3, 4))
    both_correct = copy.deepcopy(single)
    both_correct["choices"][1]["correct"] = True
    broken_definitions = [
        [both_correct],
        [{**tf, "correct_boolean": None}],
        [single, {**single, "prompt": "Again?"}],  # the same id twice
        [{**short, "accepted_answers": ["  "]}],
        [{**numeric, "choices": single["choices"]}],
        [{**single, "partial_credit": True}],
        [{**single, "choices": single["choices"][:1]}],
        [{**numeric, "numeric_answer": None}],
        [{**numeric, "tolerance": -1}],
    ]
    for questions in broken_definitions:
        problem(
            await set_quiz(client, tutor, lesson_id, quiz(questions=questions)),
            422,
            "invalid-quiz",
        )
    malformed = [
        quiz(questions=[]),
        {k: v for k, v in quiz().items() if k != "questions"},
        quiz(surprise=True),
        quiz(questions=[{**single, "points": "two"}]),
        quiz(questions=[{**single, "kind": "essay"}]),
        quiz(questions=[{**single, "colour": "red"}]),
        quiz(pass_mark_percent=101),
        quiz(time_limit_seconds=5),
        quiz(max_attempts=0),
        quiz(feedback="loud"),
        [quiz()],
        # Numbers are JSON numbers, not decimal strings.
        quiz(questions=[{**QUIZ["questions"][-1], "numeric_answer": "3.14"}]),
    ]
    for body in malformed:
        problem(await set_quiz(client, tutor, lesson_id, body), 400)
    assert await definition_of(client, tutor, lesson_id) == original

    # A co-instructor replaces the whole quiz.
    response = await set_quiz(client, cotutor, lesson_id, smaller)
    assert response.status_code == 200, response.text
    stored = await definition_of(client, tutor, lesson_id)
    assert [q["id"] for q in stored["questions"]] == ["capital", "even"]
    assert stored["pass_mark_percent"] == 50
    as_student = await client.get(f"{LESSONS}/{lesson_id}", headers=student)
    assert as_student.json()["quiz"]["definition"] is None
    assert as_student.json()["quiz"]["question_count"] == 2
    assert "Paris" not in as_student.text and "correct" not in as_student.text

    # Who cannot see a draft is told its lessons do not exist.
    _, _, draft_lessons = await quiz_course(client, tutor, None, {"hidden": None})
    problem(await set_quiz(client, student, draft_lessons["hidden"], smaller), 404)
    assert (await set_quiz(client, tutor, draft_lessons["hidden"], smaller)).status_code == 200


# ---- the paper -------------------------------------------------------------------------------
async def test_the_paper_hides_the_answers_and_keeps_its_shuffled_order(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    stranger = await headers_of(client, "pending")
    secret_quiz = quiz(
        shuffle_questions=True,
        shuffle_choices=True,
        questions=[
            {
                "id": f"q{n}",
                "kind": "multiple_choice" if n % 2 else "single_choice",
                "prompt": f"Pick for {n}",
                "choices": [
                    {"id": f"c{n}-{k}", "text": f"Option {k}", "correct": k == 0} for k in range(4)
                ],
                "explanation": f"EXPLAINED-SECRET-{n}",
            }
            for n in range(8)
        ]
        + [
            {
                "id": "words",
                "kind": "short_text",
                "prompt": "Say it",
                "accepted_answers": ["ACCEPTED-SECRET"],
            },
            {
                "id": "number",
                "kind": "numeric",
                "prompt": "Count it",
                "numeric_answer": 271.828,
                "tolerance": 0.0042,
            },
            {"id": "truth", "kind": "true_false", "prompt": "Is it?", "correct_boolean": False},
        ],
    )
    course, text_id, lessons = await quiz_course(
        client, tutor, manager, {"secret": secret_quiz, "unset": None}
    )
    lesson_id = lessons["secret"]

    # Only enrolled students take quizzes.
    problem(await client.post(f"{LESSONS}/{lesson_id}/attempts"), 401)
    for outsider in (stranger, tutor, manager):
        problem(
            await client.post(f"{LESSONS}/{lesson_id}/attempts", headers=outsider),
            403,
            "not-enrolled",
        )
    await enroll(client, student, course["id"])
    problem(
        await client.post(f"{LESSONS}/{uuid.uuid4()}/attempts", headers=student),
        404,
        "lesson-not-found",
    )
    problem(
        await client.post(f"{LESSONS}/{lessons['unset']}/attempts", headers=student),
        404,
        "quiz-not-found",
    )
    problem(
        await client.post(f"{LESSONS}/{text_id}/attempts", headers=student), 404, "quiz-not-found"
    )

    started = await client.post(f"{LESSONS}/{lesson_id}/attempts", headers=student)
    assert started.status_code == 201, started.text
    attempt = started.json()
    for leak in ("correct", "accepted", "numeric_answer", "tolerance", "explanation", "SECRET"):
        assert leak not in started.text, leak
    assert "271.828" not in started.text and "0.0042" not in started.text
    assert attempt["status"] == "in_progress"
    assert attempt["number"] == 1
    assert attempt["deadline"] is None
    assert (attempt["answers"], attempt["score"], attempt["feedback"]) == (None, None, None)
    assert attempt["max_score"] == 11 and attempt["pass_mark_percent"] == 60
    assert set(attempt["questions"][0]) == {"id", "kind", "prompt", "points", "choices"}
    order = paper_order(attempt)
    definition_order = [
        (q["id"], [c["id"] for c in q.get("choices", [])]) for q in secret_quiz["questions"]
    ]
    assert {q: sorted(c) for q, c in order} == {q: sorted(c) for q, c in definition_order}
    assert order != definition_order  # 11 questions: shuffled, unless a 1-in-11! chance
    # The same paper on every read, and back from "start" while the attempt is open.
    read = await client.get(f"{ATTEMPTS}/{attempt['id']}", headers=student)
    assert read.status_code == 200, read.text
    assert paper_order(read.json()) == order
    again = await start(client, student, lesson_id, status=200)
    assert (again["id"], again["number"], paper_order(again)) == (attempt["id"], 1, order)
    for leak in ("SECRET", "correct", "tolerance"):
        assert leak not in read.text


# ---- scoring, feedback, limits and who reads an attempt --------------------------------------
async def test_scoring_feedback_limits_and_who_reads_an_attempt(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    admin = await headers_of(client, "admin")
    student = await headers_of(client, "student")
    other = await headers_of(client, "pending")  # another student of the course
    course, _, lessons = await quiz_course(
        client,
        tutor,
        manager,
        {
            "full": quiz(feedback="full"),
            "correctness": quiz(feedback="correctness"),
            "none": quiz(feedback="none"),
            "twice": quiz(max_attempts=2),
        },
    )
    await enroll(client, student, course["id"])
    await enroll(client, other, course["id"])
    for lesson_id in lessons.values():
        await visit(client, student, lesson_id)

    # Full feedback: wrong answers score nothing; the key and the explanations wait until the
    # student passes (more attempts remain, and the key would pass the next one).
    paper = await start(client, student, lessons["full"])
    before = (await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)).json()
    assert (before["feedback"], before["answers"], before["passed"]) == (None, None, None)
    for leak in ("correct", "Because of"):
        assert leak not in str(before)

    # Answers the quiz cannot have asked for are refused whole; the attempt stays open.
    refused_answers = [
        {**WRONG_ANSWERS, "colour": "red"},
        {"capital": 1},
        {"capital": "marseille"},
        {"even": "two"},
        {"sky": "yes"},
        {"lang": 42},
        {"pi": "3.14"},
        {"pi": True},
    ]
    for answers in refused_answers:
        problem(await submit(client, student, paper["id"], answers), 422, "invalid-answers")
    for body in ({}, {"answers": []}, {"answers": {"capital": "paris"}, "extra": 1}):
        response = await client.post(f"{ATTEMPTS}/{paper['id']}/submit", json=body, headers=student)
        problem(response, 400)
    still = (await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)).json()
    assert (still["status"], still["answers"], still["score"]) == ("in_progress", None, None)
    assert (await start(client, student, lessons["full"], status=200))["id"] == paper["id"]

    wrong = await submit(client, student, paper["id"], WRONG_ANSWERS)
    assert wrong.status_code == 200, wrong.text
    result = wrong.json()
    assert result["status"] == "submitted" and result["submitted_at"] is not None
    assert (result["score"], result["percent"], result["passed"]) == (0, 0, False)
    assert result["max_score"] == 6
    feedback = {f["question_id"]: f for f in result["feedback"]}
    assert [f["question_id"] for f in result["feedback"]] == list(RIGHT_ANSWERS)
    assert all(f["correct"] is False and f["points_awarded"] == 0 for f in feedback.values())
    assert all(f["correct_answer"] is None and f["explanation"] is None for f in feedback.values())
    assert feedback["capital"]["points_possible"] == 2
    assert sorted(result["answers"]["even"]) == ["three", "two"]
    problem(await submit(client, student, paper["id"], RIGHT_ANSWERS), 409, "attempt-closed")
    lesson = (await client.get(f"{LESSONS}/{lessons['full']}", headers=student)).json()
    assert lesson["progress"]["completed"] is False
    assert lesson["quiz"]["mine"]["attempts_used"] == 1
    assert lesson["quiz"]["mine"]["passed"] is False

    # Who reads the attempt: its student, the course's instructor and staff (who hold the key
    # and see it); not another student, who cannot submit it either.
    for reader, key in ((student, None), (tutor, "paris"), (manager, "paris"), (admin, "paris")):
        response = await client.get(f"{ATTEMPTS}/{paper['id']}", headers=reader)
        assert response.status_code == 200, response.text
        assert response.json()["feedback"][0]["correct_answer"] == key
    problem(await client.get(f"{ATTEMPTS}/{paper['id']}", headers=other), 404, "attempt-not-found")
    problem(await client.get(f"{ATTEMPTS}/{paper['id']}"), 401)
    problem(await client.get(f"{ATTEMPTS}/{uuid.uuid4()}", headers=tutor), 404)
    theirs = await start(client, other, lessons["full"])
    problem(await submit(client, student, theirs["id"], RIGHT_ANSWERS), 404, "attempt-not-found")
    problem(await submit(client, tutor, theirs["id"], RIGHT_ANSWERS), 404, "attempt-not-found")

    # A second attempt with the key passes and completes the lesson.
    second = await start(client, student, lessons["full"])
    assert second["number"] == 2
    passed = (await submit(client, student, second["id"], RIGHT_ANSWERS)).json()
    assert (passed["score"], passed["percent"], passed["passed"]) == (6, 100, True)
    # Passed: the key and the explanations show now, on the failed attempt too.
    wrong_again = (await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)).json()
    feedback = {f["question_id"]: f for f in wrong_again["feedback"]}
    assert feedback["capital"]["correct_answer"] == "paris"
    assert feedback["even"]["correct_answer"] == ["four", "two"]
    assert feedback["sky"]["correct_answer"] is True
    assert feedback["lang"]["correct_answer"] == ["Python"]
    assert feedback["pi"]["correct_answer"] == 3.14
    assert feedback["capital"]["explanation"] == "Because of capital."
    lesson = (await client.get(f"{LESSONS}/{lessons['full']}", headers=student)).json()
    assert lesson["progress"]["completed"] is True
    assert lesson["quiz"]["mine"]["passed"] is True

    # Correctness feedback with partial credit: 2 + 1/2 + 1 + 0 + 0 = 3.5 of 6, under 60%.
    partial = {"capital": "paris", "even": ["two"], "sky": True, "pi": 3.15}
    paper = await start(client, student, lessons["correctness"])
    response = await submit(client, student, paper["id"], partial)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["score"], result["percent"], result["passed"]) == (3.5, 58.33, False)
    feedback = {f["question_id"]: f for f in result["feedback"]}
    assert {k: (f["correct"], f["points_awarded"]) for k, f in feedback.items()} == {
        "capital": (True, 2),
        "even": (False, 0.5),
        "sky": (True, 1),
        "lang": (False, 0),
        "pi": (False, 0),
    }
    assert all(f["correct_answer"] is None and f["explanation"] is None for f in feedback.values())
    assert "Because of" not in response.text and "Python" not in response.text
    assert "lang" not in result["answers"]
    read = (await client.get(f"{ATTEMPTS}/{paper['id']}", headers=tutor)).json()
    assert read["score"] == 3.5 and read["feedback"] == result["feedback"]

    # No feedback: the score and the verdict only.
    paper = await start(client, student, lessons["none"])
    result = (await submit(client, student, paper["id"], RIGHT_ANSWERS)).json()
    assert (result["percent"], result["passed"], result["feedback"]) == (100, True, [])
    read = await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)
    assert read.json()["feedback"] == [] and "paris" not in str(read.json()["feedback"])

    # The attempt limit counts every attempt started.
    for _ in range(2):
        paper = await start(client, student, lessons["twice"])
        assert (await submit(client, student, paper["id"], {})).json()["percent"] == 0
    problem(
        await client.post(f"{LESSONS}/{lessons['twice']}/attempts", headers=student),
        422,
        "attempt-limit-reached",
    )
    lesson = (await client.get(f"{LESSONS}/{lessons['twice']}", headers=student)).json()
    assert (lesson["quiz"]["mine"]["attempts_used"], lesson["quiz"]["mine"]["attempts_left"]) == (
        2,
        0,
    )
    # Another student has their own count.
    assert (await start(client, other, lessons["twice"]))["number"] == 1


# ---- time ------------------------------------------------------------------------------------
async def test_the_server_keeps_the_time_limit_with_a_short_grace(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, _, lessons = await quiz_course(
        client, tutor, manager, {"timed": quiz(time_limit_seconds=60)}
    )
    await enroll(client, student, course["id"])
    lesson_id = lessons["timed"]
    clock = MovableClock(datetime.now(UTC).replace(microsecond=123456) + timedelta(seconds=1))

    async with app_with_clock(settings, clock) as timed:
        began = clock.current
        first = await start(timed, student, lesson_id)
        assert datetime.fromisoformat(first["started_at"]) == began
        assert datetime.fromisoformat(first["deadline"]) == began + timedelta(seconds=60)

        # Until the deadline and its 30-second grace the attempt is open...
        clock.current = began + timedelta(seconds=90)
        assert (await start(timed, student, lesson_id, status=200))["id"] == first["id"]
        # ...one second later it is over: not submitted, not open, a new one starts.
        clock.current = began + timedelta(seconds=91)
        problem(await submit(timed, student, first["id"], RIGHT_ANSWERS), 422, "attempt-time-over")
        over = (await timed.get(f"{ATTEMPTS}/{first['id']}", headers=student)).json()
        assert (over["status"], over["score"], over["answers"]) == ("in_progress", None, None)
        second = await start(timed, student, lesson_id)
        assert second["number"] == 2
        assert datetime.fromisoformat(second["deadline"]) == clock.current + timedelta(seconds=60)

        # Submitted at the last second of the grace: accepted and scored.
        clock.current += timedelta(seconds=90)
        response = await submit(timed, student, second["id"], RIGHT_ANSWERS)
        assert response.status_code == 200, response.text
        assert response.json()["passed"] is True
        assert datetime.fromisoformat(response.json()["submitted_at"]) == clock.current
        problem(await submit(timed, student, first["id"], RIGHT_ANSWERS), 422, "attempt-time-over")
        lesson = (await timed.get(f"{LESSONS}/{lesson_id}", headers=student)).json()
        assert lesson["quiz"]["mine"]["attempts_used"] == 2
        assert lesson["quiz"]["mine"]["open_attempt_id"] is None
        assert lesson["progress"]["completed"] is True


# ---- completion ------------------------------------------------------------------------------
async def test_a_failed_required_quiz_holds_back_the_course(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, text_id, lessons = await quiz_course(client, tutor, manager, {"exam": quiz()})
    exam = lessons["exam"]
    await enroll(client, student, course["id"])

    async def enrollment() -> dict[str, Any]:
        (found,) = (await client.get("/api/v1/me/enrollments", headers=student)).json()["items"]
        return found  # type: ignore[no-any-return]

    done = await client.put(
        f"{LESSONS}/{text_id}/progress", json={"completed": True}, headers=student
    )
    assert (done.json()["course_progress_percent"], done.json()["enrollment_status"]) == (
        50,
        "active",
    )
    await visit(client, student, exam)
    failed = await start(client, student, exam)
    assert (await submit(client, student, failed["id"], WRONG_ANSWERS)).json()["passed"] is False
    assert ((await enrollment())["progress_percent"], (await enrollment())["status"]) == (
        50,
        "active",
    )

    # Marking the quiz lesson done by hand is refused: only passing completes it.
    marked = await client.put(
        f"{LESSONS}/{exam}/progress", json={"completed": True}, headers=student
    )
    problem(marked, 422, "completion-not-reportable")
    current = await enrollment()
    assert (current["progress_percent"], current["status"], current["completed_at"]) == (
        50,
        "active",
        None,
    )

    # Passing it completes the enrollment.
    passing = await start(client, student, exam)
    assert passing["number"] == 2
    assert (await submit(client, student, passing["id"], RIGHT_ANSWERS)).json()["passed"] is True
    current = await enrollment()
    assert (current["progress_percent"], current["status"]) == (100, "completed")
    assert current["completed_at"] is not None
    assert current["last_lesson_id"] == exam


async def test_replacing_a_quiz_keeps_submitted_scores(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, _, lessons = await quiz_course(client, tutor, manager, {"exam": quiz()})
    exam = lessons["exam"]
    await enroll(client, student, course["id"])
    paper = await start(client, student, exam)
    result = (await submit(client, student, paper["id"], RIGHT_ANSWERS)).json()
    assert (result["score"], result["passed"]) == (6, True)

    # The instructor changes the key of one question: the score stands, the feedback shows
    # the quiz as it is now.
    changed = quiz()
    changed["questions"][0]["choices"] = [
        {"id": "paris", "text": "Paris"},
        {"id": "lyon", "text": "Lyon", "correct": True},
    ]
    assert (await set_quiz(client, tutor, exam, changed)).status_code == 200
    read = await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)
    assert read.status_code == 200, read.text
    assert (read.json()["score"], read.json()["percent"], read.json()["passed"]) == (
        6,
        100,
        True,
    )
    assert read.json()["feedback"][0]["correct_answer"] == "lyon"

    # ...and drops a question the student answered: still readable, without feedback.
    smaller = quiz(questions=QUIZ["questions"][1:])
    assert (await set_quiz(client, tutor, exam, smaller)).status_code == 200
    read = await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)
    assert read.status_code == 200, read.text
    assert (read.json()["score"], read.json()["passed"], read.json()["feedback"]) == (
        6,
        True,
        None,
    )
    lesson = await client.get(f"{LESSONS}/{exam}", headers=student)
    assert lesson.status_code == 200, lesson.text
    mine = lesson.json()["quiz"]["mine"]
    assert (mine["passed"], mine["best_percent"]) == (True, 100)
    mine_enrollment = (await client.get("/api/v1/me/enrollments", headers=student)).json()
    assert mine_enrollment["items"][0]["status"] == "active"  # the text lesson is not done


async def test_a_first_attempt_failed_before_any_progress_is_scored(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, _, lessons = await quiz_course(client, tutor, manager, {"exam": quiz()})
    await enroll(client, student, course["id"])
    paper = await start(client, student, lessons["exam"])
    response = await submit(client, student, paper["id"], WRONG_ANSWERS)
    assert response.status_code == 200, response.text
    assert response.json()["passed"] is False
    read = (await client.get(f"{ATTEMPTS}/{paper['id']}", headers=student)).json()
    assert read["status"] == "submitted"


def answer_schema_of(document: dict[str, Any], operation_id: str) -> Draft202012Validator:
    """A validator of the 2xx JSON answer of one operation, as the OpenAPI document states it."""
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                (answer,) = (
                    response
                    for status, response in operation["responses"].items()
                    if status.startswith("2")
                )
                schema = answer["content"]["application/json"]["schema"]
                return Draft202012Validator({**schema, "components": document["components"]})
    raise AssertionError(f"no operation {operation_id}")


async def test_every_submitted_attempt_is_what_the_document_says(
    client: Any, settings: Settings
) -> None:
    """Answers of every kind, feedback with every kind of correct answer: each JSON type once,
    so `oneOf` can tell them apart; scores, points and percentages are numbers like max_score."""
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, _, lessons = await quiz_course(
        client, tutor, manager, {"full": quiz(feedback="full"), "partly": quiz()}
    )
    await enroll(client, student, course["id"])
    document = (await client.get("/schema/openapi.json")).json()
    submitted = answer_schema_of(document, "submit_attempt")
    read = answer_schema_of(document, "get_attempt")
    lesson_schema = answer_schema_of(document, "get_lesson")

    partial = {"capital": "paris", "even": ["two"], "sky": True, "pi": 3.15}
    for name, answers in (("full", WRONG_ANSWERS), ("full", RIGHT_ANSWERS), ("partly", partial)):
        paper = await start(client, student, lessons[name])
        answer = await submit(client, student, paper["id"], answers)
        assert answer.status_code == 200, answer.text
        assert list(submitted.iter_errors(answer.json())) == []
        again = await client.get(f"{ATTEMPTS}/{paper['id']}", headers=tutor)
        assert list(read.iter_errors(again.json())) == []
        body = answer.json()
        for number in (body["score"], body["percent"], body["max_score"]):
            assert isinstance(number, int | float) and not isinstance(number, bool)
        assert all(isinstance(f["points_awarded"], int | float) for f in body["feedback"])
        assert body["answers"]["pi"] == answers["pi"]  # a number, as it was sent
    lesson = await client.get(f"{LESSONS}/{lessons['full']}", headers=student)
    assert list(lesson_schema.iter_errors(lesson.json())) == []
    assert lesson.json()["quiz"]["mine"]["best_percent"] == 100
