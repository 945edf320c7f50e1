"""Learning's personal data: enrollments, progress, quiz attempts, submissions and their files,
certificates, reviews and the days the person learned. Erasing drops what they wrote and
uploaded and the name on their certificates; scores, progress and ratings stay, by id."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import String, cast, select, update

from elearn.adapters.persistence.models.learning import (
    CertificateRow,
    CourseReviewRow,
    EnrollmentRow,
    LearningDayRow,
    LessonProgressRow,
    QuizAttemptRow,
    StudyTimeRow,
    SubmissionRow,
)
from elearn.adapters.persistence.personal_data import plain, record, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, PersonalFile, Pseudonym
from elearn.application.ports import Transaction


def _rows(table: Any, user_column: Any, user_id: UUID, *order: Any) -> Any:
    return (
        select(*[c for c in table.__table__.columns if c.key != "sa_orm_sentinel"])
        .where(user_column == user_id)
        .order_by(*order)
    )


class LearningPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)

        async def records_of(table: Any, user_column: Any, *order: Any) -> list[dict[str, Any]]:
            result = await session.execute(_rows(table, user_column, user_id, *order))
            return [record(row, drop=("user_id",)) for row in result]

        files: list[PersonalFile] = []
        submissions = await records_of(
            SubmissionRow, SubmissionRow.user_id, SubmissionRow.submitted_at, SubmissionRow.id
        )
        for submission in submissions:
            for file in submission.get("files") or []:
                if isinstance(file, dict) and file.get("key"):
                    name = f"submission-{submission['id']}-{file.get('filename') or 'file'}"
                    files.append(PersonalFile(str(file["key"]), name))
        certificates = await records_of(
            CertificateRow, CertificateRow.user_id, CertificateRow.issued_at, CertificateRow.id
        )
        for certificate in certificates:
            if certificate.get("pdf_key"):
                name = f"certificate-{certificate['serial']}.pdf"
                files.append(PersonalFile(str(certificate["pdf_key"]), name))
        return PersonalData(
            records={
                "enrollments": await records_of(
                    EnrollmentRow, EnrollmentRow.user_id, EnrollmentRow.enrolled_at
                ),
                "lesson_progress": await records_of(
                    LessonProgressRow, LessonProgressRow.user_id, LessonProgressRow.updated_at
                ),
                "quiz_attempts": await records_of(
                    QuizAttemptRow, QuizAttemptRow.user_id, QuizAttemptRow.started_at
                ),
                "submissions": submissions,
                "certificates": [_without_keys(c) for c in certificates],
                "course_reviews": await records_of(
                    CourseReviewRow, CourseReviewRow.user_id, CourseReviewRow.written_at
                ),
                "learning_days": [
                    plain(day)
                    for day in await session.scalars(
                        select(LearningDayRow.day)
                        .where(LearningDayRow.user_id == user_id)
                        .order_by(LearningDayRow.day)
                    )
                ],
                "study_time": await records_of(
                    StudyTimeRow, StudyTimeRow.user_id, StudyTimeRow.quarter_hour
                ),
            },
            files=files,
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        file_keys: list[str] = []
        for files in await session.scalars(
            select(SubmissionRow.files).where(SubmissionRow.user_id == user_id)
        ):
            file_keys += [
                str(f["key"]) for f in files or [] if isinstance(f, dict) and f.get("key")
            ]
        file_keys += [
            key
            for key in await session.scalars(
                select(CertificateRow.pdf_key).where(CertificateRow.user_id == user_id)
            )
            if key
        ]
        submissions = await write(
            session,
            update(SubmissionRow)
            .where(SubmissionRow.user_id == user_id)
            .values(text=None, files=[], feedback=None),
        )
        # A certificate still proves a course was completed, no longer by whom.
        certificates = await write(
            session,
            update(CertificateRow)
            .where(CertificateRow.user_id == user_id)
            .values(student_name=pseudonym.name, pdf_key=None),
        )
        # Other students' certificates print the person's name among their instructors'.
        taught = 0
        if pseudonym.former_name:
            for certificate_id, names in (
                await session.execute(
                    select(CertificateRow.id, CertificateRow.instructor_names).where(
                        cast(CertificateRow.instructor_names, String).contains(
                            json.dumps(pseudonym.former_name)[1:-1], autoescape=True
                        )
                    )
                )
            ).all():
                renamed = [pseudonym.name if n == pseudonym.former_name else n for n in names]
                if renamed != list(names):
                    taught += await write(
                        session,
                        update(CertificateRow)
                        .where(CertificateRow.id == certificate_id)
                        .values(instructor_names=renamed),
                    )
        replies = await write(
            session,
            update(CourseReviewRow)
            .where(CourseReviewRow.replied_by == user_id, CourseReviewRow.reply.is_not(None))
            .values(reply=None),
        )
        reviews = await write(
            session,
            update(CourseReviewRow)
            .where(CourseReviewRow.user_id == user_id, CourseReviewRow.text.is_not(None))
            .values(text=None),
        )
        return ErasedData(
            counts={
                "submissions": submissions,
                "certificates": certificates,
                "review_texts": reviews,
                "review_replies": replies,
                "certificates_naming_them_as_instructor": taught,
                "files": len(file_keys),
            },
            file_keys=file_keys,
        )


def _without_keys(certificate: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in certificate.items() if k != "pdf_key"}
