"""The mapping of errors to RFC 9457 problem responses, without a running app."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar, Request
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.testing import RequestFactory

from elearn.application import errors as application_errors
from elearn.application.errors import (
    ApplicationError,
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    UnsupportedMediaType,
)
from elearn.application.files import RangeNotSatisfiable
from elearn.domain.identity.user import EmailNotVerified
from elearn.domain.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    RuleViolation,
)
from elearn.entrypoints.http.problems import (
    PROBLEM_MEDIA_TYPE,
    EnumeratedProblem,
    FieldProblem,
    Problem,
    handle_application_error,
    handle_domain_error,
    handle_http_exception,
    handle_unexpected,
    handle_validation_error,
    problem_responses,
    status_for,
)

# An app of its own: Litestar's default logging config would replace the handlers caplog uses.
FACTORY = RequestFactory(app=Litestar(logging_config=None))


def request(path: str = "/api/v1/things/1", request_id: str = "req-1") -> Request:
    return FACTORY.get(path, headers={"X-Request-ID": request_id})


class BookingExpired(RuleViolation):
    code = "booking-expired"


class CourseHidden(NotFound):
    pass


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError("a rule"), 422),
        (RuleViolation("price must be positive"), 422),
        (BookingExpired("too late"), 422),
        (Conflict("email taken"), 409),
        (IllegalTransition("booking", "cancelled", "confirm"), 409),
        (Forbidden("verify your email first"), 403),
        (EmailNotVerified(), 403),
        (ApplicationError("generic"), 400),
        (NotFound("no such course"), 404),
        (CourseHidden("not visible"), 404),
        (NotAuthenticated("log in"), 401),
        (PermissionDenied("not yours"), 403),
        (InvalidInput("bad", errors=[FieldError("email", "not an email")]), 422),
        (RateLimited("slow down", retry_after_seconds=3), 429),
        (PayloadTooLarge("too big"), 413),
        (UnsupportedMediaType("send json"), 415),
        (RangeNotSatisfiable("past the end", size=10), 416),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_status_for_every_error_kind(error: Exception, status: int) -> None:
    assert status_for(error) == status  # type: ignore[arg-type]


def test_every_application_error_kind_has_its_own_status() -> None:
    """A new kind in elearn.application.errors must be mapped, not fall through to 400."""
    kinds = [
        value
        for value in vars(application_errors).values()
        if isinstance(value, type)
        and issubclass(value, ApplicationError)
        and value is not ApplicationError
    ]
    assert kinds
    # A bad query parameter is the one kind that is meant to be a 400.
    deliberately_400 = {application_errors.InvalidParameter}
    for kind in kinds:
        error = kind.__new__(kind)
        Exception.__init__(error, "message")
        if kind in deliberately_400:
            assert status_for(error) == 400
            continue
        assert status_for(error) != 400, f"{kind.__name__} has no HTTP status in problems.py"


def test_domain_error_becomes_a_problem_with_its_stable_code() -> None:
    response = handle_domain_error(request(), IllegalTransition("booking", "cancelled", "confirm"))
    assert response.status_code == 409
    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert response.content == Problem(
        type="urn:elearn:problem:illegal-transition",
        title="Conflict",
        status=409,
        detail="cannot confirm a booking that is cancelled",
        code="illegal-transition",
        instance="/api/v1/things/1",
        request_id="req-1",
    )


def test_a_code_given_at_raise_time_wins() -> None:
    response = handle_domain_error(request(), Conflict("taken", code="duplicate-email"))
    assert response.content.code == "duplicate-email"
    assert response.content.type == "urn:elearn:problem:duplicate-email"


def test_not_authenticated_asks_for_a_bearer_token() -> None:
    response = handle_application_error(request(), NotAuthenticated("log in first"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_rate_limited_says_when_to_retry() -> None:
    response = handle_application_error(request(), RateLimited("slow", retry_after_seconds=30))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"


def test_retry_after_is_never_zero() -> None:
    response = handle_application_error(request(), RateLimited("slow", retry_after_seconds=0))
    assert response.headers["Retry-After"] == "1"


def test_range_not_satisfiable_names_the_size() -> None:
    response = handle_application_error(request(), RangeNotSatisfiable("past end", size=1234))
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1234"


def test_invalid_input_lists_the_field_errors() -> None:
    error = InvalidInput(
        "the profile is not valid",
        errors=[FieldError("email", "not an email"), FieldError("time_zone", "unknown zone")],
    )
    response = handle_application_error(request(), error)
    assert response.status_code == 422
    assert response.content.detail == "the profile is not valid"
    assert response.content.errors == [
        FieldProblem("email", "not an email"),
        FieldProblem("time_zone", "unknown zone"),
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            [{"message": "Expected `str`, got `int`", "key": "title", "source": "body"}],
            [FieldProblem("title", "Expected str, got int")],
        ),
        (
            [{"message": "Object contains unknown field `role`", "key": "data", "source": "body"}],
            [FieldProblem("role", "Object contains unknown field role")],
        ),
        (
            [
                {
                    "message": "Object missing required field `name`",
                    "key": "author",
                    "source": "body",
                }
            ],
            [FieldProblem("author.name", "Object missing required field name")],
        ),
        (
            [{"message": "Expected `object`, got `array`", "key": "data", "source": "body"}],
            [FieldProblem("body", "Expected object, got array")],
        ),
        (
            [{"message": "Expected `int`, got `str` - at `$.lessons[2].position`"}],
            [FieldProblem("lessons[2].position", "Expected int, got str")],
        ),
        (
            [{"message": "Expected `int`, got `str`", "key": "page", "source": "query"}],
            [FieldProblem("page", "Expected int, got str")],
        ),
    ],
)
def test_validation_errors_name_the_offending_field(
    extra: list[dict[str, str]], expected: list[FieldProblem]
) -> None:
    response = handle_validation_error(request(), ValidationException("bad", extra=extra))
    assert response.status_code == 400
    assert response.content.code == "invalid-request"
    assert response.content.errors == expected
    assert response.content.detail.startswith(expected[0].field)


def test_a_validation_error_without_details_keeps_its_message() -> None:
    error = ValidationException("multipart boundary missing in Content-Type")
    response = handle_validation_error(request(), error)
    assert response.content.detail == "multipart boundary missing in Content-Type"
    assert response.content.errors is None


def test_http_exceptions_keep_their_status_and_a_stable_code() -> None:
    response = handle_http_exception(request("/nope"), NotFoundException())
    assert response.status_code == 404
    assert response.content.code == "not-found"
    assert response.content.detail  # a description, never empty


def test_an_unusual_status_does_not_break_the_handler() -> None:
    response = handle_http_exception(request(), HTTPException(status_code=499, detail="closed"))
    assert response.status_code == 499
    assert response.content.title == "Error"
    assert response.content.code == "http-error"


def test_a_deliberate_503_keeps_its_status_and_headers_but_not_its_detail() -> None:
    error = ServiceUnavailableException(
        detail="pool 3 on db-7 exhausted", headers={"Retry-After": "5"}
    )
    response = handle_http_exception(request(), error)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "db-7" not in response.content.detail


def test_an_internal_server_exception_is_an_opaque_500() -> None:
    response = handle_http_exception(request(), InternalServerException("stream consumed"))
    assert response.status_code == 500
    assert response.content.code == "internal-error"
    assert "stream" not in response.content.detail


def test_unexpected_errors_hide_their_text_and_are_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        try:
            raise RuntimeError("password=hunter2")
        except RuntimeError as error:
            response = handle_unexpected(request(request_id="req-42"), error)
    assert response.status_code == 500
    problem = response.content
    assert problem.request_id == "req-42"
    assert "hunter2" not in repr(problem)
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert record.exc_info is not None


def test_a_request_without_an_id_gets_one() -> None:
    plain = FACTORY.get("/x")
    response = handle_domain_error(plain, RuleViolation("no"))
    assert response.content.request_id
    assert (
        response.content.request_id
        == handle_domain_error(plain, RuleViolation("no")).content.request_id
    )


def test_problem_responses_document_problem_json() -> None:
    specs = problem_responses(
        {400: ["invalid-request"], 404: ["not-found"], 500: ["internal-error"]}
    )
    assert set(specs) == {400, 404, 500}
    assert specs[404].data_container.codes == ("not-found",)  # type: ignore[attr-defined]
    for spec in specs.values():
        assert issubclass(spec.data_container, EnumeratedProblem)
        assert spec.media_type == PROBLEM_MEDIA_TYPE
        assert spec.description
