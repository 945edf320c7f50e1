"""Helpers for learning HTTP tests: a free, published course with a video, a text, a quiz and an
assignment lesson, built over HTTP by its tutor and published by a manager."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from tests.support.catalog import (
    COURSES,
    add_lesson,
    add_section,
    create_course,
    move,
)

LESSONS = "/api/v1/lessons"

# An MP4 (ftyp box, then filler) long enough for range requests to have a middle.
VIDEO = (
    struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomavc1" + bytes(range(256)) * 40
)

QUIZ = {
    "pass_mark_percent": 60,
    "max_attempts": 3,
    "feedback": "full",
    "required": True,
    "questions": [
        {
            "id": "capital",
            "kind": "single_choice",
            "prompt": "The capital of France?",
            "points": 2,
            "choices": [
                {"id": "paris", "text": "Paris", "correct": True},
                {"id": "lyon", "text": "Lyon"},
            ],
        },
        {
            "id": "even",
            "kind": "multiple_choice",
            "prompt": "Even numbers?",
            "partial_credit": True,
            "choices": [
                {"id": "two", "text": "2", "correct": True},
                {"id": "three", "text": "3"},
                {"id": "four", "text": "4", "correct": True},
            ],
        },
        {"id": "sky", "kind": "true_false", "prompt": "The sky is blue.", "correct_boolean": True},
        {
            "id": "lang",
            "kind": "short_text",
            "prompt": "Snake language?",
            "accepted_answers": ["Python"],
        },
        {
            "id": "pi",
            "kind": "numeric",
            "prompt": "Pi to two places?",
            "numeric_answer": 3.14,
            "tolerance": 0.005,
        },
    ],
}

RIGHT_ANSWERS = {
    "capital": "paris",
    "even": ["four", "two"],
    "sky": True,
    "lang": "  python ",
    "pi": 3.141,
}


@dataclass(frozen=True)
class LearningCourse:
    course: dict[str, Any]
    video: dict[str, Any]
    text: dict[str, Any]
    preview: dict[str, Any]
    quiz: dict[str, Any]
    assignment: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.course["id"])

    @property
    def lesson_ids(self) -> list[str]:
        return [
            str(x["id"]) for x in (self.video, self.text, self.preview, self.quiz, self.assignment)
        ]


async def upload_video(client: Any, tutor: dict[str, str], lesson_id: str) -> None:
    response = await client.put(
        f"{LESSONS}/{lesson_id}/file",
        files={"file": ("intro.mp4", VIDEO, "video/mp4")},
        headers=tutor,
    )
    assert response.status_code == 200, response.text


async def learning_course(
    client: Any,
    tutor: dict[str, str],
    manager: dict[str, str],
    *,
    quiz: dict[str, Any] | None = None,
    **fields: Any,
) -> LearningCourse:
    """A free, published course: a 100-second video, a text lesson, a free-preview text lesson
    (not required), a required quiz and an assignment."""
    course = await create_course(client, tutor, **fields)
    section = await add_section(client, tutor, course["id"])
    video = await add_lesson(
        client, tutor, section["id"], kind="video", title="Intro", text=None, duration_seconds=100
    )
    await upload_video(client, tutor, video["id"])
    text = await add_lesson(client, tutor, section["id"], title="Reading", text="# Members only")
    preview = await add_lesson(
        client,
        tutor,
        section["id"],
        title="Free taste",
        text="# Everyone",
        is_free_preview=True,
        is_required=False,
    )
    quiz_lesson = await add_lesson(
        client, tutor, section["id"], kind="quiz", title="Check", text=None
    )
    response = await client.put(
        f"{LESSONS}/{quiz_lesson['id']}/quiz", json=quiz or QUIZ, headers=tutor
    )
    assert response.status_code == 200, response.text
    assignment = await add_lesson(
        client, tutor, section["id"], kind="assignment", title="Homework", text=None
    )
    response = await client.put(
        f"{LESSONS}/{assignment['id']}/assignment",
        json={"instructions": "Write a haiku.", "max_points": 10, "allowed_file_kinds": ["pdf"]},
        headers=tutor,
    )
    assert response.status_code == 200, response.text
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        response = await move(client, headers, course["id"], action)
        assert response.status_code == 200, response.text
    response = await client.get(f"{COURSES}/{course['id']}", headers=tutor)
    return LearningCourse(response.json(), video, text, preview, quiz_lesson, assignment)


async def enroll(client: Any, headers: dict[str, str], course_id: str) -> dict[str, Any]:
    response = await client.post(f"{COURSES}/{course_id}/enroll", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
