"""The catalog's small values and rules: slugs, category names and the category tree, Money,
and who may see a course or a lesson's content."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.catalog.category import (
    MAX_CATEGORY_DEPTH,
    MAX_CATEGORY_DESCRIPTION,
    MAX_CATEGORY_NAME,
    MAX_ICON_LENGTH,
    Category,
    CategoryCycle,
    CategoryTooDeep,
    InvalidCategory,
    category_name,
    check_parent,
)
from elearn.domain.catalog.course import (
    CourseStatus,
    Lesson,
    LessonKind,
    course_visible,
    lesson_content_visible,
)
from elearn.domain.catalog.slugs import (
    MAX_SLUG_LENGTH,
    InvalidSlug,
    first_free_slug,
    slugify,
    valid_slug,
)
from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.money import CurrencyMismatch, InvalidMoney, Money

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SLUG_FORM = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


# ---- slugify ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Python for Beginners", "python-for-beginners"),
        ("  Python   for -- Beginners!!  ", "python-for-beginners"),
        ("Python für Anfänger!", "python-fur-anfanger"),
        ("Straße", "strasse"),
        ("Æble og Øl på Åen", "aeble-og-ol-pa-aen"),
        ("Smørrebrød", "smorrebrod"),
        ("Łódź", "lodz"),
        ("Þórr", "thorr"),
        ("Œuvre", "oeuvre"),
        ("Crème brûlée", "creme-brulee"),
        ("C++ & C# in 2025", "c-c-in-2025"),
        ("ﬁve ﬂavours", "five-flavours"),
        ("---", "course"),
    ],
)
def test_slugify_transliterates_to_ascii_words(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    "title", ["", "   ", "日本語のコース", "\u041a\u0443\u0440\u0441", "🐍🐍", "!!!"]
)
def test_a_title_without_latin_letters_or_digits_gets_the_fallback(title: str) -> None:
    assert slugify(title) == "course"
    assert slugify(title, fallback="category") == "category"


def test_a_long_title_is_cut_at_a_word_boundary() -> None:
    slug = slugify(" ".join(["lesson"] * 30))

    assert len(slug) <= MAX_SLUG_LENGTH
    assert slug == "-".join(["lesson"] * 11)


def test_a_long_single_word_is_cut_at_the_limit() -> None:
    assert slugify("a" * 200) == "a" * MAX_SLUG_LENGTH


@given(st.text(max_size=300))
@settings(max_examples=200)
def test_any_text_gives_a_valid_slug(text: str) -> None:
    slug = slugify(text)

    assert SLUG_FORM.fullmatch(slug)
    assert slug.isascii()
    assert len(slug) <= MAX_SLUG_LENGTH
    assert valid_slug(slug) == slug


@given(st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,6}", fullmatch=True))
@settings(max_examples=100)
def test_a_slug_is_its_own_slug(slug: str) -> None:
    assert slugify(slug) == slug


# ---- valid_slug ------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ["a", "python", "python-3", "a-b-c", "x" * MAX_SLUG_LENGTH])
def test_a_slug_in_slug_form_is_valid(slug: str) -> None:
    assert valid_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "Python",
        "python_3",
        "python 3",
        "-python",
        "python-",
        "python--3",
        "pythön",
        "python\n",
        "x" * (MAX_SLUG_LENGTH + 1),
        None,
        42,
    ],
)
def test_a_slug_out_of_form_is_refused(slug: object) -> None:
    with pytest.raises(InvalidSlug) as caught:
        valid_slug(slug)  # type: ignore[arg-type]

    assert caught.value.code == "invalid-slug"
    assert isinstance(caught.value, RuleViolation)


# ---- first_free_slug ---------------------------------------------------------------------------
def test_a_free_base_is_kept() -> None:
    assert first_free_slug("python", lambda slug: False) == "python"


def test_a_taken_base_gets_the_first_free_number_from_two() -> None:
    taken = {"python", "python-2", "python-3"}

    assert first_free_slug("python", taken.__contains__) == "python-4"


def test_the_numbered_slug_stays_within_the_length_limit() -> None:
    base = "x" * MAX_SLUG_LENGTH
    taken = {base} | {f"{base[: MAX_SLUG_LENGTH - len(str(n)) - 1]}-{n}" for n in range(2, 12)}

    slug = first_free_slug(base, taken.__contains__)

    assert slug == "x" * (MAX_SLUG_LENGTH - 3) + "-12"
    assert len(slug) == MAX_SLUG_LENGTH


def test_a_cut_that_lands_on_a_hyphen_does_not_double_it() -> None:
    base = "a" * 77 + "-bc"  # 80 characters; cut to 78 leaves "aaa…a-"

    slug = first_free_slug(base, lambda slug: slug == base)

    assert slug == "a" * 77 + "-2"
    assert valid_slug(slug) == slug


def test_a_numbered_slug_that_equals_the_base_is_skipped() -> None:
    base = "a" * (MAX_SLUG_LENGTH - 2) + "-2"  # cutting it for "-2" gives the base again

    assert first_free_slug(base, lambda slug: slug == base) == "a" * (MAX_SLUG_LENGTH - 2) + "-3"


@given(
    st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,5}", fullmatch=True).map(slugify),
    st.integers(min_value=0, max_value=30),
)
@settings(max_examples=100)
def test_first_free_slug_is_a_valid_free_numbered_slug(base: str, taken_count: int) -> None:
    taken = {base}
    numbers = []
    for _ in range(taken_count):
        slug = first_free_slug(base, taken.__contains__)
        assert slug not in taken
        assert valid_slug(slug) == slug
        prefix, _, number = slug.rpartition("-")
        assert base.startswith(prefix)
        numbers.append(int(number))
        taken.add(slug)
    # each next one is numbered higher than the last, starting from 2
    assert numbers == sorted(set(numbers))
    assert numbers[:1] in ([], [2], [3])


# ---- category names and the tree --------------------------------------------------------------
def test_a_category_name_is_trimmed_and_its_whitespace_collapsed() -> None:
    assert category_name("  Web \n Development ") == "Web Development"


@pytest.mark.parametrize("name", ["", "   ", "\n\t", "x" * (MAX_CATEGORY_NAME + 1)])
def test_an_empty_or_long_category_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidCategory):
        category_name(name)


def test_a_category_name_at_the_limit_is_fine() -> None:
    assert category_name("x" * MAX_CATEGORY_NAME) == "x" * MAX_CATEGORY_NAME
    # the limit applies after collapsing whitespace
    assert category_name("  " + "x" * MAX_CATEGORY_NAME + "  ") == "x" * MAX_CATEGORY_NAME


def category(**overrides: object) -> Category:
    values: dict[str, object] = {
        "id": uuid4(),
        "name": "Programming",
        "slug": "programming",
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Category(**values)  # type: ignore[arg-type]


def test_a_category_normalises_its_name() -> None:
    assert category(name="  Data   Science ").name == "Data Science"


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": " "},
        {"description": "x" * (MAX_CATEGORY_DESCRIPTION + 1)},
        {"icon": ""},
        {"icon": "x" * (MAX_ICON_LENGTH + 1)},
    ],
)
def test_a_category_with_a_bad_field_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidCategory):
        category(**overrides)


# A chain ROOT > L2 > L3 > L4: the deepest allowed tree.
ROOT, L2, L3, L4, OTHER, NEW = (UUID(int=n) for n in range(1, 7))
CHAIN: dict[UUID, UUID | None] = {ROOT: None, L2: ROOT, L3: L2, L4: L3, OTHER: None}


def test_the_depth_limit_is_four() -> None:
    assert MAX_CATEGORY_DEPTH == 4


@pytest.mark.parametrize("parent", [None, ROOT, L2, L3, OTHER])
def test_a_new_leaf_may_go_anywhere_above_the_depth_limit(parent: UUID | None) -> None:
    check_parent(NEW, parent, CHAIN)


def test_a_new_leaf_below_the_deepest_level_is_refused() -> None:
    with pytest.raises(CategoryTooDeep):
        check_parent(NEW, L4, CHAIN)


@pytest.mark.parametrize("parent", [L2, L3, L4])
def test_a_category_cannot_move_into_its_own_subtree(parent: UUID) -> None:
    with pytest.raises(CategoryCycle):
        check_parent(L2, parent, CHAIN)


def test_a_category_cannot_be_its_own_parent() -> None:
    with pytest.raises(CategoryCycle):
        check_parent(OTHER, OTHER, CHAIN)


def test_moving_a_subtree_counts_its_height() -> None:
    # L3 has L4 below it: a subtree two levels high.
    check_parent(L3, OTHER, CHAIN)  # OTHER(1) > L3(2) > L4(3)
    check_parent(L3, None, CHAIN)  # L3 becomes a root
    parents = {**CHAIN, UUID(int=50): OTHER, UUID(int=51): UUID(int=50)}
    check_parent(L3, UUID(int=50), parents)  # OTHER > 50 > L3 > L4: four levels
    with pytest.raises(CategoryTooDeep):
        check_parent(L3, UUID(int=51), parents)  # five levels


def test_moving_the_whole_chain_under_another_root_is_too_deep() -> None:
    with pytest.raises(CategoryTooDeep):
        check_parent(ROOT, OTHER, CHAIN)


def test_a_wide_subtree_counts_its_deepest_branch() -> None:
    a, b, c, d = (UUID(int=n) for n in range(60, 64))
    parents: dict[UUID, UUID | None] = {**CHAIN, a: None, b: a, c: a, d: c}  # a > c > d
    check_parent(a, ROOT, parents)  # ROOT > a > c > d
    with pytest.raises(CategoryTooDeep):
        check_parent(a, L2, parents)  # ROOT > L2 > a > c > d


@st.composite
def category_forest(draw: st.DrawFn) -> tuple[dict[UUID, UUID | None], UUID, UUID | None]:
    """A random category forest no deeper than the limit, a category of it and a new parent."""
    size = draw(st.integers(min_value=1, max_value=12))
    ids = [UUID(int=n + 1) for n in range(size)]
    parents: dict[UUID, UUID | None] = {}
    depth: dict[UUID, int] = {}
    for node in ids:
        candidates = [other for other in parents if depth[other] < MAX_CATEGORY_DEPTH]
        parent = draw(st.none() | st.sampled_from(candidates)) if candidates else None
        parents[node] = parent
        depth[node] = 1 if parent is None else depth[parent] + 1
    moved = draw(st.sampled_from(ids))
    new_parent = draw(st.none() | st.sampled_from(ids))
    return parents, moved, new_parent


def _ancestors(node: UUID | None, parents: dict[UUID, UUID | None]) -> list[UUID]:
    chain = []
    while node is not None:
        chain.append(node)
        node = parents[node]
    return chain


def _subtree_height(node: UUID, parents: dict[UUID, UUID | None]) -> int:
    children = [child for child, parent in parents.items() if parent == node]
    return 1 + max((_subtree_height(child, parents) for child in children), default=0)


@settings(max_examples=200, deadline=None)
@given(category_forest())
def test_check_parent_agrees_with_a_direct_count(
    case: tuple[dict[UUID, UUID | None], UUID, UUID | None],
) -> None:
    parents, moved, new_parent = case
    above = _ancestors(new_parent, parents)

    if moved in above:
        with pytest.raises(CategoryCycle):
            check_parent(moved, new_parent, parents)
    elif len(above) + _subtree_height(moved, parents) > MAX_CATEGORY_DEPTH:
        with pytest.raises(CategoryTooDeep):
            check_parent(moved, new_parent, parents)
    else:
        check_parent(moved, new_parent, parents)


# ---- Money ---------------------------------------------------------------------------------------
def test_money_is_an_amount_of_minor_units_in_a_currency() -> None:
    price = Money(4999, "USD")

    assert (price.amount, price.currency) == (4999, "USD")
    assert price == Money(4999, "USD")
    assert price != Money(4999, "EUR")
    assert hash(price) == hash(Money(4999, "USD"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        price.amount = 1  # type: ignore[misc]


@pytest.mark.parametrize("amount", [True, False, 49.99, 1.0, "4999", None])
def test_an_amount_that_is_not_a_whole_number_is_refused(amount: object) -> None:
    with pytest.raises(InvalidMoney) as caught:
        Money(amount, "USD")  # type: ignore[arg-type]

    assert caught.value.code == "invalid-money"


@pytest.mark.parametrize("amount", [0, -5, 10**12])
def test_zero_negative_and_large_amounts_are_money(amount: int) -> None:
    assert Money(amount, "EUR").amount == amount


@pytest.mark.parametrize(
    "currency", ["usd", "Usd", "US", "USDT", "", " USD", "USD\n", "ÜSD", "U1D", 840, None]
)
def test_a_malformed_currency_code_is_refused(currency: object) -> None:
    with pytest.raises(InvalidMoney):
        Money(100, currency)  # type: ignore[arg-type]


def test_amounts_in_one_currency_add_and_subtract() -> None:
    assert Money(1000, "EUR") + Money(250, "EUR") == Money(1250, "EUR")
    assert Money(1000, "EUR") - Money(250, "EUR") == Money(750, "EUR")
    assert Money(250, "EUR") - Money(1000, "EUR") == Money(-750, "EUR")


@pytest.mark.parametrize("operation", ["add", "sub"])
def test_mixing_currencies_is_refused(operation: str) -> None:
    euros, dollars = Money(1000, "EUR"), Money(250, "USD")

    with pytest.raises(CurrencyMismatch) as caught:
        _ = euros + dollars if operation == "add" else euros - dollars

    assert caught.value.code == "currency-mismatch"
    assert "EUR" in caught.value.message and "USD" in caught.value.message


_amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(_amounts, _amounts, _amounts, st.sampled_from(["EUR", "USD", "JPY"]))
@settings(max_examples=100)
def test_money_arithmetic_behaves_like_integers(a: int, b: int, c: int, currency: str) -> None:
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)

    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert (x + y) - y == x
    assert (x + y).currency == currency


# ---- who sees a course ---------------------------------------------------------------------------
VIEWERS = {
    "anonymous": {"is_instructor": False, "is_staff": False, "is_enrolled": False},
    "student": {"is_instructor": False, "is_staff": False, "is_enrolled": False},
    "enrolled": {"is_instructor": False, "is_staff": False, "is_enrolled": True},
    "instructor": {"is_instructor": True, "is_staff": False, "is_enrolled": False},
    "staff": {"is_instructor": False, "is_staff": True, "is_enrolled": False},
}

SEES = {
    "anonymous": {CourseStatus.PUBLISHED},
    "student": {CourseStatus.PUBLISHED},
    "enrolled": {CourseStatus.PUBLISHED, CourseStatus.ARCHIVED},
    "instructor": set(CourseStatus),
    "staff": set(CourseStatus),
}


@pytest.mark.parametrize(("status", "viewer"), list(itertools.product(CourseStatus, VIEWERS)))
def test_who_sees_a_course_in_each_state(status: CourseStatus, viewer: str) -> None:
    assert course_visible(status, **VIEWERS[viewer]) is (status in SEES[viewer])


@given(st.sampled_from(list(CourseStatus)), st.booleans(), st.booleans(), st.booleans())
def test_more_standing_never_hides_a_course(
    status: CourseStatus, instructor: bool, staff: bool, enrolled: bool
) -> None:
    seen = course_visible(status, is_instructor=instructor, is_staff=staff, is_enrolled=enrolled)
    if seen:
        assert course_visible(status, is_instructor=True, is_staff=staff, is_enrolled=enrolled)
        assert course_visible(status, is_instructor=instructor, is_staff=True, is_enrolled=enrolled)
        assert course_visible(status, is_instructor=instructor, is_staff=staff, is_enrolled=True)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("instructor", "staff"), [(False, False), (True, False), (False, True)])
def test_lesson_content_shows_for_free_previews_instructors_and_staff(
    preview: bool, instructor: bool, staff: bool
) -> None:
    lesson = Lesson(
        id=uuid4(), kind=LessonKind.TEXT, title="Intro", text="Hello", is_free_preview=preview
    )

    visible = lesson_content_visible(lesson, is_instructor=instructor, is_staff=staff)

    assert visible is (preview or instructor or staff)
