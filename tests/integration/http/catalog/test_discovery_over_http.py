"""The public catalog over HTTP, on SQLite and PostgreSQL: every filter and sort of
GET /api/v1/courses, what a list item holds, keyset pages that neither skip nor repeat while
courses are published, the 400s of bad parameters, tags and categories with their counts, and
a constant number of SQL statements per request whatever the page or outline size."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update
from tests.support.apps import app_for
from tests.support.catalog import (
    COURSES,
    add_co_instructor,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    published_course,
    seed_people,
)
from tests.support.identity import png, problem
from tests.support.statements import Statements

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.database import is_sqlite
from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.domain.catalog.course import Course, CourseStatus
from elearn.domain.shared.money import Money
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

CATEGORIES = "/api/v1/categories"
TAGS = "/api/v1/tags"
SORTS = ("relevance", "newest", "popular", "rating", "price_asc", "price_desc")
MAX_PRICE = 99_999_999
T0 = datetime(2026, 1, 10, 12, 0, 0, 250_000, tzinfo=UTC)

CARD_FIELDS = {
    "id",
    "slug",
    "title",
    "subtitle",
    "price",
    "is_free",
    "level",
    "language",
    "category",
    "instructor",
    "rating_average",
    "rating_count",
    "enrollment_count",
    "lesson_count",
    "duration_seconds",
    "thumbnail_url",
    "published_at",
}


# ---- helpers -----------------------------------------------------------------------------------
async def my_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def browse(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get(COURSES, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def titles(client: Any, **params: Any) -> list[str]:
    """Titles of every matching course, in list order, over all pages."""
    found: list[str] = []
    cursor = None
    while True:
        page = await browse(client, **params, limit=100, **({"cursor": cursor} if cursor else {}))
        found += [item["title"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def ids_in_order(client: Any, **params: Any) -> list[str]:
    page = await browse(client, **params, limit=100)
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


async def create_category(
    client: Any, admin: dict[str, str], name: str, slug: str, parent: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "slug": slug}
    if parent:
        body["parent_id"] = parent
    response = await client.post(CATEGORIES, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def set_counters(
    settings: Settings,
    course_id: str | UUID,
    *,
    enrollments: int = 0,
    ratings: int = 0,
    average: float = 0.0,
) -> None:
    """What the learning context will keep: enrollment and rating counters."""
    container = bootstrap(settings, broker=build_broker(None))
    try:
        async with container.engine.begin() as connection:
            await connection.execute(
                update(CourseRow)
                .where(CourseRow.id == UUID(str(course_id)))
                .values(enrollment_count=enrollments, rating_count=ratings, rating_average=average)
            )
    finally:
        await container.dispose()


def cursor_of(sort: str, key: Any, item_id: str) -> str:
    raw = json.dumps([sort, key, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class Spec:
    """A course inserted straight into the database, with what the list sorts it by."""

    title: str
    published_at: datetime
    price: int  # 0: free
    currency: str = "USD"
    enrollments: int = 0
    ratings: int = 0
    average: float = 0.0
    subtitle: str = ""
    description: str = ""
    id: UUID = field(default_factory=uuid.uuid4)


class Store:
    """Inserts published courses on the test's own loop, through the course repository."""

    def __init__(self, container: Container, owner_id: UUID) -> None:
        self.container = container
        self.owner_id = owner_id
        self.specs: dict[str, Spec] = {}

    async def add(self, *specs: Spec) -> list[str]:
        now = datetime.now(UTC)
        async with self.container.uow() as uow:
            for spec in specs:
                course = Course(
                    id=spec.id,
                    owner_id=self.owner_id,
                    title=spec.title,
                    slug=f"c-{spec.id.hex}",
                    subtitle=spec.subtitle,
                    description=spec.description or "A course.",
                    created_at=now,
                    updated_at=now,
                    price=Money(spec.price, spec.currency) if spec.price else None,
                    is_free=spec.price == 0,
                    status=CourseStatus.PUBLISHED,
                    published_at=spec.published_at,
                    first_published_at=spec.published_at,
                )
                await uow.courses.add(course)
            await uow.commit()
        async with self.container.engine.begin() as connection:
            for spec in specs:
                await connection.execute(
                    update(CourseRow)
                    .where(CourseRow.id == spec.id)
                    .values(
                        enrollment_count=spec.enrollments,
                        rating_count=spec.ratings,
                        rating_average=spec.average,
                    )
                )
        for spec in specs:
            self.specs[str(spec.id)] = spec
        return [str(spec.id) for spec in specs]


@asynccontextmanager
async def store_for(settings: Settings, owner_id: str) -> AsyncIterator[Store]:
    container = bootstrap(settings, broker=build_broker(None))
    try:
        yield Store(container, UUID(owner_id))
    finally:
        await container.dispose()


