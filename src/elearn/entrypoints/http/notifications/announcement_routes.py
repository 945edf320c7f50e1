"""/api/v1/courses/{course_key}/announcements: a course's instructors (and staff) announce to
its students."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from elearn.application.communication.announcements import AnnouncementView, NewAnnouncement
from elearn.application.paging import Page
from elearn.domain.communication.announcements import BODY_MAX, TITLE_MAX
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.notifications import Notifications


class AnnouncementBody(RequestBody):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX, examples=["Week 2"])]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=BODY_MAX)]


class AnnouncementsController(Controller):
    path = "/courses"
    tags = ["notifications"]
    guards = [signed_in]

    @problems("course-not-found", "invalid-announcement")
    @post(
        "/{course_key:str}/announcements",
        operation_id="announce_to_course",
        summary="Announce to a course's students",
        status_code=201,
    )
    async def announce(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        notifications: Notifications,
        data: JSONBody[AnnouncementBody],
    ) -> AnnouncementView:
        """The course's instructors and staff. Every student enrolled in the course gets it in
        their notification center (and, by their preferences, by email), from the worker."""
        return await notifications.announce(
            actor, course_key, NewAnnouncement(title=data.title, body=data.body)
        )

    @problems("course-not-found")
    @get(
        "/{course_key:str}/announcements",
        operation_id="list_course_announcements",
        summary="A course's announcements",
    )
    async def announcements(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        notifications: Notifications,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[AnnouncementView]:
        """Newest first, for the course's students, its instructors and staff."""
        return await notifications.course_announcements(
            actor, course_key, limit=limit, cursor=cursor
        )


ANNOUNCEMENT_CONTROLLERS = [AnnouncementsController]
