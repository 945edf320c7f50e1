"""A small platform with one of everything, for the tests that walk the whole OpenAPI document
(schemathesis, the access matrix): accounts of every role signed in, and a real object behind
every kind of id a path can name. Built through the use cases on the test's own database, before
the app under test starts on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from elearn.adapters.jobs.broker import build_broker
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewLesson
from elearn.application.catalog.categories import CategoryChanges
from elearn.application.communication.conversation_ports import AttachmentGrant
from elearn.application.communication.conversations import StartConversation
from elearn.application.community.forums import NewThread
from elearn.application.community.moderation import NewReport
from elearn.application.files import Upload
from elearn.application.identity.account import TutorApplicationCommand
from elearn.application.identity.accounts import CreateAccount
from elearn.application.identity.institutions import NewInstitution
from elearn.application.identity.ports import DocumentGrant
from elearn.application.identity.sessions import LoginCommand
from elearn.application.reporting.ports import DownloadGrant
from elearn.application.reporting.reports import ReportRequest
from elearn.application.support.agents import AgentSettings
from elearn.application.support.ports import TicketAttachmentGrant
from elearn.application.support.tickets import OpenTicketCommand
from elearn.domain.catalog.course import LessonKind
from elearn.domain.community.forum import ReportTarget, ThreadKind
from elearn.domain.identity.roles import Role
from elearn.domain.learning.assignment import Assignment
from elearn.domain.learning.quiz import Question, QuestionKind, Quiz
from elearn.domain.reporting.reports import ReportFormat, ReportKind
from elearn.domain.support.agents import Presence
from elearn.domain.support.tickets import Category
from elearn.domain.tutoring.availability import ExceptionKind
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings
from tests.conftest import make_settings
from tests.fakes import FixedClock
from tests.integration.usecases.world import APPROVED_TUTORS, PEOPLE, World, actor_for, email_of
from tests.support.catalog import approve_tutors
from tests.support.identity import PASSWORD, PDF, seed_accounts

QUIZ = Quiz(
    questions=(
        Question(
            id="q1", kind=QuestionKind.TRUE_FALSE, prompt="Python is a snake?", correct_boolean=True
        ),
    ),
    pass_mark_percent=100,
    max_attempts=3,
)


@dataclass
class ContractWorld:
    settings: Settings
    # The people of ``tests.integration.usecases.world.PEOPLE``, by name.
    user_ids: dict[str, UUID]
    access_tokens: dict[str, str]
    # A real value for each path parameter name the API uses.
    path_values: dict[str, str] = field(default_factory=dict)

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_tokens[name]}"}


async def build_contract_world(tmp_path: Path, database_url: str) -> ContractWorld:
    settings = make_settings(tmp_path, database_url)
    ids = await seed_accounts(settings, *((email_of(name), role) for name, role in PEOPLE))
    await approve_tutors(settings, *(email_of(name) for name in APPROVED_TUTORS))
    container = bootstrap(settings, broker=build_broker(None))
    try:
        actors = {
            name: actor_for(user_id, role)
            for (name, role), user_id in zip(PEOPLE, ids, strict=True)
        }
        world = World(
            container=container,
            clock=FixedClock(datetime.now(UTC).replace(minute=0, second=0, microsecond=0)),
            **actors,
        )
        values = await _objects(world)
        tokens = {}
        for name, _ in PEOPLE:
            session = await container.identity.login(
                Actor.anonymous(ip="127.0.0.1"), LoginCommand(email_of(name), PASSWORD)
            )
            tokens[name] = session.access_token
    finally:
        await container.dispose()
    return ContractWorld(
        settings=settings,
        user_ids={name: user_id for (name, _), user_id in zip(PEOPLE, ids, strict=True)},
        access_tokens=tokens,
        path_values=values,
    )


async def _objects(world: World) -> dict[str, str]:
    """One object of each kind, owned by ``student`` and ``tutor`` where it has an owner."""
    container = world.container
    catalog, learning, identity = container.catalog, container.learning, container.identity
    category = await catalog.create_category(world.admin, "Programming", CategoryChanges())
    institution = await container.identity.create_institution(
        world.admin,
        NewInstitution(name="Universidade de São Paulo", country="BR", domains=["usp.br"]),
    )
    course, text_lesson = await world.draft_course()
    section_id = course.sections[0].id
    quiz_lesson = (
        await catalog.add_lesson(
            world.tutor, section_id, NewLesson(kind=LessonKind.QUIZ, title="Check yourself")
        )
    ).id
    await learning.set_quiz(world.tutor, quiz_lesson, QUIZ)
    assignment_lesson = (
        await catalog.add_lesson(
            world.tutor, section_id, NewLesson(kind=LessonKind.ASSIGNMENT, title="Write it up")
        )
    ).id
    await learning.set_assignment(world.tutor, assignment_lesson, Assignment("One page, please."))
    await world.publish(course.id)
    enrollment = await learning.enroll(world.student, course.id)
    attempt, _ = await learning.start_attempt(world.student, quiz_lesson)
    submission = await learning.submit_work(world.student, assignment_lesson, "My page.", [])
    review = await learning.write_review(world.student, course.id, 5, "Clear and kind.")

    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    orders = await container.billing.my_orders(world.student)
    withdrawal_id, sold_course = await _withdrawal(world)
    # A second course the tutor teaches with cotutor, who accepted the invitation to.
    team_course, _ = await world.published_course(title="Taught by two")
    invitation = await catalog.invite_co_instructor(
        world.tutor, team_course.id, world.cotutor.user_id
    )
    await catalog.accept_invitation(world.cotutor, invitation.id)
    # A change to the published course, staged for review.
    await catalog.update_course(world.tutor, course.id, CourseChanges(subtitle="Staged"))
    export = await container.privacy.request_export(world.student)
    # The course's forum: the student's question with the tutor's reply, reported by the
    # student (a report staff decide).
    community = container.community
    question = await community.start_thread(
        world.student, course.id, NewThread(ThreadKind.QUESTION, "Why loops?", "Please explain.")
    )
    answer = await community.post_reply(world.tutor, question.id, "Because **repetition**.")
    content_report = await community.report(
        world.student, NewReport(ReportTarget.REPLY, answer.id, "Checking the queue")
    )
    # A support ticket of the student's, on the manager's desk (an agent online for payments).
    await container.support.update_my_agent_settings(
        world.manager,
        AgentSettings(
            presence=Presence.ONLINE, categories=frozenset({Category.PAYMENT}), capacity=5
        ),
    )
    ticket_file = await container.support.upload_attachment(world.student, _pdf_upload())
    ticket = await container.support.open_ticket(
        world.student,
        OpenTicketCommand(
            "Charged twice", Category.PAYMENT, "Two charges.", attachment_ids=(ticket_file.id,)
        ),
    )
    # A student applying to teach, with the decision pending.
    applicant_id = await identity.create_account(
        Actor.system(), CreateAccount(email_of("applicant"), PASSWORD, "applicant", Role.STUDENT)
    )
    application = await identity.apply_as_tutor(
        actor_for(applicant_id, Role.STUDENT),
        TutorApplicationCommand("Maths", ["Mathematics"], _pdf_upload(), _pdf_upload()),
    )
    # The student writes to the tutor they booked, and reports them.
    conversation, _ = await container.conversations.start(
        world.student, StartConversation(participant_id=world.tutor.user_id, body="Hello!")
    )
    assert conversation.last_message is not None
    report = await container.conversations.report(world.student, conversation.id, "Rude.")
    attached = await container.conversations.upload(world.student, conversation.id, _pdf_upload())
    await container.conversations.send(
        world.student, conversation.id, "The notes.", attachment_ids=[attached.id]
    )
    # A link signed for the student, valid past the run (the world's clock stands still).
    link_expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    link_signature = container.conversations.deps.links.sign(
        AttachmentGrant(world.student.user_id, conversation.id, attached.id, link_expires)
    )
    ticket_link_signature = container.support.deps.links.sign(
        TicketAttachmentGrant(world.student.user_id, ticket.id, ticket_file.id, link_expires)
    )
    # An admin's report of the accounts, built, with a download link signed for the admin.
    staff_report = await container.reporting.request_report(
        world.admin,
        ReportRequest(
            ReportKind.USERS,
            ReportFormat.CSV,
            link_expires - timedelta(days=30),
            link_expires,
            {},
        ),
    )
    await container.reporting.build_report.build(staff_report.id)
    staff_report_signature = container.reporting.deps.links.sign(
        DownloadGrant(world.admin.user_id, staff_report.id, link_expires)
    )
    # The applicant's CV, through a link signed for the manager.
    document_signature = identity.deps.document_links.sign(
        DocumentGrant(world.manager.user_id, application.application_id, "cv", link_expires)
    )
    local = world.days_ahead_at(20, 9).replace(tzinfo=None)
    exception = await container.tutoring.exceptions.add(
        world.tutor, ExceptionKind.BLOCKED, local, local + timedelta(hours=2)
    )
    values = {
        "tutor_id": str(world.tutor.user_id),
        "user_id": str(world.student.user_id),
        "application_id": str(application.application_id),
        "exception_id": str(exception.id),
        "assignment_lesson_id": str(assignment_lesson),
        "submission_id": str(submission.id),
        "enrollment_id": str(enrollment.id),
        "category_id": str(category.id),
        "institution_id": str(institution.id),
        "course_key": str(course.id),
        "section_id": str(section_id),
        "lesson_id": str(text_lesson),
        "quiz_lesson_id": str(quiz_lesson),
        "attempt_id": str(attempt.id),
        "review_id": str(review.id),
        "booking_id": str(booking.id),
        "order_id": str(orders.items[0].id),
        "withdrawal_id": str(withdrawal_id),
        "team_course_key": str(team_course.id),
        "invitation_id": str(invitation.id),
        "co_instructor_id": str(world.cotutor.user_id),
        "export_id": str(export.id),
        "discussion_id": str(question.id),
        "reply_id": str(answer.id),
        "content_report_id": str(content_report.id),
        "conversation_id": str(conversation.id),
        "message_id": str(conversation.last_message.id),
        "report_id": str(report.id),
        "attachment_id": str(attached.id),
        "attachment_expires": str(int(link_expires.timestamp())),
        "attachment_signature": link_signature,
        "staff_report_id": str(staff_report.id),
        "staff_report_expires": str(int(link_expires.timestamp())),
        "staff_report_signature": staff_report_signature,
        "document": "cv",
        "document_expires": str(int(link_expires.timestamp())),
        "document_signature": document_signature,
        "ticket_id": str(ticket.id),
        "ticket_attachment_id": str(ticket_file.id),
        "ticket_attachment_signature": ticket_link_signature,
        "agent_id": str(world.manager.user_id),
        # A priced course on sale that student has not bought.
        "paid_course_key": str(sold_course),
    }
    return values


async def _withdrawal(world: World) -> tuple[UUID, UUID]:
    """The tutor's earnings from a course sale, cleared a week later and asked for; and the
    course sold."""
    billing = world.container.billing
    sold = await world.paid_course(10_000)
    await world.top_up(world.classmate, 10_000)
    await billing.purchase_with_credits(world.classmate, sold.id)
    later = bootstrap(
        world.container.settings,
        broker=build_broker(None),
        overrides={"clock": FixedClock(datetime.now(UTC) + timedelta(days=8))},
    )
    try:
        await later.billing.release_cleared_earnings()
    finally:
        await later.dispose()
    await billing.set_up_payout_account(world.tutor)
    withdrawal = await billing.request_withdrawal(world.tutor, 5_000, "USD")
    return withdrawal.id, sold.id


def _pdf_upload() -> Upload:
    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    return Upload(chunks(), "document.pdf")