def expected_order(specs: Sequence[Spec], sort: str) -> list[str]:
    """The catalog's order computed here: the sort key, then the id the same way."""
    keys: dict[str, tuple[Callable[[Spec], Any], bool]] = {
        "newest": (lambda s: s.published_at, True),
        "popular": (lambda s: s.enrollments, True),
        "relevance": (lambda s: s.enrollments, True),  # without q: popularity
        "rating": (lambda s: s.average, True),
        "price_asc": (lambda s: s.price, False),
        "price_desc": (lambda s: s.price, True),
    }
    key, descending = keys[sort]
    ordered = sorted(specs, key=lambda s: (key(s), s.id.int), reverse=descending)
    return [str(s.id) for s in ordered]


async def people(client: Any, settings: Settings) -> dict[str, dict[str, str]]:
    await seed_people(settings)
    return {name: await headers_of(client, name) for name in ("tutor", "cotutor", "manager")}


# ---- a small catalog built over HTTP -----------------------------------------------------------
@dataclass
class Shop:
    by_title: dict[str, dict[str, Any]]
    categories: dict[str, dict[str, Any]]
    tutor_id: str
    cotutor_id: str


async def build_shop(client: Any, settings: Settings) -> Shop:
    """Five published courses over HTTP in a category tree Programming > Python > Django, and
    Design; counters set as the learning context would."""
    heads = await people(client, settings)
    tutor, cotutor, manager = heads["tutor"], heads["cotutor"], heads["manager"]
    admin = await headers_of(client, "admin")
    tutor_id, cotutor_id = await my_id(client, tutor), await my_id(client, cotutor)
    programming = await create_category(client, admin, "Programming", "programming")
    python = await create_category(client, admin, "Python", "python-lang", programming["id"])
    django = await create_category(client, admin, "Django", "django", python["id"])
    design = await create_category(client, admin, "Design", "design")
    specs: list[tuple[dict[str, str], dict[str, Any], tuple[int, int, float]]] = [
        (
            tutor,
            {
                "title": "Python for Beginners",
                "subtitle": "Start coding today",
                "description": "Variables and loops.",
                "category_id": python["id"],
                "tags": ["Python", "beginner"],
                "level": "beginner",
                "language": "en",
                "free": True,
            },
            (100, 10, 4.8),
        ),
        (
            tutor,
            {
                "title": "Advanced Django",
                "subtitle": "Build web apps",
                "description": "Models, views and templates with Python.",
                "category_id": django["id"],
                "tags": ["python", "web"],
                "level": "advanced",
                "language": "en",
                "free": False,
                "price": {"amount": 4999, "currency": "USD"},
            },
            (50, 5, 4.2),
        ),
        (
            tutor,
            {
                "title": "Design Thinking",
                "subtitle": "Solve problems",
                "description": "Empathy and prototypes.",
                "category_id": design["id"],
                "tags": ["design"],
                "level": "intermediate",
                "language": "fr",
                "free": False,
                "price": {"amount": 2000, "currency": "EUR"},
            },
            (7, 2, 3.5),
        ),
        (
            cotutor,
            {
                "title": "Programming Basics",
                "subtitle": "Algorithms in Python",
                "description": "Sorting and searching.",
                "category_id": programming["id"],
                "tags": ["algorithms"],
                "level": "beginner",
                "language": "de",
                "free": False,
                "price": {"amount": 1500, "currency": "USD"},
            },
            (0, 0, 0.0),
        ),
        (
            tutor,
            {
                "title": "Color Theory",
                "description": "Hue saturation value.",
                "level": "all",
                "language": "en",
                "free": False,
                "price": {"amount": 9000, "currency": "USD"},
            },
            (3, 1, 5.0),
        ),
    ]
    by_title: dict[str, dict[str, Any]] = {}
    for owner, fields, (enrollments, ratings, average) in specs:
        course = await published_course(client, owner, manager, **fields)
        await set_counters(
            settings, course["id"], enrollments=enrollments, ratings=ratings, average=average
        )
        by_title[course["title"]] = course
    django_course = by_title["Advanced Django"]["id"]
    await add_co_instructor(client, tutor, django_course, cotutor)
    by_title["Advanced Django"] = (
        await client.get(f"{COURSES}/{django_course}", headers=tutor)
    ).json()
    categories = {c["slug"]: c for c in (programming, python, django, design)}
    return Shop(by_title, categories, tutor_id, cotutor_id)


