"""Prerequisites between courses stay acyclic: prerequisite_cycle finds the cycle new
prerequisites would close, and names it as a path of real edges."""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.catalog.course import MAX_PREREQUISITES, Course, InvalidCourse
from elearn.domain.catalog.prerequisites import (
    PrerequisiteCycle,
    check_prerequisites,
    prerequisite_cycle,
)
from elearn.domain.shared.errors import RuleViolation

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
A, B, C, D, E = (UUID(int=n) for n in range(1, 6))


def course(course_id: UUID = A) -> Course:
    return Course(
        id=course_id,
        owner_id=UUID(int=99),
        title="Python",
        slug="python",
        created_at=T0,
        updated_at=T0,
    )


def is_path_of(path: list[UUID], graph: Mapping[UUID, Iterable[UUID]]) -> bool:
    return all(b in graph.get(a, ()) for a, b in itertools.pairwise(path))


# ---- boundary examples ---------------------------------------------------------------------------
def test_a_course_cannot_be_its_own_prerequisite() -> None:
    target = course(A)

    with pytest.raises(InvalidCourse):
        target.set_prerequisites([B, A])

    assert target.prerequisite_ids == ()


def test_a_self_loop_is_a_cycle_of_one_edge() -> None:
    assert prerequisite_cycle(A, [A], {}) == [A, A]


def test_no_prerequisites_make_no_cycle() -> None:
    assert prerequisite_cycle(A, [], {B: [A]}) is None


def test_a_two_cycle_is_found() -> None:
    # B already requires A; A now wants B.
    assert prerequisite_cycle(A, [B], {B: [A]}) == [A, B, A]


def test_a_long_chain_closing_back_is_found_with_its_whole_path() -> None:
    graph = {B: [C], C: [D], D: [E], E: [A]}

    assert prerequisite_cycle(A, [B], graph) == [A, B, C, D, E, A]


def test_a_diamond_is_not_a_cycle() -> None:
    # A needs B and C, both need D: two paths to one course, no way back to A.
    graph = {B: [D], C: [D], D: []}

    assert prerequisite_cycle(A, [B, C], graph) is None
    check_prerequisites(A, [B, C], graph)


def test_a_long_chain_without_a_way_back_is_fine() -> None:
    graph = {B: [C], C: [D], D: [E], E: []}

    assert prerequisite_cycle(A, [B], graph) is None


def test_the_course_s_own_old_prerequisites_in_the_graph_are_replaced() -> None:
    # The stored graph still has A → B, but A's prerequisites are being replaced by [C].
    graph = {A: [B], B: [], C: []}

    assert prerequisite_cycle(A, [C], graph) is None


def test_check_prerequisites_raises_with_the_path() -> None:
    with pytest.raises(PrerequisiteCycle) as caught:
        check_prerequisites(A, [B], {B: [C], C: [A]})

    assert caught.value.path == [A, B, C, A]
    assert isinstance(caught.value, RuleViolation)
    assert caught.value.code == "prerequisite-cycle"
    assert str(A) in caught.value.message and str(C) in caught.value.message


def test_set_prerequisites_removes_duplicates_keeping_order() -> None:
    target = course(A)

    target.set_prerequisites([C, B, C, B])

    assert target.prerequisite_ids == (C, B)


def test_set_prerequisites_has_a_limit() -> None:
    target = course(A)
    many = [UUID(int=100 + n) for n in range(MAX_PREREQUISITES + 1)]

    target.set_prerequisites(many[:MAX_PREREQUISITES])
    assert len(target.prerequisite_ids) == MAX_PREREQUISITES

    with pytest.raises(InvalidCourse):
        target.set_prerequisites(many)
    assert len(target.prerequisite_ids) == MAX_PREREQUISITES


# ---- random graphs -------------------------------------------------------------------------------
@st.composite
def dag_and_new_prerequisites(
    draw: st.DrawFn,
) -> tuple[UUID, list[UUID], dict[UUID, list[UUID]]]:
    """A random acyclic prerequisite graph (edges only from lower to higher numbers, shuffled
    onto ids), a course of it and a random new set of prerequisites for that course."""
    size = draw(st.integers(min_value=1, max_value=9))
    ids = draw(st.permutations([UUID(int=n + 1) for n in range(size)]))
    graph: dict[UUID, list[UUID]] = {}
    for i in range(size):
        later = ids[i + 1 :]
        graph[ids[i]] = draw(st.lists(st.sampled_from(later), unique=True)) if later else []
    course_id = draw(st.sampled_from(ids))
    new = draw(st.lists(st.sampled_from(ids), max_size=4))
    return course_id, new, graph


def has_cycle(graph: Mapping[UUID, Iterable[UUID]]) -> bool:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return True
    return False


@settings(max_examples=200, deadline=None)
@given(dag_and_new_prerequisites(), st.booleans())
def test_a_cycle_is_reported_exactly_when_the_new_graph_has_one(
    case: tuple[UUID, list[UUID], dict[UUID, list[UUID]]], keep_own_entry: bool
) -> None:
    course_id, new, graph = case
    assert not has_cycle(graph)
    after = {**graph, course_id: new}
    known = graph if keep_own_entry else {k: v for k, v in graph.items() if k != course_id}

    path = prerequisite_cycle(course_id, new, known)

    assert (path is not None) is has_cycle(after)
    if path is not None:
        assert path[0] == course_id
        assert path[-1] == course_id
        assert len(path) >= 2
        assert is_path_of(path, after)
        assert course_id not in path[1:-1]  # a simple way back, not a detour through itself
        with pytest.raises(PrerequisiteCycle):
            check_prerequisites(course_id, new, known)
    else:
        check_prerequisites(course_id, new, known)


@settings(max_examples=100, deadline=None)
@given(dag_and_new_prerequisites())
def test_the_graph_needs_only_what_is_reachable_from_the_new_prerequisites(
    case: tuple[UUID, list[UUID], dict[UUID, list[UUID]]],
) -> None:
    course_id, new, graph = case
    reachable: set[UUID] = set()
    frontier = list(new)
    while frontier:
        node = frontier.pop()
        if node not in reachable:
            reachable.add(node)
            frontier.extend(graph.get(node, ()))
    trimmed = {k: v for k, v in graph.items() if k in reachable}

    full = prerequisite_cycle(course_id, new, graph)
    part = prerequisite_cycle(course_id, new, trimmed)

    assert (full is None) is (part is None)
