"""/api/v1/analytics/instructor/institutions: where an instructor's students study, in
aggregate (k-anonymous)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import QueryParameter

from elearn.application.analytics.institutions import InstitutionMix
from elearn.entrypoints.analytics import Analytics
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.problem_codes import problems


class InstitutionMixController(Controller):
    path = "/analytics/instructor/institutions"
    tags = ["analytics"]
    guards = [signed_in]

    @problems("course-not-found")
    @get(
        operation_id="get_instructor_institutions",
        summary="Your students' institutions",
    )
    async def institutions(
        self,
        actor: CurrentActor,
        analytics: Analytics,
        course_id: Annotated[
            UUID | None,
            QueryParameter(description="one of the courses you teach (staff: any course)"),
        ] = None,
    ) -> InstitutionMix:
        """Distinct students of the courses you teach (or of one), counted per institution
        their profile names, largest first. An institution with fewer than `min_group_size`
        (5) of them is never named: its students are counted in `other`, so no count points at
        a person. `not_stated`: students who named none."""
        return await analytics.institution_mix(actor, course_id)
