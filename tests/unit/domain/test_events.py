"""Domain events and domain errors: the shared kernel's contracts."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID

import pytest

from elearn.domain.identity.user import EmailTaken
from elearn.domain.shared.errors import Conflict, DomainError, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _event_classes_made_here() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    bases: list[type[DomainEvent]] = [DomainEvent]
    while bases:
        for subclass in bases.pop().__subclasses__():
            bases.append(subclass)
            if subclass.__module__ == __name__:
                found.append(subclass)
    return found


@pytest.fixture(autouse=True)
def _forget_test_event_classes() -> object:
    """Event classes made here must not outlive the test: ``EventCodec.for_all_events`` finds
    every live subclass of DomainEvent. A full collection costs seconds in a process that has
    run many tests, so only a test that left such a class behind pays for one."""
    yield
    if _event_classes_made_here():
        gc.collect()
    assert not _event_classes_made_here()


def test_an_event_class_without_event_type_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="event_type"):

        @dataclasses.dataclass(frozen=True, kw_only=True)
        class SomethingHappened(DomainEvent):
            detail: str


def test_an_inherited_event_type_is_not_enough() -> None:
    with pytest.raises(TypeError, match="event_type"):

        class Parent(DomainEvent):
            event_type = "test.parent_happened"

        class Child(Parent):  # would be stored under its parent's name
            pass


@pytest.mark.parametrize("event_type", ["", "   ", 42])
def test_an_empty_or_non_text_event_type_is_refused(event_type: object) -> None:
    with pytest.raises(TypeError, match="event_type"):
        type("Odd", (DomainEvent,), {"event_type": event_type})


def test_an_event_with_event_type_is_a_frozen_fact() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class ThingNamed(DomainEvent):
        event_type: ClassVar[str] = "test.thing_named"
        name: str

    event = ThingNamed(event_id=UUID(int=1), occurred_at=NOW, name="x")

    assert event.event_type == "test.thing_named"
    assert "event_type" not in {field.name for field in dataclasses.fields(event)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "y"  # type: ignore[misc]


def test_records_events_hands_them_out_once_in_order() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Ticked(DomainEvent):
        event_type: ClassVar[str] = "test.ticked"
        n: int

    class Clockwork(RecordsEvents):
        pass

    aggregate = Clockwork()
    first = Ticked(event_id=UUID(int=1), occurred_at=NOW, n=1)
    second = Ticked(event_id=UUID(int=2), occurred_at=NOW, n=2)
    aggregate.record(first)
    aggregate.record(second)

    assert aggregate.pull_events() == [first, second]
    assert aggregate.pull_events() == []


def test_illegal_transition_carries_machine_state_and_action() -> None:
    error = IllegalTransition("booking", "cancelled", "confirm")

    assert error.machine == "booking"
    assert error.current == "cancelled"
    assert error.action == "confirm"
    assert error.code == "illegal-transition"
    assert isinstance(error, Conflict)
    assert isinstance(error, DomainError)
    assert error.message == "cannot confirm a booking that is cancelled"


def test_domain_errors_have_stable_codes() -> None:
    assert DomainError("x").code == "domain-error"
    assert RuleViolation("x").code == "rule-violation"
    assert Conflict("x").code == "conflict"
    assert EmailTaken("x").code == "email-taken"
    assert RuleViolation("x", code="weak-password").code == "weak-password"
    assert RuleViolation("x").code == "rule-violation"  # the override stayed on the instance


@pytest.mark.parametrize(
    "error",
    [
        IllegalTransition("course", "draft", "publish"),
        RuleViolation("too weak", code="weak-password"),
        EmailTaken("taken"),
    ],
)
def test_domain_errors_survive_pickle_and_copy(error: DomainError) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert clone.code == error.code
        assert clone.message == error.message
        assert vars(clone) == vars(error)
