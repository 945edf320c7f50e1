"""The narrow reads other contexts make of a course (its facts, a lesson in its course, the
progress outline), straight on the course repository, on SQLite and PostgreSQL: what one query
answers is what the whole aggregate says, and a course the transaction already holds is
answered as the transaction changed it, before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.application.catalog.ports import CourseFacts, LessonInCourse, OutlineEntry
from elearn.domain.catalog.course import (
    Course,
    CourseStatus,
    Lesson,
    LessonFile,
    LessonKind,
    Section,
)
from elearn.domain.identity.roles import Role
from elearn.domain.shared.money import Money
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def a_course(owner_id: UUID, **fields: object) -> Course:
    course_id = uuid4()
    values: dict[str, object] = {
        "id": course_id,
        "owner_id": owner_id,
        "title": "Narrow Reads",
        "slug": f"narrow-{course_id.hex}",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Course(**values)  # type: ignore[arg-type]


def outline_of(course: Course) -> list[OutlineEntry]:
    return [OutlineEntry(lesson.id, lesson.is_required) for lesson in course.lessons]


def same_lesson(found: LessonInCourse | None, expected: LessonInCourse) -> None:
    assert found is not None
    assert (found.course, found.section_id) == (expected.course, expected.section_id)
    assert vars(found.lesson) == vars(expected.lesson)


async def test_narrow_reads_say_what_the_aggregate_says(settings: Settings) -> None:
    owner_id, co_id, other_id = await seed_accounts(
        settings,
        ("owner@narrow.test", Role.TUTOR),
        ("co@narrow.test", Role.TUTOR),
        ("other@narrow.test", Role.TUTOR),
    )
    first = a_course(owner_id, title="First Steps", is_free=True, status=CourseStatus.PUBLISHED)
    second = a_course(owner_id, title="Second Steps", status=CourseStatus.ARCHIVED)
    lessons = [
        Lesson(id=uuid4(), kind=LessonKind.TEXT, title="Read", text="# Body"),
        Lesson(
            id=uuid4(),
            kind=LessonKind.VIDEO,
            title="Watch",
            duration_seconds=90,
            is_free_preview=True,
            file=LessonFile("videos/key.mp4", "watch.mp4", "video/mp4", 1234),
        ),
        Lesson(id=uuid4(), kind=LessonKind.QUIZ, title="Check", is_required=False),
        Lesson(id=uuid4(), kind=LessonKind.TEXT, title="Later", text="More"),
    ]
    course = a_course(
        owner_id,
        title="Paid And Linked",
        price=Money(4999, "USD"),
        status=CourseStatus.PUBLISHED,
        co_instructor_ids=(co_id, other_id),
        prerequisite_ids=(second.id, first.id),
        sections=[
            Section(id=uuid4(), title="One", lessons=lessons[:3]),
            Section(id=uuid4(), title="Two", lessons=lessons[3:]),
        ],
    )
    bare = a_course(other_id, title="Nothing Yet")
    container = bootstrap(settings, broker=build_broker(None))
    try:
        async with container.uow() as uow:
            for new in (first, second, course, bare):
                await uow.courses.add(new)
            await uow.commit()

        async with container.uow(read_only=True) as uow:
            facts = {c.id: await uow.courses.course_facts(c.id) for c in (first, course, bare)}
            places = {
                lesson.id: await uow.courses.lesson_in_course(lesson.id) for lesson in lessons
            }
            outlines = {c.id: await uow.courses.outline(c.id) for c in (course, bare)}
            assert await uow.courses.course_facts(uuid4()) is None
            assert await uow.courses.lesson_in_course(uuid4()) is None
            assert await uow.courses.outline(uuid4()) == []
        async with container.uow(read_only=True) as uow:
            loaded = {c.id: await uow.courses.get(c.id) for c in (first, course, bare)}
        for course_id, aggregate in loaded.items():
            assert aggregate is not None
            assert facts[course_id] == CourseFacts.of(aggregate)
        stored = loaded[course.id]
        assert stored is not None
        assert facts[course.id] == CourseFacts(
            id=course.id,
            owner_id=owner_id,
            instructor_ids=(owner_id, co_id, other_id),
            status=CourseStatus.PUBLISHED,
            title="Paid And Linked",
            is_free=False,
            prerequisite_ids=(second.id, first.id),
        )
        first_facts = facts[first.id]
        assert first_facts is not None and first_facts.is_free and first_facts.is_published
        for lesson in lessons:
            same_lesson(places[lesson.id], LessonInCourse.of(stored, lesson.id))
        assert outlines[course.id] == outline_of(stored) == outline_of(course)
        assert outlines[bare.id] == []

        # Changed in this transaction and not yet written: answered as changed.
        async with container.uow() as uow:
            held = await uow.courses.get(course.id, for_update=True)
            assert held is not None
            held.set_co_instructors(())
            held.lesson(lessons[0].id).is_required = False
            added = Lesson(id=uuid4(), kind=LessonKind.TEXT, title="Fresh", text="New")
            held.add_lesson(held.sections[1].id, added)
            held_facts = await uow.courses.course_facts(course.id)
            assert held_facts is not None and held_facts.instructor_ids == (owner_id,)
            same_lesson(
                await uow.courses.lesson_in_course(added.id), LessonInCourse.of(held, added.id)
            )
            assert await uow.courses.outline(course.id) == outline_of(held)
            await uow.rollback()
    finally:
        await container.dispose()
