"""EventCodec: events to JSON-safe outbox payloads and back, by their stable event_type."""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

import pytest

from elearn.adapters.persistence.events import EventCodec, UnknownEventType
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import UserRegistered
from elearn.domain.learning.quiz import QuestionOutcome, QuizSubmitted
from elearn.domain.shared.events import DomainEvent

EVENT = UserRegistered(
    event_id=UUID("0b9a4a57-6f7e-4c43-9b8e-5d7e2a1c0f11"),
    occurred_at=datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
    user_id=UUID("5f0c6f0e-2b1d-4d35-a5a2-0c3f4d9e8b77"),
    email="ada@example.com",
    full_name="Ada Lovelace",
    role=Role.TUTOR,
)


@pytest.fixture
def codec() -> EventCodec:
    return EventCodec([UserRegistered])


def through_json(payload: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(payload))  # type: ignore[no-any-return]


def test_user_registered_round_trips_through_json(codec: EventCodec) -> None:
    payload = through_json(codec.encode(EVENT))

    decoded = codec.decode(EVENT.event_type, payload)

    assert decoded == EVENT
    assert isinstance(decoded, UserRegistered)
    assert isinstance(decoded.user_id, UUID)
    assert isinstance(decoded.event_id, UUID)
    assert decoded.role is Role.TUTOR
    assert decoded.occurred_at.tzinfo is not None
    assert decoded.occurred_at.utcoffset() == timedelta(0)


def test_the_payload_is_plain_json_types(codec: EventCodec) -> None:
    payload = codec.encode(EVENT)

    assert payload["user_id"] == str(EVENT.user_id)
    assert payload["role"] == "tutor"
    assert isinstance(payload["occurred_at"], str)
    assert "event_type" not in payload  # stored in its own column


def test_an_offset_other_than_utc_keeps_the_instant(codec: EventCodec) -> None:
    paris = timezone(timedelta(hours=1))
    event = dataclasses.replace(EVENT, occurred_at=datetime(2025, 3, 1, 13, 30, tzinfo=paris))

    decoded = codec.decode(event.event_type, through_json(codec.encode(event)))

    assert decoded.occurred_at == event.occurred_at
    assert decoded.occurred_at.utcoffset() == timedelta(hours=1)


def test_an_unknown_type_is_refused(codec: EventCodec) -> None:
    with pytest.raises(UnknownEventType) as caught:
        codec.decode("identity.something_else", through_json(codec.encode(EVENT)))

    assert "identity.something_else" in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_the_codec_of_all_events_knows_user_registered() -> None:
    codec = EventCodec.for_all_events()

    decoded = codec.decode("identity.user_registered", through_json(codec.encode(EVENT)))

    assert decoded == EVENT


@pytest.fixture
def same_type_classes() -> Iterator[list[type[DomainEvent]]]:
    """Two event classes sharing a type, gone again after the test: a live duplicate would
    break ``EventCodec.for_all_events()`` for every later test in the run."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class PaymentTaken(DomainEvent):
        event_type: ClassVar[str] = "test.codec_duplicate"

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class PaymentReceived(DomainEvent):
        event_type: ClassVar[str] = "test.codec_duplicate"

    classes: list[type[DomainEvent]] = [PaymentTaken, PaymentReceived]
    yield classes
    classes.clear()
    del PaymentTaken, PaymentReceived
    gc.collect()
    assert not any(
        sub.__dict__.get("event_type") == "test.codec_duplicate"
        for sub in DomainEvent.__subclasses__()
    )


def test_two_classes_with_the_same_event_type_are_refused(
    same_type_classes: list[type[DomainEvent]],
) -> None:
    with pytest.raises(ValueError, match=r"test\.codec_duplicate"):
        EventCodec(same_type_classes)


def test_the_same_class_twice_is_fine() -> None:
    codec = EventCodec([UserRegistered, UserRegistered])

    assert codec.decode(EVENT.event_type, codec.encode(EVENT)) == EVENT


def test_a_submitted_quiz_carries_its_questions_and_one_stored_before_them_has_none() -> None:
    codec = EventCodec([QuizSubmitted])
    ids = {
        name: UUID(int=n)
        for n, name in enumerate(("event", "attempt", "lesson", "course", "user"), 1)
    }
    submitted = QuizSubmitted(
        event_id=ids["event"],
        occurred_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        attempt_id=ids["attempt"],
        lesson_id=ids["lesson"],
        course_id=ids["course"],
        user_id=ids["user"],
        passed=False,
        percent=Decimal("50.00"),
        questions=(QuestionOutcome("q1", correct=True), QuestionOutcome("q2", correct=False)),
    )
    payload = through_json(codec.encode(submitted))
    assert codec.decode(QuizSubmitted.event_type, payload) == submitted

    del payload["questions"]
    older = codec.decode(QuizSubmitted.event_type, payload)
    assert isinstance(older, QuizSubmitted) and older.questions == ()
