"""Where requests tell analytics who is active and who opened which course page: an in-memory
note on this process, no database write (see `application/analytics/activity.py`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from elearn.application.actor import Actor


def _recorder(container: Any) -> Any:
    use_cases = container.use_cases.get("analytics")
    return None if use_cases is None else use_cases.sightings


def note_active(container: Any, actor: Actor) -> None:
    recorder = _recorder(container)
    if recorder is not None and actor.user_id is not None:
        recorder.note_active(actor.user_id)


def note_course_view(container: Any, course_id: UUID, actor: Actor) -> None:
    recorder = _recorder(container)
    if recorder is not None:
        recorder.note_course_view(course_id, actor.user_id, actor.ip, actor.user_agent)