# ---- filters ---------------------------------------------------------------------------------
async def test_every_filter_finds_exactly_the_matching_published_courses(
    client: Any, settings: Settings
) -> None:
    shop = await build_shop(client, settings)
    beginners, django, design = "Python for Beginners", "Advanced Django", "Design Thinking"
    basics, color = "Programming Basics", "Color Theory"
    everything = {beginners, django, design, basics, color}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, everything),
        # q: a word of the title, the subtitle or the description; all words must match
        ({"q": "beginners"}, {beginners}),
        ({"q": "coding"}, {beginners}),
        ({"q": "loops"}, {beginners}),
        ({"q": "PYTHON"}, {beginners, django, basics}),
        ({"q": "python templates"}, {django}),
        ({"q": "  python   algorithms "}, {basics}),
        ({"q": "python quantum"}, set()),
        ({"q": "quantum"}, set()),
        ({"q": "   "}, everything),
        # category, by slug or id, sub-categories included
        ({"category": "programming"}, {beginners, django, basics}),
        ({"category": shop.categories["programming"]["id"]}, {beginners, django, basics}),
        ({"category": "python-lang"}, {beginners, django}),
        ({"category": shop.categories["python-lang"]["id"]}, {beginners, django}),
        ({"category": "django"}, {django}),
        ({"category": shop.categories["design"]["id"]}, {design}),
        ({"category": "no-such-category"}, set()),
        ({"category": str(uuid.uuid4())}, set()),
        # tag
        ({"tag": "python"}, {beginners, django}),
        ({"tag": " PYTHON "}, {beginners, django}),
        ({"tag": "design"}, {design}),
        ({"tag": "cobol"}, set()),
        # level, language
        ({"level": "beginner"}, {beginners, basics}),
        ({"level": "advanced"}, {django}),
        ({"level": "intermediate"}, {design}),
        ({"level": "all"}, {color}),
        ({"language": "fr"}, {design}),
        ({"language": "de"}, {basics}),
        ({"language": "en"}, {beginners, django, color}),
        ({"language": "ja"}, set()),
        # prices, in a currency; a free course costs 0 in every currency
        ({"price_min": 1000, "price_max": 5000, "currency": "USD"}, {django, basics}),
        ({"price_max": 2000, "currency": "USD"}, {beginners, basics}),
        ({"price_max": 2000, "currency": "EUR"}, {beginners, design}),
        ({"price_min": 2000, "currency": "EUR"}, {design}),
        ({"price_min": 0, "price_max": 0, "currency": "JPY"}, {beginners}),
        ({"price_max": 4999}, {beginners, django, basics}),  # the default currency, USD
        ({"price_min": 4999, "price_max": 4999}, {django}),
        ({"price_min": 5000, "currency": "USD"}, {color}),
        ({"price_min": 1, "currency": "GBP"}, set()),
        # free
        ({"free": "true"}, {beginners}),
        ({"free": "false"}, {django, design, basics, color}),
        # instructor: owner or co-instructor
        ({"instructor": shop.tutor_id}, {beginners, django, design, color}),
        ({"instructor": shop.cotutor_id}, {django, basics}),
        ({"instructor": str(uuid.uuid4())}, set()),
        # rating: rated courses at or above
        ({"rating_min": 4.5}, {beginners, color}),
        ({"rating_min": 4.2}, {beginners, django, color}),
        ({"rating_min": 5}, {color}),
        ({"rating_min": 3}, {beginners, django, design, color}),
        # several filters: all must hold
        ({"q": "python", "level": "beginner"}, {beginners, basics}),
        ({"category": "programming", "free": "false"}, {django, basics}),
        ({"tag": "python", "price_max": 1000}, {beginners}),
        ({"instructor": shop.cotutor_id, "language": "en", "rating_min": 4}, {django}),
        ({"q": "python", "category": "django", "tag": "web", "level": "advanced"}, {django}),
    ]
    for params, expected in cases:
        found = await titles(client, **params)
        assert len(found) == len(set(found)), (params, found)
        assert set(found) == expected, params


async def test_relevance_ranks_title_over_subtitle_over_description_matches(
    client: Any, settings: Settings
) -> None:
    shop = await build_shop(client, settings)
    # "python" is in the title of one, the subtitle of another, the description of a third.
    expected = ["Python for Beginners", "Programming Basics", "Advanced Django"]
    assert await titles(client, q="python") == expected  # relevance when searching
    assert await titles(client, q="python", sort="relevance") == expected
    # Other sorts still apply to a search; relevance without a search is popularity.
    assert await titles(client, q="python", sort="price_desc") == [
        "Advanced Django",
        "Programming Basics",
        "Python for Beginners",
    ]
    assert await titles(client, sort="relevance") == await titles(client, sort="popular")
    # One word per page, in the same order.
    page = await browse(client, q="python", limit=1)
    seen = [page["items"][0]["title"]]
    while page["next_cursor"]:
        page = await browse(client, q="python", limit=1, cursor=page["next_cursor"])
        seen += [item["title"] for item in page["items"]]
    assert seen == expected
    assert shop.by_title["Advanced Django"]["instructors"][1]["id"] == shop.cotutor_id


async def test_a_search_finds_words_with_non_ascii_capitals(
    client: Any, settings: Settings, database_url: str, request: pytest.FixtureRequest
) -> None:
    heads = await people(client, settings)
    await published_course(
        client, heads["tutor"], heads["manager"], title="Über Python", description="Grundlagen."
    )
    assert await titles(client, q="python") == ["Über Python"]
    assert await titles(client, q="über") == ["Über Python"]
    assert await titles(client, q="Über") == ["Über Python"]


