"""The catalog's use cases called directly: authoring by instructors, the review workflow by
staff, and who is refused what."""

from __future__ import annotations

import pytest
from tests.integration.usecases.world import World

from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewCourse
from elearn.application.catalog.discovery import BrowseQuery
from elearn.application.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from elearn.domain.catalog.course import CourseStatus
from elearn.domain.shared.errors import Conflict, Forbidden, IllegalTransition, RuleViolation
from elearn.domain.shared.money import Money


async def test_an_approved_tutor_creates_a_draft_they_own(world: World) -> None:
    catalog = world.container.catalog

    course = await catalog.create_course(world.tutor, NewCourse("Python for Beginners"))

    assert course.status is CourseStatus.DRAFT
    assert course.slug == "python-for-beginners"
    assert [person.id for person in course.instructors] == [world.tutor.user_id]


async def test_only_approved_tutors_create_courses(world: World) -> None:
    with pytest.raises(Forbidden) as refused:
        await world.container.catalog.create_course(world.student, NewCourse("Mine"))
    assert refused.value.code == "not-a-tutor"


async def test_a_course_goes_from_draft_through_review_to_the_public_catalog(
    world: World,
) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()

    submitted = await catalog.submit_course(world.tutor, draft.id)
    approved = await catalog.approve_course(world.manager, draft.id)
    published = await catalog.publish_course(world.manager, draft.id)

    assert (submitted.status, approved.status, published.status) == (
        CourseStatus.PENDING,
        CourseStatus.APPROVED,
        CourseStatus.PUBLISHED,
    )
    listed = await catalog.browse_courses(BrowseQuery())
    assert [card.id for card in listed.items] == [draft.id]
    seen_by_anyone = await catalog.get_course(Actor.anonymous(), draft.slug)
    assert seen_by_anyone.published_at is not None


async def test_a_draft_is_hidden_from_everyone_but_its_instructors_and_staff(
    world: World,
) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()

    with pytest.raises(NotFound) as refused:
        await catalog.get_course(world.student, str(draft.id))
    assert refused.value.code == "course-not-found"
    assert (await catalog.get_course(world.manager, str(draft.id))).status is CourseStatus.DRAFT
    assert (await catalog.browse_courses(BrowseQuery())).items == []


async def test_another_tutor_cannot_edit_a_course_they_do_not_teach(world: World) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()

    # The draft is invisible to them, so they are told it does not exist.
    with pytest.raises(NotFound) as refused:
        await catalog.update_course(world.cotutor, draft.id, CourseChanges(title="Taken over"))
    assert refused.value.code == "course-not-found"
    assert (await catalog.get_course(world.tutor, str(draft.id))).title == draft.title


async def test_a_student_who_can_see_a_published_course_is_refused_its_edit(
    world: World,
) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course()

    with pytest.raises(PermissionDenied) as refused:
        await catalog.add_section(world.student, course.id, "Mine now")
    assert refused.value.code == "permission-denied"
    assert len((await catalog.get_course(world.tutor, str(course.id))).sections) == 1


async def test_a_co_instructor_may_edit_the_course(world: World) -> None:
    catalog = world.container.catalog
    assert world.cotutor.user_id is not None
    draft, _ = await world.draft_course(co_instructor_ids=[world.cotutor.user_id])

    section = await catalog.add_section(world.cotutor, draft.id, "Advanced")

    outline = (await catalog.get_course(world.tutor, str(draft.id))).sections
    assert [s.id for s in outline][-1] == section.id


async def test_only_the_courses_instructors_may_submit_it(world: World) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course(title="Seen by all")
    draft, _ = await world.draft_course(title="Someone else's draft")

    with pytest.raises(NotFound):
        await catalog.submit_course(world.cotutor, draft.id)
    with pytest.raises(PermissionDenied):
        await catalog.submit_course(world.student, course.id)
    assert (await catalog.get_course(world.tutor, str(draft.id))).status is CourseStatus.DRAFT


async def test_a_course_without_lessons_cannot_be_submitted(world: World) -> None:
    catalog = world.container.catalog
    course = await catalog.create_course(
        world.tutor, NewCourse("Empty", CourseChanges(description="Nothing yet.", free=True))
    )

    with pytest.raises(RuleViolation) as refused:
        await catalog.submit_course(world.tutor, course.id)
    assert refused.value.code == "course-incomplete"


async def test_tutors_cannot_approve_courses(world: World) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()
    await catalog.submit_course(world.tutor, draft.id)

    with pytest.raises(PermissionDenied) as refused:
        await catalog.approve_course(world.tutor, draft.id)
    assert refused.value.code == "permission-denied"
    assert (await catalog.get_course(world.tutor, str(draft.id))).status is CourseStatus.PENDING


async def test_a_pending_course_does_not_exist_for_an_anonymous_caller(world: World) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()
    await catalog.submit_course(world.tutor, draft.id)

    with pytest.raises(NotFound) as refused:
        await catalog.approve_course(Actor.anonymous(), draft.id)
    assert refused.value.code == "course-not-found"
    with pytest.raises(NotAuthenticated):
        await catalog.create_course(Actor.anonymous(), NewCourse("Who am I"))


async def test_a_draft_cannot_be_published_before_review(world: World) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()

    with pytest.raises(IllegalTransition) as refused:
        await catalog.publish_course(world.manager, draft.id)
    assert refused.value.code == "illegal-transition"
    assert (await catalog.get_course(world.tutor, str(draft.id))).status is CourseStatus.DRAFT


async def test_a_rejected_course_carries_the_reason_and_returns_to_draft_when_edited(
    world: World,
) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()
    await catalog.submit_course(world.tutor, draft.id)

    rejected = await catalog.reject_course(world.manager, draft.id, "Add exercises")
    edited = await catalog.update_course(world.tutor, draft.id, CourseChanges(subtitle="Now with"))

    assert rejected.status is CourseStatus.REJECTED
    assert rejected.rejection_reason == "Add exercises"
    assert edited.status is CourseStatus.DRAFT


async def test_a_course_that_stops_being_free_needs_a_price(world: World) -> None:
    catalog = world.container.catalog
    draft, _ = await world.draft_course()

    with pytest.raises(InvalidInput) as refused:
        await catalog.update_course(world.tutor, draft.id, CourseChanges(free=False))
    assert [error.field for error in refused.value.errors] == ["price"]
    priced = await catalog.update_course(
        world.tutor, draft.id, CourseChanges(free=False, price=Money(990, "USD"))
    )
    assert (priced.is_free, priced.price) == (False, Money(990, "USD"))


async def test_two_courses_cannot_share_a_slug(world: World) -> None:
    catalog = world.container.catalog
    first, _ = await world.draft_course(title="First")
    second, _ = await world.draft_course(title="Second")

    with pytest.raises(Conflict) as refused:
        await catalog.update_course(world.tutor, second.id, CourseChanges(slug=first.slug))
    assert refused.value.code == "slug-taken"


async def test_a_published_course_cannot_be_deleted(world: World) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course()

    with pytest.raises(Conflict) as refused:
        await catalog.delete_course(world.tutor, course.id)
    assert refused.value.code == "course-not-deletable"
    assert (await catalog.get_course(world.student, str(course.id))).id == course.id
