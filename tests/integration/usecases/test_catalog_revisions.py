"""Revisions of published courses and co-instructor invitations, through the use cases: what
is staged, what goes live when, files a revision replaces, and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.integration.usecases.world import World
from tests.support.identity import PDF

from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, LessonChanges, NewLesson
from elearn.application.catalog.categories import CategoryChanges
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.files import Upload
from elearn.domain.catalog.co_instructors import InvitationStatus
from elearn.domain.catalog.course import LessonKind
from elearn.domain.catalog.revision import RevisionOutdated, RevisionStatus
from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.money import Money


def pdf_upload(name: str = "notes.pdf") -> Upload:
    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    return Upload(chunks(), name)


async def stored_keys(world: World, course_id: object) -> set[str]:
    async with world.container.catalog.deps.uow(read_only=True) as uow:
        course = await uow.courses.get(course_id)  # type: ignore[arg-type]
        assert course is not None
        return {lesson.file.key for lesson in course.lessons if lesson.file}


async def exists(world: World, key: str) -> bool:
    try:
        await world.container.catalog.deps.storage.size(key)
    except NotFound:
        return False
    return True


async def test_a_file_replaced_in_a_revision_stays_until_the_revision_is_approved(
    world: World,
) -> None:
    catalog = world.container.catalog
    course, lesson_id = await world.draft_course(
        lesson=NewLesson(kind=LessonKind.PDF, title="Notes")
    )
    await catalog.set_lesson_file(world.tutor, lesson_id, pdf_upload("v1.pdf"))
    await world.publish(course.id)
    [live_key] = await stored_keys(world, course.id)

    await catalog.set_lesson_file(world.tutor, lesson_id, pdf_upload("v2.pdf"))

    assert await stored_keys(world, course.id) == {live_key}
    assert await exists(world, live_key)
    await catalog.submit_revision(world.tutor, course.id)
    await catalog.approve_revision(world.manager, course.id)
    [new_key] = await stored_keys(world, course.id)
    assert new_key != live_key
    assert not await exists(world, live_key) and await exists(world, new_key)


async def test_a_section_added_in_a_revision_is_edited_by_its_id_and_goes_with_a_discard(
    world: World,
) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course()

    section = await catalog.add_section(world.tutor, course.id, "Staged")
    lesson = await catalog.add_lesson(
        world.tutor, section.id, NewLesson(kind=LessonKind.TEXT, title="New", text="# New")
    )
    await catalog.update_lesson(world.tutor, lesson.id, LessonChanges(title="Renamed"))
    staged = await catalog.get_revision(world.tutor, course.id)
    assert [s.title for s in staged.course.sections] == ["Basics", "Staged"]
    assert staged.course.sections[1].lessons[0].title == "Renamed"
    assert len((await catalog.get_course(Actor.anonymous(), str(course.id))).sections) == 1

    await catalog.discard_revision(world.tutor, course.id)

    with pytest.raises(NotFound) as gone:
        await catalog.update_lesson(world.tutor, lesson.id, LessonChanges(title="Again"))
    assert gone.value.code == "lesson-not-found"
    with pytest.raises(NotFound):
        await catalog.get_revision(world.tutor, course.id)


async def test_a_staged_switch_to_free_is_undone_by_a_new_price_which_applies_at_once(
    world: World,
) -> None:
    catalog = world.container.catalog
    course = await world.paid_course(4900)

    await catalog.update_course(world.tutor, course.id, CourseChanges(free=True))
    live = await catalog.get_course(Actor.anonymous(), str(course.id))
    assert (live.is_free, live.price) == (False, Money(4900, "USD"))

    answer = await catalog.update_course(
        world.tutor, course.id, CourseChanges(free=False, price=Money(3900, "USD"))
    )

    assert answer.revision is not None and answer.revision.changed_fields == []
    live = await catalog.get_course(Actor.anonymous(), str(course.id))
    assert (live.is_free, live.price) == (False, Money(3900, "USD"))
    with pytest.raises(RuleViolation) as empty:
        await catalog.submit_revision(world.tutor, course.id)
    assert empty.value.code == "revision-empty"


async def test_only_staff_decide_a_revision_and_only_instructors_submit_or_see_it(
    world: World,
) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course()
    await catalog.update_course(world.tutor, course.id, CourseChanges(subtitle="Better"))

    for outsider in (world.student, world.cotutor):
        with pytest.raises(PermissionDenied):
            await catalog.get_revision(outsider, course.id)
        with pytest.raises(PermissionDenied):
            await catalog.submit_revision(outsider, course.id)
    submitted = await catalog.submit_revision(world.tutor, course.id)
    assert submitted.status is RevisionStatus.PENDING
    for not_staff in (world.tutor, world.student):
        with pytest.raises(PermissionDenied):
            await catalog.approve_revision(not_staff, course.id)
    with pytest.raises(Conflict) as again:
        await catalog.submit_revision(world.tutor, course.id)
    assert again.value.code == "illegal-transition"
    assert (await catalog.get_revision(world.manager, course.id)).changed_fields == ["subtitle"]


async def test_a_revision_whose_category_was_deleted_is_not_applied(world: World) -> None:
    catalog = world.container.catalog
    category = await catalog.create_category(world.admin, "Gone soon", CategoryChanges())
    course, _ = await world.published_course()
    await catalog.update_course(world.tutor, course.id, CourseChanges(category_id=category.id))
    await catalog.submit_revision(world.tutor, course.id)
    await catalog.delete_category(world.admin, category.id)

    with pytest.raises(RevisionOutdated):
        await catalog.approve_revision(world.manager, course.id)
    assert (await catalog.get_course(Actor.anonymous(), str(course.id))).category is None


async def test_only_the_owner_invites_and_only_the_invitee_accepts_or_leaves(
    world: World,
) -> None:
    catalog = world.container.catalog
    course, _ = await world.draft_course()
    assert world.cotutor.user_id is not None and world.tutor.user_id is not None

    with pytest.raises(NotFound):  # a stranger to a draft does not learn it exists
        await catalog.invite_co_instructor(world.cotutor, course.id, world.cotutor.user_id)
    invitation = await catalog.invite_co_instructor(world.tutor, course.id, world.cotutor.user_id)
    assert invitation.status is InvitationStatus.PENDING
    instructors = (await catalog.get_course(world.tutor, str(course.id))).instructors
    assert [p.id for p in instructors] == [world.tutor.user_id]
    for not_invitee in (world.student, world.tutor):
        with pytest.raises(NotFound):
            await catalog.accept_invitation(not_invitee, invitation.id)

    accepted = await catalog.accept_invitation(world.cotutor, invitation.id)

    assert accepted.status is InvitationStatus.ACCEPTED
    instructors = (await catalog.get_course(world.tutor, str(course.id))).instructors
    assert [p.id for p in instructors] == [world.tutor.user_id, world.cotutor.user_id]
    await catalog.remove_co_instructor(world.cotutor, course.id, world.cotutor.user_id)
    with pytest.raises(NotFound):
        await catalog.get_course(world.cotutor, str(course.id))
    mine = await catalog.list_my_invitations(world.cotutor, status=None)
    assert [(i.id, i.status) for i in mine.items] == [(invitation.id, InvitationStatus.ACCEPTED)]


async def test_unpublishing_drops_the_staged_changes(world: World) -> None:
    catalog = world.container.catalog
    course, _ = await world.published_course()
    await catalog.update_course(world.tutor, course.id, CourseChanges(subtitle="Staged"))

    await catalog.unpublish_course(world.manager, course.id)
    await catalog.update_course(world.tutor, course.id, CourseChanges(subtitle="In place"))

    with pytest.raises(NotFound) as gone:
        await catalog.get_revision(world.tutor, course.id)
    assert gone.value.code == "revision-not-found"
    assert (await catalog.get_course(world.tutor, str(course.id))).subtitle == "In place"