# ---- sorts -------------------------------------------------------------------------------------
async def test_every_sort_gives_the_exact_order_with_ties_broken_by_id(
    client: Any, settings: Settings
) -> None:
    heads = await people(client, settings)
    owner = await my_id(client, heads["tutor"])
    hour = timedelta(hours=1)
    specs = [
        # Ties on every key: same instant, enrollments, rating and price in pairs and more.
        Spec("A", T0, 0, enrollments=5, ratings=2, average=4.5),
        Spec("B", T0, 0, enrollments=5, ratings=3, average=13 / 3),
        Spec("C", T0 - hour, 1999, enrollments=0, ratings=0, average=0.0),
        Spec("D", T0 - hour, 1999, "EUR", enrollments=12, ratings=2, average=4.5),
        Spec("E", T0 + hour, 500, enrollments=12, ratings=1, average=5.0),
        Spec("F", T0 + timedelta(microseconds=1), 99_999, enrollments=0, ratings=0),
        Spec("G", T0 - 2 * hour, 500, enrollments=3, ratings=4, average=13 / 3),
        Spec("H", T0 - hour, 1999, enrollments=5, ratings=1, average=1.0),
    ]
    async with store_for(settings, owner) as store:
        await store.add(*specs)
    for sort in SORTS:
        assert await ids_in_order(client, sort=sort) == expected_order(specs, sort), sort
        # Pages of 1, 2 and 3 walk the same order.
        for size in (1, 2, 3):
            walked: list[str] = []
            page = await browse(client, sort=sort, limit=size)
            walked += [item["id"] for item in page["items"]]
            while page["next_cursor"]:
                page = await browse(client, sort=sort, limit=size, cursor=page["next_cursor"])
                assert 0 < len(page["items"]) <= size
                walked += [item["id"] for item in page["items"]]
            assert walked == expected_order(specs, sort), (sort, size)
    # Newest first unless asked otherwise.
    assert await ids_in_order(client) == expected_order(specs, "newest")


# ---- what is listed, and how ------------------------------------------------------------------
async def test_only_published_courses_are_listed_counted_and_tagged(
    client: Any, settings: Settings
) -> None:
    heads = await people(client, settings)
    tutor, manager = heads["tutor"], heads["manager"]
    admin = await headers_of(client, "admin")
    shelf = await create_category(client, admin, "Shelf", "shelf")

    async def course_in(state: str) -> dict[str, Any]:
        course = await create_course(
            client,
            tutor,
            title=f"Course {state}",
            description="Words.",
            category_id=shelf["id"],
            tags=[f"only-{state}", "shared"],
        )
        section = await add_section(client, tutor, course["id"])
        await add_lesson(client, tutor, section["id"])
        plans: dict[str, list[tuple[Any, ...]]] = {
            "draft": [],
            "pending": [(tutor, "submit")],
            "approved": [(tutor, "submit"), (manager, "approve")],
            "rejected": [(tutor, "submit"), (manager, "reject", {"reason": "Too short."})],
            "published": [(tutor, "submit"), (manager, "approve"), (manager, "publish")],
            "archived": [
                (tutor, "submit"),
                (manager, "approve"),
                (manager, "publish"),
                (tutor, "archive"),
            ],
            "unpublished": [
                (tutor, "submit"),
                (manager, "approve"),
                (manager, "publish"),
                (manager, "unpublish"),
            ],
        }
        steps = plans[state]
        for headers, action, *body in steps:
            response = await move(
                client, headers, course["id"], action, **(body[0] if body else {})
            )
            assert response.status_code == 200, response.text
        return course

    states = ("draft", "pending", "approved", "rejected", "published", "archived", "unpublished")
    courses = {state: await course_in(state) for state in states}
    for state, course in courses.items():
        response = await client.get(f"{COURSES}/{course['id']}", headers=tutor)
        expected_status = "draft" if state == "unpublished" else state
        assert response.json()["status"] == expected_status

    listed = await browse(client)
    assert [item["id"] for item in listed["items"]] == [courses["published"]["id"]]
    for params in (
        {"q": "course"},
        {"category": "shelf"},
        {"tag": "shared"},
        {"tag": "only-draft"},
        {"instructor": await my_id(client, tutor)},
        {"free": "true"},
        {"sort": "price_asc"},
    ):
        found = await titles(client, **params)
        assert found == ([] if params.get("tag") == "only-draft" else ["Course published"])

    tags = (await client.get(TAGS)).json()["items"]
    assert tags == [
        {"tag": "only-published", "course_count": 1},
        {"tag": "shared", "course_count": 1},
    ]
    categories = (await client.get(CATEGORIES)).json()["items"]
    assert [(c["slug"], c["course_count"]) for c in categories] == [("shelf", 1)]


