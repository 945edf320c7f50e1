"""The course outline (sections and lessons), the lesson content rules per kind, tags and
price: what a course's content may look like, independent of the review workflow."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.catalog.course import (
    FILE_KINDS,
    MAX_LESSON_SECONDS,
    MAX_LESSON_TEXT,
    MAX_LESSON_TITLE,
    MAX_LESSONS,
    MAX_PRICE_MINOR_UNITS,
    MAX_SECTION_TITLE,
    MAX_SECTIONS,
    MAX_TAG,
    MAX_TAGS,
    Course,
    InvalidCourse,
    InvalidOutline,
    Lesson,
    LessonFile,
    LessonKind,
    OutlineSection,
    Section,
    UnknownOutlineItem,
    course_price,
    course_tags,
    reordered,
)
from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.money import Money

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FILE = LessonFile(key="courses/1/intro.mp4", filename="intro.mp4", content_type="video/mp4", size=1)
VIDEO_URL = "https://videos.example.com/intro"


def lesson(**overrides: Any) -> Lesson:
    values: dict[str, Any] = {"id": uuid4(), "kind": LessonKind.TEXT, "title": "A lesson"}
    values.update(overrides)
    return Lesson(**values)


def course(**overrides: Any) -> Course:
    values: dict[str, Any] = {
        "id": UUID(int=1),
        "owner_id": UUID(int=2),
        "title": "Python for beginners",
        "slug": "python-for-beginners",
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Course(**values)


def course_with(sizes: list[int]) -> Course:
    """A course with one section per entry of ``sizes``, holding that many lessons."""
    target = course()
    for number, size in enumerate(sizes):
        section = Section(id=uuid4(), title=f"Section {number}")
        target.add_section(section)
        for index in range(size):
            target.add_lesson(section.id, lesson(title=f"Lesson {number}.{index}"))
    return target


def outline(target: Course) -> list[tuple[UUID, list[UUID]]]:
    return [(s.id, [lesson.id for lesson in s.lessons]) for s in target.sections]


def as_order(layout: list[tuple[UUID, list[UUID]]]) -> list[OutlineSection]:
    return [OutlineSection(section_id, tuple(lesson_ids)) for section_id, lesson_ids in layout]


@st.composite
def course_and_new_layout(
    draw: st.DrawFn,
) -> tuple[Course, list[tuple[UUID, list[UUID]]]]:
    """A random course and a random new layout: the sections in any order, every lesson placed
    in any section at any position."""
    sizes = draw(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=5))
    target = course_with(sizes)
    section_ids = draw(st.permutations([s.id for s in target.sections]))
    lesson_ids = draw(st.permutations([lesson.id for lesson in target.lessons]))
    homes = draw(
        st.lists(
            st.integers(min_value=0, max_value=len(section_ids) - 1),
            min_size=len(lesson_ids),
            max_size=len(lesson_ids),
        )
    )
    layout: list[tuple[UUID, list[UUID]]] = [(section_id, []) for section_id in section_ids]
    for lesson_id, home in zip(lesson_ids, homes, strict=True):
        layout[home][1].append(lesson_id)
    return target, layout


# ---- reordering --------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(course_and_new_layout())
def test_reorder_puts_every_lesson_exactly_where_it_was_asked(
    case: tuple[Course, list[tuple[UUID, list[UUID]]]],
) -> None:
    target, layout = case
    lessons_before = {lesson.id: lesson for lesson in target.lessons}
    sections_before = {section.id: section for section in target.sections}
    duration = target.duration_seconds

    target.reorder(as_order(layout))

    assert outline(target) == layout
    assert sorted(lesson.id for lesson in target.lessons) == sorted(lessons_before)
    assert target.lesson_count == len(lessons_before)
    assert target.duration_seconds == duration
    # the same objects, moved: nothing rebuilt or copied
    assert all(lessons_before[lesson.id] is lesson for lesson in target.lessons)
    assert all(sections_before[section.id] is section for section in target.sections)


def _omit_lesson(layout: list[tuple[UUID, list[UUID]]], data: st.DataObject) -> type[Exception]:
    holders = [i for i, (_, lessons) in enumerate(layout) if lessons]
    if not holders:
        return _omit_section(layout, data)
    i = data.draw(st.sampled_from(holders))
    layout[i][1].pop(data.draw(st.integers(0, len(layout[i][1]) - 1)))
    return InvalidOutline


def _duplicate_lesson(
    layout: list[tuple[UUID, list[UUID]]], data: st.DataObject
) -> type[Exception]:
    every = [lesson_id for _, lessons in layout for lesson_id in lessons]
    if not every:
        return _duplicate_section(layout, data)
    again = data.draw(st.sampled_from(every))
    data.draw(st.sampled_from(layout))[1].append(again)
    return InvalidOutline


def _omit_section(layout: list[tuple[UUID, list[UUID]]], data: st.DataObject) -> type[Exception]:
    i = data.draw(st.integers(0, len(layout) - 1))
    orphans = layout.pop(i)[1]
    if layout:  # keep the lessons, so only the section is missing
        layout[0][1].extend(orphans)
    return InvalidOutline


def _duplicate_section(
    layout: list[tuple[UUID, list[UUID]]], data: st.DataObject
) -> type[Exception]:
    again = data.draw(st.sampled_from(layout))[0]
    layout.insert(data.draw(st.integers(0, len(layout))), (again, []))
    return InvalidOutline


def _unknown_section(layout: list[tuple[UUID, list[UUID]]], data: st.DataObject) -> type[Exception]:
    layout.insert(data.draw(st.integers(0, len(layout))), (uuid4(), []))
    return UnknownOutlineItem


def _replace_section_with_unknown(
    layout: list[tuple[UUID, list[UUID]]], data: st.DataObject
) -> type[Exception]:
    i = data.draw(st.integers(0, len(layout) - 1))
    layout[i] = (uuid4(), layout[i][1])
    return UnknownOutlineItem


def _unknown_lesson(layout: list[tuple[UUID, list[UUID]]], data: st.DataObject) -> type[Exception]:
    lessons = data.draw(st.sampled_from(layout))[1]
    lessons.insert(data.draw(st.integers(0, len(lessons))), uuid4())
    return UnknownOutlineItem


def _replace_lesson_with_unknown(
    layout: list[tuple[UUID, list[UUID]]], data: st.DataObject
) -> type[Exception]:
    holders = [i for i, (_, lessons) in enumerate(layout) if lessons]
    if not holders:
        return _unknown_lesson(layout, data)
    lessons = layout[data.draw(st.sampled_from(holders))][1]
    lessons[data.draw(st.integers(0, len(lessons) - 1))] = uuid4()
    return UnknownOutlineItem


SPOILERS = [
    _omit_lesson,
    _duplicate_lesson,
    _omit_section,
    _duplicate_section,
    _unknown_section,
    _replace_section_with_unknown,
    _unknown_lesson,
    _replace_lesson_with_unknown,
]


@settings(max_examples=200, deadline=None)
@given(course_and_new_layout(), st.sampled_from(SPOILERS), st.data())
def test_a_bad_order_is_refused_and_leaves_the_outline_unchanged(
    case: tuple[Course, list[tuple[UUID, list[UUID]]]],
    spoil: Any,
    data: st.DataObject,
) -> None:
    target, layout = case
    before = outline(target)
    sections_before = list(target.sections)
    expected = spoil(layout, data)

    with pytest.raises(RuleViolation) as caught:
        target.reorder(as_order(layout))

    assert type(caught.value) is expected
    assert outline(target) == before
    assert all(a is b for a, b in zip(target.sections, sections_before, strict=True))


def test_reordered_names_the_unknown_items() -> None:
    target = course_with([1])
    stranger = uuid4()
    [section] = target.sections

    with pytest.raises(UnknownOutlineItem) as caught:
        reordered(target.sections, [OutlineSection(section.id, (section.lessons[0].id, stranger))])

    assert str(stranger) in caught.value.message
    assert caught.value.code == "unknown-outline-item"


def test_reorder_with_an_empty_order_is_refused_for_a_course_with_sections() -> None:
    target = course_with([2])

    with pytest.raises(InvalidOutline):
        target.reorder([])


def test_reorder_of_an_empty_course_accepts_the_empty_order() -> None:
    target = course()

    target.reorder([])

    assert target.sections == []


def test_a_lesson_may_move_into_an_empty_section() -> None:
    target = course_with([2, 0])
    (first, [a, b]), (second, []) = outline(target)

    target.reorder([OutlineSection(second, (b,)), OutlineSection(first, (a,))])

    assert outline(target) == [(second, [b]), (first, [a])]


# ---- derived values ------------------------------------------------------------------------------
def test_lesson_count_and_duration_are_derived_from_the_outline() -> None:
    target = course()
    first, second = Section(id=uuid4(), title="One"), Section(id=uuid4(), title="Two")
    target.add_section(first)
    target.add_section(second)
    target.add_lesson(first.id, lesson(duration_seconds=60))
    target.add_lesson(first.id, lesson(duration_seconds=90))
    short = lesson(duration_seconds=30)
    target.add_lesson(second.id, short)

    assert target.lesson_count == 3
    assert target.duration_seconds == 180

    target.remove_lesson(short.id)
    assert (target.lesson_count, target.duration_seconds) == (2, 150)

    target.remove_section(first.id)
    assert (target.lesson_count, target.duration_seconds) == (0, 0)


@given(st.lists(st.lists(st.integers(0, MAX_LESSON_SECONDS), max_size=5), max_size=5))
@settings(max_examples=50)
def test_derived_values_are_sums_over_all_sections(durations: list[list[int]]) -> None:
    target = course()
    for seconds in durations:
        section = Section(id=uuid4(), title="S")
        target.add_section(section)
        for value in seconds:
            target.add_lesson(section.id, lesson(duration_seconds=value))

    assert target.lesson_count == sum(len(s) for s in durations)
    assert target.duration_seconds == sum(sum(s) for s in durations)


# ---- the preview lesson ------------------------------------------------------------------------
def test_choosing_a_preview_lesson_marks_it_a_free_preview() -> None:
    target = course_with([2])
    chosen = target.lessons[1]

    target.set_preview_lesson(chosen.id)

    assert target.preview_lesson_id == chosen.id
    assert chosen.is_free_preview


def test_an_unknown_preview_lesson_is_refused() -> None:
    target = course_with([1])

    with pytest.raises(UnknownOutlineItem):
        target.set_preview_lesson(uuid4())

    assert target.preview_lesson_id is None


def test_removing_the_preview_lesson_clears_the_preview() -> None:
    target = course_with([2])
    preview = target.lessons[0]
    target.set_preview_lesson(preview.id)

    assert target.remove_lesson(preview.id) is preview

    assert target.preview_lesson_id is None
    assert target.lesson_count == 1


def test_removing_another_lesson_keeps_the_preview() -> None:
    target = course_with([2])
    preview, other = target.lessons
    target.set_preview_lesson(preview.id)

    target.remove_lesson(other.id)

    assert target.preview_lesson_id == preview.id


def test_removing_the_section_holding_the_preview_lesson_clears_the_preview() -> None:
    target = course_with([1, 2])
    holder = target.sections[1]
    target.set_preview_lesson(holder.lessons[1].id)

    assert target.remove_section(holder.id) is holder

    assert target.preview_lesson_id is None
    assert target.lesson_count == 1


def test_removing_another_section_keeps_the_preview() -> None:
    target = course_with([1, 2])
    preview = target.sections[1].lessons[0]
    target.set_preview_lesson(preview.id)

    target.remove_section(target.sections[0].id)

    assert target.preview_lesson_id == preview.id


def test_the_preview_survives_a_reorder_that_moves_its_lesson() -> None:
    target = course_with([1, 1])
    (first, [a]), (second, [b]) = outline(target)
    target.set_preview_lesson(a)

    target.reorder([OutlineSection(first, ()), OutlineSection(second, (b, a))])

    assert target.preview_lesson_id == a
    assert target.section_of(a).id == second


def test_removing_unknown_items_is_refused() -> None:
    target = course_with([1])

    with pytest.raises(UnknownOutlineItem):
        target.remove_lesson(uuid4())
    with pytest.raises(UnknownOutlineItem):
        target.remove_section(uuid4())

    assert target.lesson_count == 1


# ---- positions -----------------------------------------------------------------------------------
def test_add_section_appends_by_default_and_inserts_at_a_position() -> None:
    target = course()
    a, b, c, d = (Section(id=uuid4(), title=name) for name in "abcd")

    target.add_section(a)
    target.add_section(b)
    target.add_section(c, position=0)
    target.add_section(d, position=2)

    assert [s.title for s in target.sections] == ["c", "a", "d", "b"]


def test_add_section_at_the_end_position_appends() -> None:
    target = course_with([0, 0])
    last = Section(id=uuid4(), title="Last")

    target.add_section(last, position=2)

    assert target.sections[-1] is last


@pytest.mark.parametrize("position", [-1, 3, 100])
def test_add_section_outside_the_outline_is_refused(position: int) -> None:
    target = course_with([0, 0])

    with pytest.raises(InvalidOutline):
        target.add_section(Section(id=uuid4(), title="Odd"), position=position)

    assert len(target.sections) == 2


def test_add_lesson_appends_by_default_and_inserts_at_a_position() -> None:
    target = course_with([0])
    section_id = target.sections[0].id

    for title, position in [("a", None), ("b", None), ("c", 0), ("d", 3), ("e", 2)]:
        target.add_lesson(section_id, lesson(title=title), position=position)

    assert [lesson.title for lesson in target.lessons] == ["c", "a", "e", "b", "d"]


@pytest.mark.parametrize("position", [-1, 2, 50])
def test_add_lesson_outside_the_section_is_refused(position: int) -> None:
    target = course_with([1])

    with pytest.raises(InvalidOutline):
        target.add_lesson(target.sections[0].id, lesson(), position=position)

    assert target.lesson_count == 1


def test_add_lesson_to_an_unknown_section_is_refused() -> None:
    target = course_with([1])

    with pytest.raises(UnknownOutlineItem):
        target.add_lesson(uuid4(), lesson())


# ---- limits ----------------------------------------------------------------------------------
def test_a_course_has_at_most_max_sections() -> None:
    target = course_with([0] * MAX_SECTIONS)

    with pytest.raises(InvalidCourse):
        target.add_section(Section(id=uuid4(), title="One too many"))

    assert len(target.sections) == MAX_SECTIONS


def test_a_course_has_at_most_max_lessons_across_all_sections() -> None:
    target = course_with([MAX_LESSONS // 4] * 4)
    assert target.lesson_count == MAX_LESSONS

    with pytest.raises(InvalidCourse):
        target.add_lesson(target.sections[0].id, lesson())

    assert target.lesson_count == MAX_LESSONS


@pytest.mark.parametrize(
    "title",
    ["", "   ", "\n\t", "x" * (MAX_SECTION_TITLE + 1)],
    ids=["empty", "blank", "ws", "long"],
)
def test_a_section_title_is_required_and_bounded(title: str) -> None:
    with pytest.raises(InvalidCourse):
        Section(id=uuid4(), title=title)


def test_titles_have_their_whitespace_collapsed() -> None:
    assert Section(id=uuid4(), title="  Getting \n started ").title == "Getting started"
    assert lesson(title=" Hello\t world ").title == "Hello world"
    assert lesson(title="x" * MAX_LESSON_TITLE).title == "x" * MAX_LESSON_TITLE


@pytest.mark.parametrize("title", ["", "  ", "x" * (MAX_LESSON_TITLE + 1)])
def test_a_lesson_title_is_required_and_bounded(title: str) -> None:
    with pytest.raises(InvalidCourse):
        lesson(title=title)


@pytest.mark.parametrize("seconds", [0, 1, MAX_LESSON_SECONDS])
def test_a_lesson_lasts_zero_to_a_day(seconds: int) -> None:
    assert lesson(duration_seconds=seconds).duration_seconds == seconds


@pytest.mark.parametrize("seconds", [-1, MAX_LESSON_SECONDS + 1, True, False])
def test_a_lesson_duration_out_of_range_or_boolean_is_refused(seconds: int) -> None:
    with pytest.raises(InvalidCourse):
        lesson(duration_seconds=seconds)


# ---- lesson content per kind ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(LessonKind))
def test_only_text_lessons_have_a_text_body(kind: LessonKind) -> None:
    if kind is LessonKind.TEXT:
        assert lesson(kind=kind, text="Hello").text == "Hello"
    else:
        with pytest.raises(InvalidCourse):
            lesson(kind=kind, text="Hello")


@pytest.mark.parametrize("kind", list(LessonKind))
def test_only_video_lessons_have_a_video_url(kind: LessonKind) -> None:
    if kind is LessonKind.VIDEO:
        assert lesson(kind=kind, video_url=VIDEO_URL).video_url == VIDEO_URL
    else:
        with pytest.raises(InvalidCourse):
            lesson(kind=kind, video_url=VIDEO_URL)


@pytest.mark.parametrize("kind", list(LessonKind))
def test_only_video_pdf_slides_and_resource_lessons_have_a_file(kind: LessonKind) -> None:
    if kind in {LessonKind.VIDEO, LessonKind.PDF, LessonKind.SLIDES, LessonKind.RESOURCE}:
        assert kind in FILE_KINDS
        assert lesson(kind=kind, file=FILE).file == FILE
    else:
        assert kind not in FILE_KINDS
        with pytest.raises(InvalidCourse):
            lesson(kind=kind, file=FILE)


def test_a_video_lesson_has_a_file_or_a_url_not_both() -> None:
    with pytest.raises(InvalidCourse):
        lesson(kind=LessonKind.VIDEO, file=FILE, video_url=VIDEO_URL)


@pytest.mark.parametrize("kind", [LessonKind.QUIZ, LessonKind.ASSIGNMENT])
def test_quiz_and_assignment_lessons_carry_no_content_here(kind: LessonKind) -> None:
    plain = lesson(kind=kind)

    assert not plain.has_content


def test_an_empty_text_body_is_allowed_but_is_no_content() -> None:
    assert not lesson(kind=LessonKind.TEXT, text="").has_content
    assert lesson(kind=LessonKind.TEXT, text="Hi").has_content
    assert lesson(kind=LessonKind.VIDEO, video_url=VIDEO_URL).has_content
    assert lesson(kind=LessonKind.PDF, file=FILE).has_content


def test_a_text_body_has_a_length_limit() -> None:
    assert lesson(text="x" * MAX_LESSON_TEXT).text == "x" * MAX_LESSON_TEXT
    with pytest.raises(InvalidCourse):
        lesson(text="x" * (MAX_LESSON_TEXT + 1))


# ---- tags ----------------------------------------------------------------------------------------
def test_tags_are_lower_cased_and_inner_spaces_become_hyphens() -> None:
    assert course_tags(["Python", "  Machine Learning ", "DATA"]) == (
        "python",
        "machine-learning",
        "data",
    )


def test_duplicate_tags_collapse_keeping_the_first_position() -> None:
    assert course_tags(["python", "web", "Python", " PYTHON ", "web"]) == ("python", "web")


@pytest.mark.parametrize(
    "tag", ["c++", "c#", "f#", "node.js", "web-3", "html5", "a", "1", "x" * 30]
)
def test_programming_style_tags_are_valid(tag: str) -> None:
    assert course_tags([tag]) == (tag,)


@pytest.mark.parametrize(
    "tag",
    ["", "   ", "café", "-python", "python-", ".net", "#c", "a--b", "a b!", "x" * 31, "ü"],
)
def test_malformed_tags_are_refused(tag: str) -> None:
    with pytest.raises(InvalidCourse):
        course_tags([tag])


def test_at_most_max_tags_distinct_tags() -> None:
    ten = [f"tag{i}" for i in range(MAX_TAGS)]

    assert course_tags(ten) == tuple(ten)
    assert course_tags([*ten, "TAG0"]) == tuple(ten)  # a duplicate does not count
    with pytest.raises(InvalidCourse):
        course_tags([*ten, "one-more"])


def test_set_tags_stores_the_normal_form() -> None:
    target = course()

    target.set_tags(["C++", "Python", "python"])

    assert target.tags == ("c++", "python")


def test_set_tags_refused_keeps_the_old_tags() -> None:
    target = course(tags=("python",))

    with pytest.raises(InvalidCourse):
        target.set_tags(["ok", "not ok!"])

    assert target.tags == ("python",)


_TAG_FORM = re.compile(r"[a-z0-9]+(?:[-+#.][a-z0-9+#]+)*[+#]?")


@given(
    st.lists(
        st.from_regex(r"[A-Za-z0-9]{1,8}([-+#.][a-z0-9+#]{1,5}){0,2}[+#]?", fullmatch=True),
        max_size=15,
    )
)
@settings(max_examples=200)
def test_accepted_tags_are_unique_lowercase_and_at_most_ten(tags: list[str]) -> None:
    expected = list(dict.fromkeys(tag.lower() for tag in tags))
    try:
        result = course_tags(tags)
    except InvalidCourse:
        assert len(expected) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in expected)
    else:
        assert list(result) == expected
        assert len(result) <= MAX_TAGS
        assert all(_TAG_FORM.fullmatch(tag) and len(tag) <= MAX_TAG for tag in result)


# ---- price ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", [1, 4999, MAX_PRICE_MINOR_UNITS])
def test_a_price_is_a_positive_amount(amount: int) -> None:
    assert course_price(Money(amount, "EUR")) == Money(amount, "EUR")


@pytest.mark.parametrize("amount", [0, -1, -4999, MAX_PRICE_MINOR_UNITS + 1])
def test_a_zero_negative_or_huge_price_is_refused(amount: int) -> None:
    with pytest.raises(InvalidCourse):
        course_price(Money(amount, "EUR"))


def test_a_course_cannot_be_both_free_and_priced() -> None:
    with pytest.raises(InvalidCourse):
        course(price=Money(4999, "USD"), is_free=True)


def test_setting_a_price_makes_a_free_course_paid() -> None:
    target = course(is_free=True)

    target.set_price(Money(4999, "USD"))

    assert target.price == Money(4999, "USD")
    assert not target.is_free


def test_making_a_course_free_drops_its_price() -> None:
    target = course(price=Money(4999, "USD"))

    target.make_free()

    assert target.price is None
    assert target.is_free


def test_a_refused_price_keeps_the_course_as_it_was() -> None:
    target = course(is_free=True)

    with pytest.raises(InvalidCourse):
        target.set_price(Money(0, "USD"))

    assert target.is_free
    assert target.price is None
