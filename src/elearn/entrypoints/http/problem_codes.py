"""Every problem ``code`` the API can answer, with its HTTP status, written once; and the
``problems(...)`` declaration by which a route names the codes of its own.

A route declares only what its use cases can refuse (``@problems("slug-taken")`` above
``@post``); what follows from the route's shape is derived by ``ProblemResponsesPlugin``
(``entrypoints/http/docs.py``): 401 and 403 where it reads the caller, 404 where its path
has a parameter, 400 for parameters and bodies, 413/415 for bodies, 500 always. The
OpenAPI document enumerates the codes under each status, and the tests check every response
they receive against it (``tests/support/contract.py``).

A new code is one line here; ``tests/unit/test_problem_codes.py`` fails on a code raised
anywhere in ``src/elearn`` that is missing or listed with another status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

# code -> the statuses it is answered with. One status each, but for two token codes that
# mean "sign in again" (401) when the bearer is bad and "this link is no good" (422) when a
# one-time token in a body is.
PROBLEM_CODES: Mapping[str, tuple[int, ...]] = {
    # 400: the request's shape (see entrypoints/http/problems.py and middleware.py)
    "invalid-request": (400,),
    "malformed-body": (400,),
    "empty-body": (400,),
    "invalid-parameter": (400,),
    "invalid-webhook": (400,),
    # 401
    "not-authenticated": (401,),
    "invalid-token": (401, 422),
    "invalid-refresh-token": (401, 422),
    "invalid-credentials": (401,),
    "otp-required": (401,),
    # Not an HTTP answer: the realtime socket's close reason for a ticket it refused.
    "invalid-realtime-ticket": (401,),
    # 402
    "payment-required": (402,),
    # 403
    "permission-denied": (403,),
    "two-factor-required": (403,),
    "email-not-verified": (403,),
    "tutor-not-approved": (403,),
    "tutor-application-rejected": (403,),
    "not-a-tutor": (403,),
    "not-an-agent": (403,),
    "not-an-instructor": (403,),
    "not-enrolled": (403,),
    "own-course": (403,),
    "media-token-invalid": (403,),
    "report-link-invalid": (403,),
    "document-link-invalid": (403,),
    "forbidden": (403,),
    "not-your-session": (403,),
    "may-not-converse": (403,),
    "conversation-blocked": (403,),
    "not-a-participant": (403,),
    "not-your-message": (403,),
    "attachment-link-invalid": (403,),
    # 404
    "not-found": (404,),
    "assignment-not-found": (404,),
    "attempt-not-found": (404,),
    "booking-not-found": (404,),
    "calendar-not-found": (404,),
    "category-not-found": (404,),
    "institution-not-found": (404,),
    "certificate-not-found": (404,),
    "course-not-found": (404,),
    "discussion-not-found": (404,),
    "enrollment-not-found": (404,),
    "exception-not-found": (404,),
    "lesson-not-found": (404,),
    "order-not-found": (404,),
    "reply-not-found": (404,),
    "quiz-not-found": (404,),
    "refund-not-found": (404,),
    "review-not-found": (404,),
    "section-not-found": (404,),
    "submission-not-found": (404,),
    "tutor-not-found": (404,),
    "user-not-found": (404,),
    "withdrawal-not-found": (404,),
    "invitation-not-found": (404,),
    "co-instructor-not-found": (404,),
    "revision-not-found": (404,),
    "erasure-not-found": (404,),
    "export-not-found": (404,),
    "staff-report-not-found": (404,),
    "notification-not-found": (404,),
    "push-not-configured": (404,),
    "push-subscription-not-found": (404,),
    "conversation-not-found": (404,),
    "message-not-found": (404,),
    "report-not-found": (404,),
    "attachment-not-found": (404,),
    "ticket-not-found": (404,),
    "agent-not-found": (404,),
    # 405
    "method-not-allowed": (405,),
    # 409
    "conflict": (409,),
    "illegal-transition": (409,),
    "agent-at-capacity": (409,),
    "ticket-already-rated": (409,),
    "reopen-window-over": (409,),
    "already-enrolled": (409,),
    "already-reported": (409,),
    "thread-locked": (409,),
    "already-owned": (409,),
    "already-recorded": (409,),
    "already-replied": (409,),
    "already-reviewed": (409,),
    "attempt-closed": (409,),
    "cannot-leave": (409,),
    "category-in-use": (409,),
    "category-taken": (409,),
    "course-locked": (409,),
    "course-not-deletable": (409,),
    "email-taken": (409,),
    "institution-domain-taken": (409,),
    "hold-expired": (409,),
    "idempotency-key-in-use": (409,),
    "idempotency-key-reused": (409,),
    "slot-unavailable": (409,),
    "slot-taken": (409,),
    "slug-taken": (409,),
    "submission-graded": (409,),
    "withdrawal-open": (409,),
    "erasure-scheduled": (409,),
    "already-erased": (409,),
    "export-not-ready": (409,),
    "report-not-ready": (409,),
    # Only when the same report raced in and finished within one request: practically never.
    "same-report-in-progress": (409,),
    "invitation-not-pending": (409,),
    "co-instructor-already-invited": (409,),
    "already-an-instructor": (409,),
    "revision-locked": (409,),
    "revision-outdated": (409,),
    "too-many-holds": (409,),
    "too-many-holds-with-tutor": (409,),
    "conversation-started-meanwhile": (409,),
    "message-deleted": (409,),
    "edit-window-closed": (409,),
    # 410
    "gone": (410,),
    "export-expired": (410,),
    "export-failed": (410,),
    "report-expired": (410,),
    "report-link-expired": (410,),
    "document-link-expired": (410,),
    "media-link-used": (410,),
    # 413, 415, 416
    "payload-too-large": (413,),
    "unsupported-media-type": (415,),
    "range-not-satisfiable": (416,),
    # 422: well-formed, refused by a rule
    "invalid-input": (422,),
    "invalid-staff-report": (422,),
    "invalid-report-period": (422,),
    "invalid-post": (422,),
    "invalid-analytics-range": (422,),
    "not-a-question": (422,),
    "reply-not-in-thread": (422,),
    "lesson-not-in-course": (422,),
    "completion-not-reportable": (422,),
    "too-many-co-instructors": (422,),
    "cannot-invite-owner": (422,),
    "revision-empty": (422,),
    "invalid-message": (422,),
    "invalid-report": (422,),
    "invalid-attachment": (422,),
    "rule-violation": (422,),
    "attempt-limit-reached": (422,),
    "attempt-time-over": (422,),
    "category-cycle": (422,),
    "category-too-deep": (422,),
    "invalid-institution": (422,),
    "course-incomplete": (422,),
    "course-not-open": (422,),
    "currency-mismatch": (422,),
    "empty-file": (422,),
    "full-name-required": (422,),
    "instructor-cannot-enroll": (422,),
    "insufficient-funds": (422,),
    "invalid-answers": (422,),
    "invalid-announcement": (422,),
    "invalid-assignment": (422,),
    "invalid-availability": (422,),
    "invalid-booking": (422,),
    "invalid-category": (422,),
    "invalid-course": (422,),
    "invalid-email": (422,),
    "invalid-fee-rate": (422,),
    "invalid-full-name": (422,),
    "invalid-grade": (422,),
    "invalid-preferences": (422,),
    "invalid-push-subscription": (422,),
    "unknown-push-service": (422,),
    "invalid-money": (422,),
    "invalid-otp": (422,),
    "invalid-outline": (422,),
    "invalid-progress": (422,),
    "invalid-quiz": (422,),
    "invalid-refund": (422,),
    "invalid-review": (422,),
    "invalid-ticket": (422,),
    "invalid-agent": (422,),
    "invalid-slug": (422,),
    "invalid-submission": (422,),
    "invalid-time-zone": (422,),
    "no-rate": (422,),
    "not-a-quiz-lesson": (422,),
    "not-an-assignment-lesson": (422,),
    "not-started": (422,),
    "password-required": (422,),
    "payout-account-missing": (422,),
    "prerequisite-cycle": (422,),
    "prerequisites-missing": (422,),
    "reason-required": (422,),
    "reschedule-too-late": (422,),
    "unknown-outline-item": (422,),
    "weak-password": (422,),
    "return-url-not-allowed": (422,),
    "duration-not-offered": (422,),
    "start-not-on-grid": (422,),
    "outside-availability": (422,),
    # 429
    "rate-limited": (429,),
    # 5xx
    "internal-error": (500,),
    "service-unavailable": (503,),
    "payment-provider-unavailable": (503,),
}

# Raised only where no request waits (mail is sent by workers, the ledger's own invariants),
# or the default of a base class every raise overrides: never an answer of the API.
NOT_ANSWERED: frozenset[str] = frozenset(
    {
        "application-error",
        "domain-error",
        "email-template-error",
        "invalid-email-message",
        "mail-delivery-failed",
        "unknown-email-template",
        "unbalanced-entry",
    }
)

PROBLEMS_OPT = "problems"
_Handler = TypeVar("_Handler")


class UnknownProblemCode(ValueError):
    pass


def statuses_of(code: str) -> tuple[int, ...]:
    try:
        return PROBLEM_CODES[code]
    except KeyError:
        raise UnknownProblemCode(
            f"{code!r} is not in PROBLEM_CODES (entrypoints/http/problem_codes.py)"
        ) from None


def problems(*codes: str) -> Callable[[_Handler], _Handler]:
    """Declares the problem codes a route's use cases can answer, above its route decorator:

    ``@problems("course-not-found", "slug-taken")`` then ``@post(...)``.

    Each code is documented under its status from ``PROBLEM_CODES`` (an unknown code fails
    at import). The generic ones (401, 403 ``permission-denied``, 404 ``not-found``, 400,
    413, 415, 500) are derived from the route and need no declaration.
    """
    for code in codes:
        statuses_of(code)

    def declare(handler: _Handler) -> _Handler:
        opt: dict[str, tuple[str, ...]] = handler.opt  # type: ignore[attr-defined]
        opt[PROBLEMS_OPT] = (*opt.get(PROBLEMS_OPT, ()), *codes)
        return handler

    return declare