async def test_a_list_item_holds_what_a_card_shows(client: Any, settings: Settings) -> None:
    heads = await people(client, settings)
    tutor, manager = heads["tutor"], heads["manager"]
    admin = await headers_of(client, "admin")
    tutor_id = await my_id(client, tutor)
    category = await create_category(client, admin, "Data Science", "data-science")
    course = await create_course(
        client,
        tutor,
        title="Statistics with R",
        subtitle="From means to models",
        description="Regression and more.",
        free=False,
        price={"amount": 4999, "currency": "USD"},
        level="intermediate",
        language="en",
        category_id=category["id"],
        tags=["r", "statistics"],
    )
    response = await client.put(
        f"{COURSES}/{course['id']}/thumbnail",
        files={"file": ("cover.png", png(), "image/png")},
        headers=tutor,
    )
    assert response.status_code == 200, response.text
    section = await add_section(client, tutor, course["id"])
    await add_lesson(client, tutor, section["id"], duration_seconds=600)
    await add_lesson(client, tutor, section["id"], title="More", duration_seconds=90)
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        assert (await move(client, headers, course["id"], action)).status_code == 200
    await set_counters(settings, course["id"], enrollments=42, ratings=3, average=13 / 3)
    free = await published_course(client, tutor, manager, title="Free Intro", description="Hi.")

    items = {item["id"]: item for item in (await browse(client))["items"]}
    card = items[course["id"]]
    assert set(card) == CARD_FIELDS
    published_at = card.pop("published_at")
    thumbnail_url = card.pop("thumbnail_url")
    assert card == {
        "id": course["id"],
        "slug": "statistics-with-r",
        "title": "Statistics with R",
        "subtitle": "From means to models",
        "price": {"amount": 4999, "currency": "USD"},
        "is_free": False,
        "level": "intermediate",
        "language": "en",
        "category": {"id": category["id"], "slug": "data-science", "name": "Data Science"},
        "instructor": {"id": tutor_id, "name": "tutor"},
        "rating_average": 4.33,
        "rating_count": 3,
        "enrollment_count": 42,
        "lesson_count": 2,
        "duration_seconds": 690,
        # published_at and thumbnail_url checked below
    }
    assert datetime.fromisoformat(published_at).tzinfo is not None
    assert abs(datetime.fromisoformat(published_at) - datetime.now(UTC)) < timedelta(minutes=5)
    assert thumbnail_url.startswith("/api/v1/images/")
    image = await client.get(thumbnail_url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == png()

    free_card = items[free["id"]]
    assert set(free_card) == CARD_FIELDS
    assert free_card["price"] is None
    assert free_card["is_free"] is True
    assert free_card["category"] is None
    assert free_card["rating_average"] is None
    assert free_card["rating_count"] == 0
    assert free_card["enrollment_count"] == 0
    assert free_card["thumbnail_url"] is None
    assert free_card["subtitle"] == ""


# ---- keyset pages while courses are published ---------------------------------------------------
def _params(sort: str) -> dict[str, Any]:
    return {"sort": sort, "q": "common"} if sort == "relevance" else {"sort": sort}


def new_specs(sort: str, n: int, tie_with: Spec) -> list[Spec]:
    """Courses to publish during a walk of ``sort``: one before every course there (the
    initial ones and those of earlier walks aside), one after them, and one whose sort key
    equals that of ``tie_with`` (before or after it by id)."""
    far = timedelta(days=400 + n)
    extremes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "newest": ({"published_at": T0 + far}, {"published_at": T0 - far}),
        "popular": ({"enrollments": 1_000_000 + n}, {"enrollments": 0}),
        "rating": ({"ratings": 9, "average": 5.0}, {"ratings": 0, "average": 0.0}),
        "price_asc": ({"price": 0}, {"price": MAX_PRICE}),
        "price_desc": ({"price": MAX_PRICE}, {"price": 0}),
        # "common" in every field ranks above the title only (the initial courses), which
        # ranks above the description only.
        "relevance": (
            {"subtitle": "common", "description": "common"},
            {"title": f"bottom {n}", "description": "common"},
        ),
    }
    first, last = extremes[sort]
    usual: dict[str, Any] = {"published_at": T0, "price": 1000, "enrollments": 1, "ratings": 1}
    top = Spec(**{"title": f"common top {sort} {n}", **usual, **first})
    bottom = Spec(**{"title": f"common bottom {sort} {n}", **usual, **last})
    tie = Spec(
        title=tie_with.title,
        published_at=tie_with.published_at,
        price=tie_with.price,
        currency=tie_with.currency,
        enrollments=tie_with.enrollments,
        ratings=tie_with.ratings,
        average=tie_with.average,
        subtitle=tie_with.subtitle,
        description=tie_with.description,
    )
    return [top, bottom, tie]


