"""Prerequisites form a directed graph between courses that must stay acyclic: a course whose
prerequisites lead back to itself could never be started."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation


class PrerequisiteCycle(RuleViolation):
    code = "prerequisite-cycle"

    def __init__(self, path: list[UUID]) -> None:
        super().__init__(
            "these prerequisites would make a cycle: " + " → ".join(str(i) for i in path)
        )
        self.path = path


def prerequisite_cycle(
    course_id: UUID,
    prerequisites: Iterable[UUID],
    graph: Mapping[UUID, Iterable[UUID]],
) -> list[UUID] | None:
    """The cycle that giving ``course_id`` these ``prerequisites`` would close, as the path
    from the course back to itself, or None. ``graph`` maps other courses to their current
    prerequisites; it needs only the courses reachable from ``prerequisites``."""
    # Depth-first from each new prerequisite, remembering how we got there.
    came_from: dict[UUID, UUID] = {}
    stack: list[UUID] = []
    for start in prerequisites:
        if start not in came_from:
            came_from[start] = course_id
            stack.append(start)
    while stack:
        current = stack.pop()
        if current == course_id:
            path = [course_id]
            step = came_from[course_id]
            while step != course_id:
                path.append(step)
                step = came_from[step]
            path.append(course_id)
            path.reverse()
            return path
        for following in graph.get(current, ()):
            if following not in came_from:
                came_from[following] = current
                stack.append(following)
    return None


def check_prerequisites(
    course_id: UUID, prerequisites: Iterable[UUID], graph: Mapping[UUID, Iterable[UUID]]
) -> None:
    cycle = prerequisite_cycle(course_id, prerequisites, graph)
    if cycle is not None:
        raise PrerequisiteCycle(cycle)
