"""What the other contexts' events tell people: each event its notifications, one per recipient
(keyed on the event's id, so a redelivered event makes none), in each recipient's language.

Where the event's context already emails people about it (bookings, grades, receipts, payout
failures, tutor decisions), that email is the one they get, through their preferences
(``PreferredMail``): the notification sends none of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

from elearn.application.billing.api import (
    OrderPaid,
    PaymentRefunded,
    WithdrawalApproved,
    WithdrawalFailed,
    WithdrawalPaid,
)
from elearn.application.catalog.api import CourseApproved, CoursePublished, CourseRejected
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notification_texts import words
from elearn.application.communication.notifications import EmailedBy, NotificationDraft, Notify
from elearn.application.community.api import AnswerAccepted, ReplyPosted, ThreadStarted
from elearn.application.identity.api import TutorApplicationDecided
from elearn.application.learning.api import AssignmentGraded, CertificateIssued, EnrollmentStarted
from elearn.application.reporting.api import ReportReady
from elearn.application.support.api import (
    AutoCloseWarned,
    SlaBreached,
    TicketAssigned,
    TicketMessagePosted,
    TicketStatusChanged,
)
from elearn.application.tutoring.api import (
    BookingCancelled,
    BookingConfirmed,
    BookingHeld,
    BookingReminderDue,
    BookingRescheduled,
)
from elearn.domain.communication.conversations import MessagePosted
from elearn.domain.communication.notifications import Category, LinkTarget
from elearn.domain.shared.events import DomainEvent

DraftsOf = Callable[[NotificationsDeps, DomainEvent], Awaitable[list[NotificationDraft]]]


class NotifyOfEvent:
    """The outbox handler of one kind of event: its drafts, made into notifications once."""

    def __init__(self, deps: NotificationsDeps, drafts_of: DraftsOf) -> None:
        self._deps = deps
        self._drafts_of = drafts_of
        self._notify = Notify(deps)

    async def __call__(self, event: DomainEvent) -> None:
        await self._notify(await self._drafts_of(self._deps, event))


async def _drafts(
    deps: NotificationsDeps,
    event: DomainEvent,
    recipients: Sequence[tuple[UUID, dict[str, object]]],
    *,
    kind: str,
    category: Category,
    link: LinkTarget | None,
    emailed_by: EmailedBy = EmailedBy.NOTIFICATION,
) -> list[NotificationDraft]:
    """One draft per recipient (with the words' parameters each reads), in their language."""
    drafts: list[NotificationDraft] = []
    async with deps.uow(read_only=True) as uow:
        for person_id, parameters in recipients:
            person = await deps.identity.recipient(uow, person_id)
            if person is None:
                continue
            title, body = words(kind, person.language, **parameters)
            drafts.append(
                NotificationDraft(
                    recipient_id=person_id,
                    category=category,
                    title=title,
                    body=body,
                    link=link,
                    metadata={"event_type": event.event_type},
                    source_key=str(event.event_id),
                    emailed_by=emailed_by,
                )
            )
    return drafts


async def tutor_decided(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, TutorApplicationDecided)
    kind = "tutor_approved" if event.approved else "tutor_rejected"
    return await _drafts(
        deps, event, [(event.user_id, {"reason": event.reason or ""})],
        kind=kind, category=Category.ACCOUNT, link=LinkTarget("user", event.user_id),
        emailed_by=EmailedBy.SOURCE,
    )  # fmt: skip


async def course_moved(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, CourseApproved | CourseRejected | CoursePublished)
    kind = {
        CourseApproved: "course_approved",
        CourseRejected: "course_rejected",
        CoursePublished: "course_published",
    }[type(event)]
    async with deps.uow(read_only=True) as uow:
        course = await deps.catalog.course_facts(uow, event.course_id)
    if course is None:
        return []
    parameters: dict[str, object] = {"course": course.title, "reason": event.reason or ""}
    return await _drafts(
        deps, event, [(instructor, parameters) for instructor in course.instructor_ids],
        kind=kind, category=Category.COURSE, link=LinkTarget("course", course.id),
    )  # fmt: skip


async def enrolled(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, EnrollmentStarted)
    async with deps.uow(read_only=True) as uow:
        course = await deps.catalog.course_facts(uow, event.course_id)
    title = course.title if course is not None else ""
    return await _drafts(
        deps, event, [(event.user_id, {"course": title})],
        kind="enrolled", category=Category.LEARNING, link=LinkTarget("course", event.course_id),
    )  # fmt: skip


async def graded(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, AssignmentGraded)
    parameters: dict[str, object] = {"points": event.points, "max_points": event.max_points}
    return await _drafts(
        deps, event, [(event.user_id, parameters)],
        kind="assignment_graded", category=Category.LEARNING,
        link=LinkTarget("lesson", event.lesson_id), emailed_by=EmailedBy.SOURCE,
    )  # fmt: skip


async def certificate_issued(
    deps: NotificationsDeps, event: DomainEvent
) -> list[NotificationDraft]:
    assert isinstance(event, CertificateIssued)
    return await _drafts(
        deps, event, [(event.user_id, {"course": event.course_title})],
        kind="certificate_issued", category=Category.LEARNING,
        link=LinkTarget("certificate", event.certificate_id),
    )  # fmt: skip


async def booking_held(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    """The student who holds the time (the tutor hears of it once it is paid for), in the
    center, live and by push, never by email: the hold lasts minutes, the student is at the
    checkout, and the confirmation's email follows."""
    assert isinstance(event, BookingHeld)
    parties = await deps.tutoring.booking_parties(event.booking_id)
    if parties is None:
        return []
    held_until = event.held_until.strftime("%H:%M UTC")
    return await _drafts(
        deps, event, [(event.student_id, {"other": parties.tutor_name, "held_until": held_until})],
        kind="booking_held", category=Category.BOOKING,
        link=LinkTarget("booking", event.booking_id), emailed_by=EmailedBy.NO_ONE,
    )  # fmt: skip


_BOOKING_KINDS: dict[type[DomainEvent], str] = {
    BookingConfirmed: "booking_confirmed",
    BookingRescheduled: "booking_rescheduled",
    BookingCancelled: "booking_cancelled",
    BookingReminderDue: "booking_reminder",
}
BOOKING_EVENTS = tuple(_BOOKING_KINDS)


async def booking_changed(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    booking_id: UUID = event.booking_id  # type: ignore[attr-defined]
    parties = await deps.tutoring.booking_parties(booking_id)
    if parties is None:
        return []
    if isinstance(event, BookingReminderDue) and parties.starts_at != event.starts_at:
        return []  # moved since: its own notification said so
    return await _drafts(
        deps, event,
        [
            (parties.student_id, {"other": parties.tutor_name}),
            (parties.tutor_id, {"other": parties.student_name}),
        ],
        kind=_BOOKING_KINDS[type(event)], category=Category.BOOKING,
        link=LinkTarget("booking", booking_id), emailed_by=EmailedBy.SOURCE,
    )  # fmt: skip


async def order_paid(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, OrderPaid)
    return await _drafts(
        deps, event, [(event.buyer_id, {})],
        kind="payment_succeeded", category=Category.PAYMENT,
        link=LinkTarget("order", event.order_id), emailed_by=EmailedBy.SOURCE,
    )  # fmt: skip


async def payment_refunded(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, PaymentRefunded)
    return await _drafts(
        deps, event, [(event.buyer_id, {})],
        kind="payment_refunded", category=Category.PAYMENT,
        link=LinkTarget("order", event.order_id),
    )  # fmt: skip


async def withdrawal_moved(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, WithdrawalApproved | WithdrawalFailed | WithdrawalPaid)
    # A failed withdrawal's email is billing's own; the others are told here.
    emailed_by = EmailedBy.SOURCE if isinstance(event, WithdrawalFailed) else EmailedBy.NOTIFICATION
    kind = {
        WithdrawalApproved: "withdrawal_approved",
        WithdrawalPaid: "withdrawal_paid",
        WithdrawalFailed: "withdrawal_failed",
    }[type(event)]
    return await _drafts(
        deps, event, [(event.tutor_id, {})],
        kind=kind, category=Category.PAYOUT,
        link=LinkTarget("withdrawal", event.withdrawal_id), emailed_by=emailed_by,
    )  # fmt: skip


async def message_posted(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    """The conversations module emails unread messages itself (its digest): no email here."""
    assert isinstance(event, MessagePosted)
    async with deps.uow(read_only=True) as uow:
        sender = await deps.identity.user(uow, event.sender_id)
    parameters: dict[str, object] = {
        "sender": sender.full_name if sender else "",
        "preview": event.preview,
    }
    return await _drafts(
        deps, event, [(recipient, parameters) for recipient in event.recipient_ids],
        kind="message", category=Category.MESSAGE,
        link=LinkTarget("conversation", event.conversation_id), emailed_by=EmailedBy.SOURCE,
    )  # fmt: skip


def _ticket(ticket_id: UUID) -> LinkTarget:
    return LinkTarget("support_ticket", ticket_id)


async def ticket_assigned(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, TicketAssigned)
    return [
        *await _drafts(
            deps, event, [(event.agent_id, {})],
            kind="ticket_assigned", category=Category.SUPPORT, link=_ticket(event.ticket_id),
        ),
        *await _drafts(
            deps, event, [(event.customer_id, {})],
            kind="ticket_taken", category=Category.SUPPORT, link=_ticket(event.ticket_id),
        ),
    ]  # fmt: skip


async def ticket_message(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, TicketMessagePosted)
    return await _drafts(
        deps, event, [(recipient, {}) for recipient in event.recipient_ids],
        kind="ticket_message", category=Category.SUPPORT, link=_ticket(event.ticket_id),
    )  # fmt: skip


async def ticket_resolved(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, TicketStatusChanged)
    if event.status != "resolved":
        return []
    return await _drafts(
        deps, event, [(event.customer_id, {})],
        kind="ticket_resolved", category=Category.SUPPORT, link=_ticket(event.ticket_id),
    )  # fmt: skip


async def ticket_closing(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, AutoCloseWarned)
    return await _drafts(
        deps, event, [(event.customer_id, {})],
        kind="ticket_closing", category=Category.SUPPORT, link=_ticket(event.ticket_id),
    )  # fmt: skip


async def sla_breached(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, SlaBreached)
    parameters: dict[str, object] = {
        "priority": event.priority,
        "deadline": event.kind.replace("_", " "),
    }
    return await _drafts(
        deps, event, [(recipient, parameters) for recipient in event.recipient_ids],
        kind="sla_breached", category=Category.SUPPORT, link=_ticket(event.ticket_id),
    )  # fmt: skip


def _discussion(thread_id: UUID) -> LinkTarget:
    return LinkTarget("discussion", thread_id)


async def thread_started(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, ThreadStarted)
    return await _drafts(
        deps, event, [(person, {}) for person in event.mentioned_ids],
        kind="forum_mention", category=Category.COMMUNITY, link=_discussion(event.thread_id),
    )  # fmt: skip


async def reply_posted(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    """The mentioned, and the thread's followers the community found due one (it keeps the
    at-most-one-an-hour rule and leaves out the mentioned and the author)."""
    assert isinstance(event, ReplyPosted)
    parameters: dict[str, object] = {"thread": event.title}
    return [
        *await _drafts(
            deps, event, [(person, parameters) for person in event.mentioned_ids],
            kind="forum_mention", category=Category.COMMUNITY, link=_discussion(event.thread_id),
        ),
        *await _drafts(
            deps, event, [(person, parameters) for person in event.notify_ids],
            kind="forum_reply", category=Category.COMMUNITY, link=_discussion(event.thread_id),
        ),
    ]  # fmt: skip


async def answer_accepted(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    assert isinstance(event, AnswerAccepted)
    told: list[tuple[UUID, str]] = []
    if event.answerer_id != event.accepted_by:
        told.append((event.answerer_id, "forum_answer_accepted"))
    if event.asker_id not in (event.accepted_by, event.answerer_id):
        told.append((event.asker_id, "forum_question_answered"))
    drafts: list[NotificationDraft] = []
    for person, kind in told:
        drafts += await _drafts(
            deps, event, [(person, {})],
            kind=kind, category=Category.COMMUNITY, link=_discussion(event.thread_id),
        )  # fmt: skip
    return drafts


async def report_ready(deps: NotificationsDeps, event: DomainEvent) -> list[NotificationDraft]:
    """The staff member who asked for a report, once its file is written (the notification's
    own email goes out per their preferences: reports have no email of their own)."""
    assert isinstance(event, ReportReady)
    parameters: dict[str, object] = {"report": event.kind, "days": event.keep_days}
    return await _drafts(
        deps, event, [(event.requested_by, parameters)],
        kind="report_ready", category=Category.ACCOUNT, link=LinkTarget("report", event.report_id),
    )  # fmt: skip


# Event class → how it becomes notifications (the module subscribes each).
SOURCES: dict[type[DomainEvent], DraftsOf] = {
    TutorApplicationDecided: tutor_decided,
    CourseApproved: course_moved,
    CourseRejected: course_moved,
    CoursePublished: course_moved,
    EnrollmentStarted: enrolled,
    AssignmentGraded: graded,
    CertificateIssued: certificate_issued,
    BookingHeld: booking_held,
    **dict.fromkeys(BOOKING_EVENTS, booking_changed),
    OrderPaid: order_paid,
    PaymentRefunded: payment_refunded,
    WithdrawalApproved: withdrawal_moved,
    WithdrawalPaid: withdrawal_moved,
    WithdrawalFailed: withdrawal_moved,
    MessagePosted: message_posted,
    TicketAssigned: ticket_assigned,
    TicketMessagePosted: ticket_message,
    TicketStatusChanged: ticket_resolved,
    AutoCloseWarned: ticket_closing,
    SlaBreached: sla_breached,
    ThreadStarted: thread_started,
    ReplyPosted: reply_posted,
    AnswerAccepted: answer_accepted,
    ReportReady: report_ready,
}