async def test_cursor_pages_neither_skip_nor_repeat_while_courses_are_published(
    client: Any, settings: Settings
) -> None:
    heads = await people(client, settings)
    tutor, manager = heads["tutor"], heads["manager"]
    owner = await my_id(client, tutor)
    # One approved course per sort, published over HTTP in the middle of its walk.
    approved: list[str] = []
    for sort in SORTS:
        course = await create_course(
            client,
            tutor,
            title=f"common approved {sort}",
            free=False,
            price={"amount": 777, "currency": "USD"},
        )
        section = await add_section(client, tutor, course["id"])
        await add_lesson(client, tutor, section["id"])
        for headers, action in ((tutor, "submit"), (manager, "approve")):
            assert (await move(client, headers, course["id"], action)).status_code == 200
        approved.append(course["id"])
    minute = timedelta(minutes=1)
    initial = [
        Spec(
            f"common {i}",
            T0 - (i // 2) * minute,  # pairs publish at the same instant
            [100, 250, 250, 4000][i % 4],
            enrollments=1 + i % 3,
            ratings=1,
            average=[1.0, 2.5, 2.5, 4.75][i % 4],
        )
        for i in range(10)
    ]
    async with store_for(settings, owner) as store:
        await store.add(*initial)
        for sort, http_course in zip(SORTS, approved, strict=True):
            params = _params(sort)
            at_start = set(await ids_in_order(client, **params))
            assert len(at_start) >= 10
            walked: list[str] = []
            inserted_after: dict[str, str] = {}  # new course -> the cursor's last item then
            page = await browse(client, **params, limit=3)
            gap = 0
            while True:
                assert 0 < len(page["items"]) <= 3
                walked += [item["id"] for item in page["items"]]
                if page["next_cursor"] is None:
                    break
                last = walked[-1]
                if gap < 3:
                    # Publish between page fetches: before, after and level with the cursor.
                    tie_with = store.specs.get(last) or initial[0]
                    for new_id in await store.add(*new_specs(sort, gap, tie_with)):
                        inserted_after[new_id] = last
                    if gap == 1:
                        response = await move(client, manager, http_course, "publish")
                        assert response.status_code == 200, response.text
                        inserted_after[http_course] = last
                gap += 1
                page = await browse(client, **params, limit=3, cursor=page["next_cursor"])
            final = await ids_in_order(client, **params)
            position = {course_id: i for i, course_id in enumerate(final)}
            assert len(walked) == len(set(walked)), f"{sort}: a course was listed twice"
            assert at_start <= set(walked), f"{sort}: a course was skipped"
            # Exactly what was there at the start, plus what was published after the cursor,
            # in the list's order.
            expected = [
                course_id
                for course_id in final
                if course_id in at_start
                or (
                    course_id in inserted_after
                    and position[course_id] > position[inserted_after[course_id]]
                )
            ]
            assert walked == expected, sort
            before = [c for c, last in inserted_after.items() if position[c] < position[last]]
            after = [c for c, last in inserted_after.items() if position[c] > position[last]]
            assert before and after, sort


# ---- bad parameters ------------------------------------------------------------------------------
async def test_bad_parameters_answer_400_or_422_naming_the_parameter(
    client: Any, settings: Settings
) -> None:
    heads = await people(client, settings)
    for title in ("One", "Two", "Three"):
        await published_course(client, heads["tutor"], heads["manager"], title=title)
    newest = (await browse(client, limit=1))["next_cursor"]
    popular = (await browse(client, sort="popular", limit=1))["next_cursor"]
    searched = (await browse(client, q="learn", limit=1))["next_cursor"]
    assert newest and popular and searched
    # Each cursor works with its own sort.
    assert len((await browse(client, limit=1, cursor=newest))["items"]) == 1
    assert len((await browse(client, sort="popular", limit=1, cursor=popular))["items"]) == 1
    assert len((await browse(client, q="learn", limit=1, cursor=searched))["items"]) == 1
    some_id = str(uuid.uuid4())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sort": "popular", "cursor": newest}, "cursor"),
        ({"sort": "newest", "cursor": popular}, "cursor"),
        ({"cursor": searched}, "cursor"),
        ({"q": "learn", "cursor": newest}, "cursor"),
        ({"sort": "price_asc", "cursor": popular}, "cursor"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "!!!!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"[1,2]").decode()}, "cursor"),
        ({"cursor": cursor_of("newest", "yesterday", some_id)}, "cursor"),
        ({"cursor": cursor_of("newest", "2026-01-01T00:00:00", some_id)}, "cursor"),
        ({"sort": "popular", "cursor": cursor_of("popular", 1.5, some_id)}, "cursor"),
        ({"sort": "popular", "cursor": cursor_of("popular", True, some_id)}, "cursor"),
        ({"sort": "rating", "cursor": cursor_of("rating", "4", some_id)}, "cursor"),
        ({"sort": "price_asc", "cursor": cursor_of("price_asc", 10, "not-an-id")}, "cursor"),
        ({"cursor": "x" * 301}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"price_min": -1}, "price_min"),
        ({"price_max": -1}, "price_max"),
        ({"rating_min": 6}, "rating_min"),
        ({"rating_min": 5.01}, "rating_min"),
        ({"rating_min": -0.5}, "rating_min"),
        ({"level": "expert"}, "level"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "DOLLARS", "price_min": 1}, "currency"),
        ({"q": "a" * 201}, "q"),
        ({"q": "python " * 40}, "q"),
        ({"instructor": "not-a-uuid"}, "instructor"),
        ({"sort": "cheapest"}, "sort"),
        ({"free": "maybe"}, "free"),
    ]
    # Of the documented shape, but naming nothing known or contradicting another: meaning.
    refused: list[tuple[dict[str, Any], str]] = [
        ({"price_min": 500, "price_max": 100}, "price_max"),
        ({"price_min": 500, "price_max": 100, "currency": "EUR"}, "price_max"),
        ({"currency": "XYZ", "price_min": 1}, "currency"),
        ({"language": "zz-not-a-language"}, "language"),
    ]
    for status, code, wrong in ((400, None, cases), (422, "invalid-input", refused)):
        for params, parameter in wrong:
            response = await client.get(COURSES, params=params)
            body = problem(response, status, code)
            assert body["errors"], params
            assert parameter in [error["field"] for error in body["errors"]], (params, body)
    # Limits at the edges are fine.
    assert len((await browse(client, limit=1))["items"]) == 1
    assert len((await browse(client, limit=100))["items"]) == 3
    assert (await browse(client, q="a" * 200))["items"] == []
    assert len((await browse(client, price_min=0, price_max=0))["items"]) == 3


