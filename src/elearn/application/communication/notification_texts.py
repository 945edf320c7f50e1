"""The words of the notifications the platform makes, per language: the recipient's when it is
here, English otherwise. A language tag is matched whole first, then by its primary subtag
(``pt-BR`` reads ``pt``)."""

from __future__ import annotations

from collections.abc import Mapping

# kind → (title, body); bodies name their parameters with str.format fields.
_ENGLISH: Mapping[str, tuple[str, str]] = {
    "tutor_approved": ("You are an approved tutor", "Students can now book your lessons."),
    "tutor_rejected": ("Your tutor application was not approved", "{reason}"),
    "course_approved": ("Course approved", "“{course}” passed review."),
    "course_rejected": ("Course not approved", "“{course}” needs changes: {reason}"),
    "course_published": ("Course published", "“{course}” is now in the catalog."),
    "enrolled": ("You are enrolled", "You can start learning in “{course}”."),
    "assignment_graded": ("Assignment graded", "Your submission got {points}/{max_points}."),
    "certificate_issued": (
        "Your certificate is ready",
        "You completed “{course}”: your certificate can be downloaded.",
    ),
    "booking_held": (
        "Lesson held for you",
        "Your lesson with {other} is held until {held_until}: pay to confirm it.",
    ),
    "booking_confirmed": ("Lesson confirmed", "Your lesson with {other} is confirmed."),
    "booking_rescheduled": ("Lesson moved", "Your lesson with {other} has a new time."),
    "booking_cancelled": ("Lesson cancelled", "Your lesson with {other} was cancelled."),
    "booking_reminder": ("Lesson soon", "Your lesson with {other} starts soon."),
    "payment_succeeded": ("Payment received", "Thank you: your payment went through."),
    "payment_refunded": ("Refund made", "Money from your payment is on its way back to you."),
    "withdrawal_approved": ("Withdrawal approved", "Your withdrawal is on its way."),
    "withdrawal_paid": ("Withdrawal paid", "Your payout was sent to your account."),
    "withdrawal_failed": ("Payout failed", "Your payout could not be made; the money is back."),
    "announcement": ("{course}: {title}", "{body}"),
    "message": ("New message from {sender}", "{preview}"),
    "forum_mention": ("You were mentioned", "Someone mentioned you in a course discussion."),
    "forum_reply": ("New reply", "There is a new reply in “{thread}”."),
    "forum_answer_accepted": ("Your answer was accepted", "It is marked as the answer."),
    "forum_question_answered": ("Your question has an answer", "An answer was accepted."),
    "ticket_assigned": ("A support ticket is yours", "A ticket was assigned to you."),
    "ticket_taken": ("Your ticket is being handled", "An agent is looking at your ticket."),
    "ticket_message": ("New reply on a support ticket", "There is a new message on the ticket."),
    "ticket_resolved": ("Your ticket was resolved", "Tell us how we did: rate the answer."),
    "ticket_closing": (
        "Your ticket closes soon",
        "Answer within a day or the ticket will be closed.",
    ),
    "report_ready": (
        "Your report is ready",
        "The {report} report you asked for can be downloaded from its page for {days} days.",
    ),
    "sla_breached": (
        "Support deadline missed",
        "A {priority} ticket missed its {deadline} deadline.",
    ),
}

_TRANSLATIONS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "en": _ENGLISH,
    "es": {
        "tutor_approved": (
            "Ya eres tutor aprobado",
            "Los estudiantes ya pueden reservar tus clases.",
        ),
        "course_approved": ("Curso aprobado", "“{course}” pasó la revisión."),
        "course_published": ("Curso publicado", "“{course}” ya está en el catálogo."),
        "enrolled": ("Estás inscrito", "Ya puedes empezar a aprender en “{course}”."),
        "booking_confirmed": ("Clase confirmada", "Tu clase con {other} está confirmada."),
        "booking_cancelled": ("Clase cancelada", "Tu clase con {other} fue cancelada."),
        "payment_succeeded": ("Pago recibido", "Gracias: tu pago se realizó."),
        "payment_refunded": ("Reembolso realizado", "El dinero de tu pago vuelve a ti."),
        "certificate_issued": (
            "Tu certificado está listo",
            "Completaste “{course}”: ya puedes descargar tu certificado.",
        ),
    },
}


def _table_for(language: str | None) -> list[Mapping[str, tuple[str, str]]]:
    tables: list[Mapping[str, tuple[str, str]]] = []
    if language:
        tag = language.strip().lower()
        for candidate in (tag, tag.split("-", 1)[0]):
            table = _TRANSLATIONS.get(candidate)
            if table is not None and table not in tables:
                tables.append(table)
    tables.append(_ENGLISH)
    return tables


def words(kind: str, language: str | None, **parameters: object) -> tuple[str, str]:
    """The title and body of a notification of ``kind`` in ``language`` (else English)."""
    for table in _table_for(language):
        if kind in table:
            title, body = table[kind]
            return title.format(**parameters), body.format(**parameters)
    raise KeyError(f"no notification text named {kind!r}")
