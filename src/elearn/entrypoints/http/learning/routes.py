"""/api/v1 learning routes: enrollment, lessons and their media, progress, quizzes,
assignments, certificates, course reviews and the study streak.

Handlers only translate: bodies to commands, use case results to JSON. Who may do what is
decided by the use cases, against the course, lesson, attempt or submission.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from elearn.application.errors import FieldError, InvalidInput
from elearn.application.files import (
    DEFAULT_UPLOAD_POLICIES,
    KiB,
    RangeNotSatisfiable,
    UploadPurpose,
    content_disposition,
)
from elearn.application.learning.certificates import CertificateNotFound, Verification
from elearn.application.learning.lessons import (
    LessonView,
    MediaLink,
    ProgressReport,
    ProgressView,
    SubmissionView,
)
from elearn.application.learning.ports import (
    CertificateCard,
    EnrollmentView,
    MediaFile,
    ReviewView,
    StaffEnrollmentFilters,
    StaffEnrollmentView,
    StaffReviewFilters,
    StudentView,
)
from elearn.application.learning.quiz_views import QuizDefinition
from elearn.application.learning.quizzes import AttemptView
from elearn.application.paging import Page
from elearn.domain.learning.assignment import (
    MAX_FEEDBACK,
    MAX_FILES,
    MAX_INSTRUCTIONS,
    MAX_POINTS,
    Assignment,
    FileKind,
)
from elearn.domain.learning.enrollment import EnrollmentSource, EnrollmentStatus
from elearn.domain.learning.quiz import (
    MAX_ANSWER_TEXT,
    MAX_CHOICES,
    MAX_PROMPT,
    MAX_QUESTIONS,
    AnswerReveal,
    Choice,
    FeedbackMode,
    Question,
    QuestionKind,
    Quiz,
)
from elearn.domain.learning.review import MAX_HIDE_REASON, MAX_REPLY_TEXT, MAX_REVIEW_TEXT
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody, upload_of
from elearn.entrypoints.http.catalog.routes import Cursor, Limit
from elearn.entrypoints.http.docs import binary, form_body
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.learning import Learning, LearningUseCases

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
QuestionId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


# ---- bodies ----------------------------------------------------------------------------------
class ProgressBody(RequestBody):
    completed: bool | None = None
    position_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    seconds_spent: Annotated[int, msgspec.Meta(ge=0, le=3600)] | None = None


class ChoiceBody(RequestBody):
    id: QuestionId
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    correct: bool = False


class QuestionBody(RequestBody):
    id: QuestionId
    kind: QuestionKind
    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PROMPT)]
    points: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    choices: Annotated[list[ChoiceBody], msgspec.Meta(max_length=MAX_CHOICES)] = []
    partial_credit: bool = False
    correct_boolean: bool | None = None
    accepted_answers: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=MAX_ANSWER_TEXT)]], msgspec.Meta(max_length=50)
    ] = []
    # JSON numbers, as every number of the API (read exactly as written: 0.1 is 0.1).
    numeric_answer: float | None = None
    tolerance: float = 0
    explanation: Annotated[str, msgspec.Meta(max_length=MAX_PROMPT)] = ""


def _exact(number: float) -> Decimal:
    # The shortest text that reads back as this float is what the client wrote: no binary noise.
    return Decimal(repr(number))


class QuizBody(RequestBody):
    """A whole quiz; it replaces the one the lesson had."""

    questions: Annotated[list[QuestionBody], msgspec.Meta(min_length=1, max_length=MAX_QUESTIONS)]
    pass_mark_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] = 70
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    time_limit_seconds: Annotated[int, msgspec.Meta(ge=10, le=86_400)] | None = None
    shuffle_questions: bool = False
    shuffle_choices: bool = False
    feedback: FeedbackMode = FeedbackMode.CORRECTNESS
    required: bool = False
    # With `feedback: full`: when a student is shown the correct answers and explanations.
    reveal_answers: AnswerReveal = AnswerReveal.AFTER_PASSING

    def to_quiz(self) -> Quiz:
        return Quiz(
            questions=tuple(
                Question(
                    id=q.id,
                    kind=q.kind,
                    prompt=q.prompt,
                    points=q.points,
                    choices=tuple(Choice(c.id, c.text, c.correct) for c in q.choices),
                    partial_credit=q.partial_credit,
                    correct_boolean=q.correct_boolean,
                    accepted_answers=tuple(q.accepted_answers),
                    numeric_answer=None if q.numeric_answer is None else _exact(q.numeric_answer),
                    tolerance=_exact(q.tolerance),
                    explanation=q.explanation,
                )
                for q in self.questions
            ),
            pass_mark_percent=self.pass_mark_percent,
            max_attempts=self.max_attempts,
            time_limit_seconds=self.time_limit_seconds,
            shuffle_questions=self.shuffle_questions,
            shuffle_choices=self.shuffle_choices,
            feedback=self.feedback,
            required=self.required,
            reveal_answers=self.reveal_answers,
        )


class AnswersBody(RequestBody):
    """Question id → answer: a choice id (single choice), a list of choice ids (multiple
    choice), true or false, a text, or a number."""

    answers: Annotated[dict[QuestionId, Any], msgspec.Meta(max_length=MAX_QUESTIONS)]


class AssignmentBody(RequestBody):
    instructions: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_INSTRUCTIONS)]
    max_points: Annotated[int, msgspec.Meta(ge=1, le=MAX_POINTS)] = 100
    due_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None
    allowed_file_kinds: Annotated[list[FileKind], msgspec.Meta(max_length=len(FileKind))] = []


class GradeBody(RequestBody):
    points: Annotated[int, msgspec.Meta(ge=0, le=MAX_POINTS)]
    feedback: Annotated[str, msgspec.Meta(max_length=MAX_FEEDBACK)] | None = None


ReviewText = Annotated[str, msgspec.Meta(max_length=MAX_REVIEW_TEXT)]
Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]


class ReviewBody(RequestBody):
    rating: Rating
    text: ReviewText | None = None


class ReviewUpdateBody(RequestBody):
    """What is left out stays; `text: null` removes the text."""

    rating: Rating | Unset = UNSET
    text: ReviewText | Unset | None = UNSET


class ReplyBody(RequestBody):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REPLY_TEXT)]


class HideBody(RequestBody):
    hidden: bool = True
    reason: Annotated[str, msgspec.Meta(max_length=MAX_HIDE_REASON)] | None = None


class GrantBody(RequestBody):
    user_id: UUID
    course_id: UUID


class RevokeBody(RequestBody):
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class StreakView(msgspec.Struct):
    current: int
    longest: int
    time_zone: str


# ---- helpers ---------------------------------------------------------------------------------
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a `Range` header asks for, or None for the whole file.

    One range only; anything this does not understand (several ranges, other units) is
    ignored, as RFC 9110 allows, and answered with the whole file. Raises
    `RangeNotSatisfiable` for a range wholly past the end.
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable("the range asks for no bytes", size=size)
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        raise RangeNotSatisfiable("the range starts past the end of the file", size=size)
    return start, min(int(last), size - 1) if last else size - 1


# A bounded range up to this size (a player seeking, a PDF viewer's page) is read whole and
# answered as one body: a stream costs a task group and a turn of the event loop per chunk.
WHOLE_RANGE_BYTES = 256 * KiB


async def stream_file(
    request: Request[Any, Any, Any],
    learning: LearningUseCases,
    file: MediaFile,
    *,
    cache: str,
) -> Response[Any]:
    storage = learning.deps.storage
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(file.filename, inline=True),
    }
    wanted = byte_range(request.headers.get("range"), file.size)
    if wanted is None:
        headers["Content-Length"] = str(file.size)
        return Stream(storage.read(file.key), media_type=file.content_type, headers=headers)
    start, end = wanted
    length = end - start + 1
    headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
    if length <= WHOLE_RANGE_BYTES:
        chunks = [c async for c in storage.read(file.key, start=start, end=end, chunk_size=length)]
        return Response(
            b"".join(chunks), media_type=file.content_type, headers=headers, status_code=206
        )
    headers["Content-Length"] = str(length)
    return Stream(
        storage.read(file.key, start=start, end=end),
        media_type=file.content_type,
        headers=headers,
        status_code=206,
    )


SUBMISSION_FORM = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "text": {"type": "string", "description": "Your answer as text."},
        "files": {
            "type": "array",
            "maxItems": MAX_FILES,
            "items": {"type": "string", "format": "binary"},
            "description": f"Up to {MAX_FILES} files, each a `files` part.",
        },
    },
}


async def _uploads(form: Mapping[str, Any]) -> tuple[str | None, list[UploadFile]]:
    text: str | None = None
    files: list[UploadFile] = []
    for name, value in form.items():
        values = value if isinstance(value, list) else [value]
        if name == "text":
            if len(values) != 1 or not isinstance(values[0], str):
                raise InvalidInput(
                    "text must be one text field", errors=[FieldError("text", "is not text")]
                )
            text = values[0]
        elif name == "files":
            for item in values:
                if not isinstance(item, UploadFile):
                    raise InvalidInput(
                        "files must be files", errors=[FieldError("files", "is not a file")]
                    )
                files.append(item)
        else:
            raise InvalidInput(
                f"unknown field {name!r}", errors=[FieldError(name, "is not a field of this form")]
            )
    if len(files) > MAX_FILES:
        raise InvalidInput(
            f"at most {MAX_FILES} files", errors=[FieldError("files", f"at most {MAX_FILES}")]
        )
    return text, files


# ---- enrollment ------------------------------------------------------------------------------
class CourseLearningController(Controller):
    path = "/courses"
    tags = ["learning"]

    @problems(
        "already-enrolled",
        "course-not-found",
        "course-not-open",
        "email-not-verified",
        "instructor-cannot-enroll",
        "payment-required",
        "prerequisites-missing",
    )
    @post(
        "/{course_key:str}/enroll",
        operation_id="enroll",
        summary="Enroll in a free course",
        guards=[signed_in],
        status_code=201,
    )
    async def enroll(
        self, course_key: FromPath[str], actor: CurrentActor, learning: Learning
    ) -> EnrollmentView:
        """Free, published courses, with a verified email and the prerequisites completed (422
        lists the missing ones in `missing_courses`). A paid course answers 402 with where to
        buy it in `checkout`; enrolling twice answers 409."""
        return await learning.enroll(actor, course_key)

    @problems("cannot-leave", "enrollment-not-found", "course-not-found")
    @delete(
        "/{course_key:str}/enroll",
        operation_id="leave_course",
        summary="Leave a free course",
        guards=[signed_in],
    )
    async def leave(
        self, course_key: FromPath[str], actor: CurrentActor, learning: Learning
    ) -> None:
        """A free course you enrolled in yourself and have not completed; your progress is
        kept for if you come back."""
        await learning.leave_course(actor, course_key)

    @problems("course-not-found")
    @get(
        "/{course_key:str}/students",
        operation_id="list_course_students",
        summary="A course's students",
        guards=[signed_in],
    )
    async def students(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        learning: Learning,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[StudentView]:
        """For the course's instructors and staff (who also see emails), newest first."""
        return await learning.course_students(actor, course_key, limit=limit, cursor=cursor)

    @problems("course-not-found")
    @get("/{course_key:str}/reviews", operation_id="list_reviews", summary="A course's reviews")
    async def reviews(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        learning: Learning,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ReviewView]:
        """Newest first; the course's instructors and staff also see hidden reviews."""
        return await learning.list_reviews(actor, course_key, limit=limit, cursor=cursor)

    @problems("already-reviewed", "course-not-found", "not-enrolled")
    @post(
        "/{course_key:str}/reviews",
        operation_id="write_review",
        summary="Review a course",
        guards=[signed_in],
        status_code=201,
    )
    async def write_review(
        self,
        course_key: FromPath[str],
        data: JSONBody[ReviewBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> ReviewView:
        """Students enrolled in the course, once each (409 after that: edit it instead)."""
        return await learning.write_review(actor, course_key, data.rating, data.text)


class MyLearningController(Controller):
    path = "/me"
    tags = ["learning"]
    guards = [signed_in]

    @get("/enrollments", operation_id="list_my_enrollments", summary="Your enrollments")
    async def enrollments(
        self,
        actor: CurrentActor,
        learning: Learning,
        status: EnrollmentStatus | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[EnrollmentView]:
        """With progress, the last lesson opened and the certificate once issued."""
        return await learning.my_enrollments(actor, status, limit=limit, cursor=cursor)

    @get("/certificates", operation_id="list_my_certificates", summary="Your certificates")
    async def certificates(self, actor: CurrentActor, learning: Learning) -> Page[CertificateCard]:
        """Every certificate you hold, newest first, on one page (`next_cursor` is always null)."""
        return Page(await learning.my_certificates(actor), next_cursor=None)

    @get("/streak", operation_id="get_my_streak", summary="Your study streak")
    async def streak(self, actor: CurrentActor, learning: Learning) -> StreakView:
        """Consecutive days with learning (progress or a quiz submitted), in your profile's
        time zone; today counts from your first activity of the day, and a streak stays alive
        until a whole day passes without any."""
        streak, zone = await learning.my_streak(actor)
        return StreakView(current=streak.current, longest=streak.longest, time_zone=zone)


# ---- lessons, quizzes, assignments -----------------------------------------------------------
class LessonLearningController(Controller):
    path = "/lessons"
    tags = ["learning"]

    @problems("lesson-not-found", "not-enrolled")
    @get("/{lesson_id:uuid}", operation_id="get_lesson", summary="Open a lesson")
    async def lesson(
        self, lesson_id: FromPath[UUID], actor: CurrentActor, learning: Learning
    ) -> LessonView:
        """Enrolled students, the course's instructors and staff; free previews for everyone.
        A file comes as `media.url`, signed for you and valid for a few minutes."""
        return await learning.get_lesson(actor, lesson_id)

    @problems("lesson-not-found", "not-enrolled", "completion-not-reportable")
    @put(
        "/{lesson_id:uuid}/progress",
        operation_id="record_progress",
        summary="Report progress",
        guards=[signed_in],
    )
    async def progress(
        self,
        lesson_id: FromPath[UUID],
        data: JSONBody[ProgressBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> ProgressView:
        """`completed` marks (or un-marks) the lesson; a video completes at 90% of its
        duration; `seconds_spent` adds to the time spent."""
        report = ProgressReport(data.completed, data.position_seconds, data.seconds_spent)
        return await learning.record_progress(actor, lesson_id, report)

    @problems("course-not-found", "invalid-quiz", "lesson-not-found", "not-a-quiz-lesson")
    @put(
        "/{lesson_id:uuid}/quiz",
        operation_id="set_quiz",
        summary="Set a lesson's quiz",
        guards=[signed_in],
    )
    async def set_quiz(
        self,
        lesson_id: FromPath[UUID],
        data: JSONBody[QuizBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> QuizDefinition:
        """The course's instructors; replaces the whole quiz."""
        return await learning.set_quiz(actor, lesson_id, data.to_quiz())

    @problems("attempt-limit-reached", "lesson-not-found", "not-enrolled", "quiz-not-found")
    @post(
        "/{lesson_id:uuid}/attempts",
        operation_id="start_attempt",
        summary="Start a quiz attempt",
        guards=[signed_in],
        status_code=201,
        responses={200: ResponseSpec(AttemptView, description="The attempt still open.")},
    )
    async def start_attempt(
        self, lesson_id: FromPath[UUID], actor: CurrentActor, learning: Learning
    ) -> Response[AttemptView]:
        """201 with a new attempt, or 200 with the one still open. The questions come without
        answers; a timed attempt's `deadline` is kept by the server."""
        attempt, started = await learning.start_attempt(actor, lesson_id)
        return Response(attempt, status_code=201 if started else 200)

    @problems("invalid-assignment", "lesson-not-found", "not-an-assignment-lesson", "course-locked")
    @put(
        "/{lesson_id:uuid}/assignment",
        operation_id="set_assignment",
        summary="Set a lesson's assignment",
        guards=[signed_in],
    )
    async def set_assignment(
        self,
        lesson_id: FromPath[UUID],
        data: JSONBody[AssignmentBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> Assignment:
        assignment = Assignment(
            instructions=data.instructions,
            max_points=data.max_points,
            due_at=data.due_at,
            allowed_file_kinds=frozenset(data.allowed_file_kinds),
        )
        return await learning.set_assignment(actor, lesson_id, assignment)

    @problems(
        "assignment-not-found",
        "invalid-input",
        "invalid-submission",
        "not-enrolled",
        "submission-graded",
        "lesson-not-found",
    )
    @form_body(SUBMISSION_FORM)
    @post(
        "/{lesson_id:uuid}/submissions",
        operation_id="submit_work",
        summary="Hand in work",
        guards=[signed_in],
        status_code=201,
        request_max_body_size=MAX_FILES * 25 * 1024 * 1024 + 1024 * 1024,
    )
    async def submit(
        self,
        lesson_id: FromPath[UUID],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        learning: Learning,
    ) -> SubmissionView:
        """A `text` field and/or up to five `files`; handing in again replaces your earlier
        work until it is graded. Work after the due time is accepted and marked late."""
        text, files = await _uploads(data)
        return await learning.submit_work(actor, lesson_id, text, [upload_of(f) for f in files])

    @problems("lesson-not-found", "assignment-not-found")
    @get(
        "/{lesson_id:uuid}/submissions",
        operation_id="list_submissions",
        summary="Work handed in",
        guards=[signed_in],
    )
    async def submissions(
        self,
        lesson_id: FromPath[UUID],
        actor: CurrentActor,
        learning: Learning,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[SubmissionView]:
        """The course's instructors and staff, newest first."""
        return await learning.list_submissions(actor, lesson_id, limit=limit, cursor=cursor)


class AttemptsController(Controller):
    path = "/attempts"
    tags = ["learning"]
    guards = [signed_in]

    @problems(
        "attempt-closed",
        "attempt-not-found",
        "attempt-time-over",
        "invalid-answers",
        "not-enrolled",
    )
    @post(
        "/{attempt_id:uuid}/submit",
        operation_id="submit_attempt",
        summary="Submit answers",
        status_code=200,
    )
    async def submit(
        self,
        attempt_id: FromPath[UUID],
        data: JSONBody[AnswersBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> AttemptView:
        """Scored at once, with the feedback the instructor chose. Refused with 422 after the
        time limit (plus a short grace)."""
        return await learning.submit_attempt(actor, attempt_id, data.answers)

    @problems("attempt-not-found")
    @get("/{attempt_id:uuid}", operation_id="get_attempt", summary="An attempt")
    async def attempt(
        self, attempt_id: FromPath[UUID], actor: CurrentActor, learning: Learning
    ) -> AttemptView:
        return await learning.get_attempt(actor, attempt_id)


class SubmissionsController(Controller):
    path = "/submissions"
    tags = ["learning"]
    guards = [signed_in]

    @problems("invalid-grade", "submission-not-found")
    @post(
        "/{submission_id:uuid}/grade",
        operation_id="grade_submission",
        summary="Grade work",
        status_code=200,
    )
    async def grade(
        self,
        submission_id: FromPath[UUID],
        data: JSONBody[GradeBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> SubmissionView:
        """The course's instructors; the student is told by email. Grading again corrects."""
        return await learning.grade_submission(actor, submission_id, data.points, data.feedback)


# ---- reviews ---------------------------------------------------------------------------------
class ReviewsController(Controller):
    path = "/reviews"
    tags = ["learning"]
    guards = [signed_in]

    @problems("review-not-found")
    @patch("/{review_id:uuid}", operation_id="edit_review", summary="Edit your review")
    async def edit(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[ReviewUpdateBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> ReviewView:
        return await learning.edit_review(
            actor,
            review_id,
            rating=None if data.rating is UNSET else data.rating,
            text=None if data.text is UNSET or data.text is None else data.text,
            clear_text=data.text is None,
        )

    @problems("review-not-found")
    @delete("/{review_id:uuid}", operation_id="delete_review", summary="Delete a review")
    async def remove(
        self, review_id: FromPath[UUID], actor: CurrentActor, learning: Learning
    ) -> None:
        """Its author, or staff."""
        await learning.delete_review(actor, review_id)

    @problems("already-replied", "invalid-review", "review-not-found")
    @post(
        "/{review_id:uuid}/reply",
        operation_id="reply_to_review",
        summary="Reply to a review",
        status_code=200,
    )
    async def reply(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[ReplyBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> ReviewView:
        """One of the course's instructors, once."""
        return await learning.reply_to_review(actor, review_id, data.text)

    @problems("review-not-found")
    @post(
        "/{review_id:uuid}/hide",
        operation_id="hide_review",
        summary="Hide or show a review",
        status_code=200,
    )
    async def hide(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[HideBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> ReviewView:
        """Staff; a hidden review leaves the public list and the course's rating."""
        return await learning.hide_review(actor, review_id, hidden=data.hidden, reason=data.reason)


# ---- media and certificates ------------------------------------------------------------------
LESSON_MEDIA_TYPES = sorted(DEFAULT_UPLOAD_POLICIES[UploadPurpose.LESSON_MEDIA].allowed_media_types)


class MediaController(Controller):
    path = "/media"
    tags = ["learning"]

    @problems("media-token-invalid", "media-link-used")
    @binary(
        *sorted(DEFAULT_UPLOAD_POLICIES[UploadPurpose.LESSON_MEDIA].allowed_media_types),
        ranges=True,
    )
    @get(
        "/{token:str}",
        operation_id="get_media",
        summary="Stream a lesson's file or a submitted file",
    )
    async def media(
        self,
        token: FromPath[Annotated[str, msgspec.Meta(max_length=2048)]],
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        learning: Learning,
    ) -> Response[Any]:
        """With the token from a lesson's `media.url` or a submitted file's `url`. Honours
        `Range` (206, or 416 past the end). Expired, forged or someone else's tokens answer 403.

        A lesson's media link is a **bearer URL**: signed for its viewer, short-lived (minutes),
        and it works without an `Authorization` header, because a video or audio element cannot
        send one; whoever holds it until it expires can play that one file, so do not share it.
        A submission's file is private work: its link also needs the `Authorization` header of
        the user it was issued to (401 without one, 403 with anyone else's), or it is a
        **one-time link** (`POST /media/{token}/one-time-link`): that works without the header,
        once, within a minute, for the person it was issued to (403 with anyone else's header);
        a second use answers 410 `media-link-used`."""
        file = await learning.open_media(actor, token)
        return await stream_file(request, learning, file, cache="private, max-age=300")

    @problems("media-token-invalid")
    @post(
        "/{token:str}/one-time-link",
        operation_id="create_one_time_media_link",
        summary="Exchange your media link for a one-time link",
        guards=[signed_in],
        status_code=201,
    )
    async def one_time_link(
        self,
        token: FromPath[Annotated[str, msgspec.Meta(max_length=2048)]],
        actor: CurrentActor,
        learning: Learning,
    ) -> MediaLink:
        """For a page that cannot send the `Authorization` header (a new tab, a download): with
        a media `url`'s token issued to you (a submitted file's, or a lesson's), signed in as
        you, answers a `url` to the same file that works **once**, without the header, until
        `expires_at` (`ELEARN_MEDIA_ONE_TIME_LINK_SECONDS`, a minute by default), and only for
        you: someone else's `Authorization` header is refused (403), and every use after the
        first answers 410 `media-link-used`. Ask for a new one to download again (a `Range`
        request spends it too). 403 `media-token-invalid` for a token that is expired, forged,
        someone else's, a free preview's or itself a one-time link."""
        return await learning.one_time_media_link(actor, token)


class CertificatesController(Controller):
    path = "/certificates"
    tags = ["learning"]

    @problems("certificate-not-found")
    @get("/verify/{code:str}", operation_id="verify_certificate", summary="Verify a certificate")
    async def verify(
        self, code: FromPath[Annotated[str, msgspec.Meta(max_length=64)]], learning: Learning
    ) -> Verification:
        """Public: validity, the student's name, the course and the date, nothing more."""
        return await learning.verify_certificate(code)

    @problems("certificate-not-found")
    @binary("application/pdf", ranges=True)
    @get(
        "/{certificate_file:str}",
        operation_id="get_certificate_pdf",
        summary="Download a certificate",
        guards=[signed_in],
    )
    async def pdf(
        self,
        certificate_file: FromPath[Annotated[str, msgspec.Meta(max_length=64)]],
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        learning: Learning,
    ) -> Response[Any]:
        """`/certificates/{id}.pdf`, for its holder and staff."""
        stem, dot, extension = certificate_file.rpartition(".")
        try:
            certificate_id = UUID(stem)
        except ValueError:
            raise CertificateNotFound() from None
        if not dot or extension != "pdf":
            raise CertificateNotFound()
        file = await learning.certificate_pdf(actor, certificate_id)
        return await stream_file(request, learning, file, cache="private, no-store")


# ---- administration --------------------------------------------------------------------------
class EnrollmentAdminController(Controller):
    path = "/admin/enrollments"
    tags = ["learning"]
    guards = [signed_in]

    @get("", operation_id="list_all_enrollments", summary="Everyone's enrollments")
    async def list_all(
        self,
        actor: CurrentActor,
        learning: Learning,
        course_id: FromQuery[UUID | None] = None,
        student_id: FromQuery[UUID | None] = None,
        status: FromQuery[EnrollmentStatus | None] = None,
        source: FromQuery[EnrollmentSource | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[StaffEnrollmentView]:
        """Managers and admins, newest first; `source` is how the enrollment came (`self` for
        a free course, `purchase`, `grant`)."""
        filters = StaffEnrollmentFilters(
            course_id=course_id, student_id=student_id, status=status, source=source
        )
        return await learning.all_enrollments(actor, filters, limit=limit, cursor=cursor)

    @problems(
        "already-enrolled",
        "course-not-found",
        "course-not-open",
        "instructor-cannot-enroll",
        "user-not-found",
    )
    @post("", operation_id="grant_enrollment", summary="Grant a course", status_code=201)
    async def grant(
        self, data: JSONBody[GrantBody], actor: CurrentActor, learning: Learning
    ) -> EnrollmentView:
        """Staff put a student in a published course (no payment); audited."""
        return await learning.grant_enrollment(actor, data.user_id, data.course_id)

    @problems("enrollment-not-found", "illegal-transition")
    @post(
        "/{enrollment_id:uuid}/revoke",
        operation_id="revoke_enrollment",
        summary="Take a course back",
        status_code=200,
    )
    async def revoke(
        self,
        enrollment_id: FromPath[UUID],
        data: JSONBody[RevokeBody],
        actor: CurrentActor,
        learning: Learning,
    ) -> EnrollmentView:
        """Staff; the student loses access at once; audited."""
        return await learning.revoke_enrollment(actor, enrollment_id, data.reason)


class ReviewAdminController(Controller):
    path = "/admin/reviews"
    tags = ["learning"]
    guards = [signed_in]

    @get("", operation_id="list_all_reviews", summary="Every course's reviews")
    async def list_all(
        self,
        actor: CurrentActor,
        learning: Learning,
        course_id: FromQuery[UUID | None] = None,
        author_id: FromQuery[UUID | None] = None,
        hidden: FromQuery[bool | None] = None,
        rating_max: Annotated[int | None, QueryParameter(ge=1, le=5)] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ReviewView]:
        """Managers and admins, newest first, hidden ones too; `rating_max` keeps the ratings
        at or below it."""
        filters = StaffReviewFilters(
            course_id=course_id, author_id=author_id, hidden=hidden, rating_max=rating_max
        )
        return await learning.all_reviews(actor, filters, limit=limit, cursor=cursor)


LEARNING_CONTROLLERS = [
    CourseLearningController,
    MyLearningController,
    LessonLearningController,
    AttemptsController,
    SubmissionsController,
    ReviewsController,
    MediaController,
    CertificatesController,
    EnrollmentAdminController,
    ReviewAdminController,
]