def no_server_error(response: Any, parameter: str) -> None:
    """A client's mistake is a 400 naming the parameter, or a plain answer; never a 500."""
    assert response.status_code < 500, response.text
    if response.status_code == 400:
        assert parameter in [e["field"] for e in problem(response, 400)["errors"]]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        pytest.param("popular", 2**31 - 1, id="popular-int4-max"),
        pytest.param("popular", 2**31, id="popular-beyond-int4"),
        pytest.param("popular", 10**30, id="popular-beyond-int8"),
        pytest.param("price_asc", 2**63 - 1, id="price-int8-max"),
        pytest.param("price_asc", 2**63, id="price-beyond-int8"),
        pytest.param("rating", 1e300, id="rating-huge-float"),
        pytest.param("newest", "0001-01-02T00:00:00+00:00", id="newest-year-1"),
        pytest.param("newest", "0001-01-01T00:00:00+14:00", id="newest-before-1"),
        pytest.param("newest", "9999-12-31T23:59:59-14:00", id="newest-after-9999"),
        pytest.param("relevance", 10**18, id="relevance-big-int"),
        pytest.param("relevance", 10**30, id="relevance-beyond-int8"),
        pytest.param("relevance", 1e300, id="relevance-beyond-real"),
    ],
)
async def test_a_forged_cursor_key_out_of_range_is_never_a_server_error(
    client: Any,
    database_url: str,
    request: pytest.FixtureRequest,
    sort: str,
    key: Any,
) -> None:
    params = {"sort": sort, "q": "learn"} if sort == "relevance" else {"sort": sort}
    cursor = cursor_of(sort, key, str(uuid.uuid4()))
    response = await client.get(COURSES, params=params | {"cursor": cursor})
    no_server_error(response, "cursor")


async def test_a_price_bound_beyond_64_bits_is_never_a_server_error(client: Any) -> None:
    for parameter in ("price_min", "price_max"):
        for value in (2**63 - 1, 2**63, 10**20):
            response = await client.get(COURSES, params={parameter: value, "currency": "USD"})
            no_server_error(response, parameter)


async def test_a_nul_character_in_a_parameter_is_never_a_server_error(
    client: Any, database_url: str, request: pytest.FixtureRequest
) -> None:
    for url, params, parameter in (
        (COURSES, {"q": "a\x00b"}, "q"),
        (COURSES, {"tag": "a\x00b"}, "tag"),
        (COURSES, {"category": "a\x00b"}, "category"),
        (TAGS, {"prefix": "a\x00"}, "prefix"),
        (f"{COURSES}/a%00b", {}, "course_key"),
    ):
        response = await client.get(url, params=params)
        if response.status_code != 404:
            no_server_error(response, parameter)


async def test_a_tag_filter_is_normalised_like_the_tags_it_matches(
    client: Any, settings: Settings
) -> None:
    heads = await people(client, settings)
    course = await published_course(
        client, heads["tutor"], heads["manager"], title="ML", tags=["Machine Learning"]
    )
    assert course["tags"] == ["machine-learning"]
    assert await titles(client, tag="machine-learning") == ["ML"]
    assert await titles(client, tag="Machine  Learning") == ["ML"]
    response = await client.get(TAGS, params={"prefix": "machine l"})
    assert [t["tag"] for t in response.json()["items"]] == ["machine-learning"]


async def test_several_search_words_must_all_match_whatever_the_words(
    client: Any, settings: Settings, database_url: str, request: pytest.FixtureRequest
) -> None:
    heads = await people(client, settings)
    await published_course(client, heads["tutor"], heads["manager"], title="Python Now")
    assert await titles(client, q="python zebra") == []
    assert await titles(client, q="python or zebra") == []


# ---- tags and categories ----------------------------------------------------------------------
async def test_tags_and_categories_count_published_courses(client: Any, settings: Settings) -> None:
    shop = await build_shop(client, settings)
    tags = await client.get(TAGS)
    assert tags.status_code == 200
    assert tags.json()["next_cursor"] is None
    assert tags.json()["items"] == [
        {"tag": "python", "course_count": 2},
        {"tag": "algorithms", "course_count": 1},
        {"tag": "beginner", "course_count": 1},
        {"tag": "design", "course_count": 1},
        {"tag": "web", "course_count": 1},
    ]
    for prefix, expected in (
        ("py", ["python"]),
        ("PY", ["python"]),
        ("b", ["beginner"]),
        ("de", ["design"]),
        ("a", ["algorithms"]),
        ("x", []),
        ("%", []),
        ("_", []),
    ):
        response = await client.get(TAGS, params={"prefix": prefix})
        assert response.status_code == 200
        assert [t["tag"] for t in response.json()["items"]] == expected, prefix
    response = await client.get(TAGS, params={"limit": 2})
    assert [t["tag"] for t in response.json()["items"]] == ["python", "algorithms"]
    problem(await client.get(TAGS, params={"limit": 0}), 400)

    categories = await client.get(CATEGORIES)
    assert categories.status_code == 200
    # Parents first, siblings by name; each counts the published courses filed right under it.
    assert [(c["slug"], c["course_count"]) for c in categories.json()["items"]] == [
        ("design", 1),
        ("programming", 1),
        ("python-lang", 1),
        ("django", 1),
    ]
    by_slug = {c["slug"]: c for c in categories.json()["items"]}
    assert by_slug["django"]["parent_id"] == shop.categories["python-lang"]["id"]
    assert by_slug["python-lang"]["parent_id"] == shop.categories["programming"]["id"]
    assert by_slug["programming"]["parent_id"] is None


# ---- statements per request ----------------------------------------------------------------------
async def test_statements_per_request_do_not_grow_with_the_page_or_the_outline(
    settings: Settings,
) -> None:
    """Pinned, anonymous and signed in: a page is one statement, a course one on PostgreSQL
    (its outline, instructors and prerequisites ride along as arrays) and three on SQLite
    (itself, its outline, its instructors and prerequisites), and a signed-in viewer's
    enrollment one more; authenticating reads nothing once the account is known."""
    from litestar.testing import AsyncTestClient

    # No outbox relay nor scheduler: every statement seen is the request's own.
    app = app_for(settings, run_background=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        heads = await people(client, settings)
        tutor, manager = heads["tutor"], heads["manager"]
        student = await headers_of(client, "student")
        owner = await my_id(client, tutor)
        async with store_for(settings, owner) as store:
            await store.add(
                *(Spec(f"Bulk {i}", T0 - timedelta(minutes=i), 100 * i) for i in range(30))
            )
        small = await published_course(client, tutor, manager, title="Small Outline")
        big = await create_course(client, tutor, title="Big Outline", description="Big.")
        for s in range(5):
            section = await add_section(client, tutor, big["id"], title=f"Part {s}")
            for n in range(5):
                await add_lesson(client, tutor, section["id"], title=f"Lesson {s}.{n}")
        for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
            assert (await move(client, headers, big["id"], action)).status_code == 200

        statements = Statements(client.app.state.container.engine)

        async def count(url: str, headers: Any = None, **params: Any) -> tuple[int, Any]:
            (await statements.settled()).clear()
            response = await client.get(url, params=params, headers=headers)
            assert response.status_code == 200, response.text
            return len(await statements.settled()), response.json()

        with statements:
            await count(COURSES)  # warm up: the first connection may run set-up queries
            await count(f"{COURSES}/{small['id']}", student)  # and the account is read once
            counts: dict[str, int] = {}
            for limit in (1, 20, 100):
                n, page = await count(COURSES, limit=limit)
                assert len(page["items"]) == min(limit, 32)
                counts[f"page of {limit}"] = n
            n, page = await count(COURSES, student, limit=20)
            counts["page signed in"] = n
            n, page = await count(
                COURSES, q="outline", category="shelf", tag="t", level="beginner", limit=20
            )
            counts["filtered page"] = n
            _, page = await count(COURSES, sort="rating", limit=20)
            cursor = page["next_cursor"]
            n, page = await count(COURSES, sort="rating", limit=20, cursor=cursor)
            assert len(page["items"]) == 12
            counts["page after a cursor"] = n
            n, page = await count(COURSES, student, sort="rating", limit=20, cursor=cursor)
            assert len(page["items"]) == 12
            counts["page after a cursor signed in"] = n
            n, detail = await count(f"{COURSES}/{small['id']}")
            assert len(detail["sections"]) == 1
            assert len(detail["sections"][0]["lessons"]) == 1
            counts["detail 1x1"] = n
            n, detail = await count(f"{COURSES}/{big['id']}")
            assert [len(s["lessons"]) for s in detail["sections"]] == [5] * 5
            counts["detail 5x5"] = n
            n, _ = await count(f"{COURSES}/{detail['slug']}")
            counts["detail 5x5 by slug"] = n
            n, signed_in = await count(f"{COURSES}/{detail['slug']}", student)
            assert signed_in["viewer"]["enrolled"] is False
            counts["detail 5x5 signed in"] = n
            n, _ = await count(TAGS)
            counts["tags"] = n
            n, _ = await count(CATEGORIES)
            counts["categories"] = n
    course = 3 if is_sqlite(settings.effective_database_url) else 1
    assert counts == {
        "page of 1": 1,
        "page of 20": 1,
        "page of 100": 1,
        "page signed in": 1,
        "filtered page": 1,
        "page after a cursor": 1,
        "page after a cursor signed in": 1,
        "detail 1x1": course,
        "detail 5x5": course,
        "detail 5x5 by slug": course,
        "detail 5x5 signed in": course + 1,
        "tags": 1,
        "categories": 1,
    }
