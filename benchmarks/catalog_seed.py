"""Seeds a disposable PostgreSQL database with a catalog for `catalog_load.py` to serve.

What it writes (defaults): 500 approved tutors, 30 categories (6 top-level, 24 below them),
``--courses`` courses (95 % published, 4 % draft, 1 % pending) with their slugs, instructors,
tags, an occasional prerequisite, 2 to 6 sections of 2 to 6 lessons each (about 16 lessons a
course), and the counters the catalog reads: 200,000 enrollments and 50,000 reviews in all.

Enrollments and reviews have no tables yet (a later capability adds them): they exist here only
as the course rows' ``enrollment_count``, ``rating_count`` and ``rating_average``, which are what
the catalog reads. Enrollments go to published courses with a Zipf-like skew (weight 1/rank^0.9
over a random order, so a few courses hold most); each review is one of those enrollments
drawn at random (so ``rating_count <= enrollment_count``), with a star rating around the
course's own quality. The totals stay 200,000 and 50,000 whatever ``--courses`` is (the issue
varies the number of courses only); ``--enrollments`` and ``--reviews`` change them.

Descriptions are 120 to 320 words drawn from a Zipf-weighted English vocabulary, with the
course's subject mixed in; each subcategory has 12 subjects, a course has one main subject
(in its title, tags and description) and mentions two more, so a subject word such as
``kubernetes`` or ``photosynthesis`` matches about 1 % of courses, at any catalog size.

The database is dropped and created again (its name must contain "bench"; the test suite's
database is never touched), migrated with the project's Alembic migrations, loaded with COPY
(foreign-key triggers off for the session: the rows are consistent by construction; secondary
indexes are dropped during the load and rebuilt from their own definitions afterwards), then
VACUUM ANALYZE. What was seeded is recorded as the database's comment, so a later run with the
same parameters finds it ready and skips the work. Tutors sign in with the password
``bench-password-2026`` (emails ``tutor-NNN@bench.elearn.test``). Usage:

    .venv/bin/python benchmarks/catalog_seed.py [--courses 10000] [--reseed]
        [--database elearn_bench_10000] [--server postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from argon2 import PasswordHasher

from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.domain.catalog.slugs import slugify

SEED_FORMAT = 1  # bump when what is seeded changes, so old databases are seeded again
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
TUTOR_PASSWORD = "bench-password-2026"  # the seeded tutors sign in with it
CHUNK = 2_000  # courses generated and copied at a time

# ---- what the catalog is made of -------------------------------------------------------------
# Top-level category -> its subcategories -> 12 subjects each (one word: a search term).
CATALOG: dict[str, dict[str, str]] = {
    "Development": {
        "Web Development": (
            "JavaScript TypeScript React Vue Angular Django Flask Node GraphQL CSS HTML Svelte"
        ),
        "Mobile Development": (
            "Android iOS Swift Kotlin Flutter Dart SwiftUI Jetpack Xamarin Ionic Expo Firebase"
        ),
        "DevOps and Cloud": (
            "Kubernetes Docker Terraform Ansible Jenkins AWS Azure GCP Prometheus Helm Linux Nginx"
        ),
        "Programming Languages": (
            "Python Rust Go Java Haskell Elixir Scala Ruby Clojure Erlang Julia Zig"
        ),
    },
    "Data Science": {
        "Machine Learning": (
            "PyTorch TensorFlow Keras Transformers XGBoost Reinforcement Embeddings Classification "
            "Regression Clustering Diffusion Vision"
        ),
        "Data Analysis": (
            "Pandas Excel Tableau PowerBI Dashboards Forecasting Polars Jupyter Matplotlib Looker "
            "Spreadsheets Visualization"
        ),
        "Databases": (
            "PostgreSQL MySQL SQLite MongoDB Redis Cassandra Elasticsearch Indexing Normalization "
            "Transactions Replication Sharding"
        ),
        "Statistics": (
            "Probability Bayesian Hypothesis ANOVA Sampling Inference Econometrics Bootstrap "
            "Survival Multivariate Nonparametric Markov"
        ),
    },
    "Business": {
        "Marketing": (
            "SEO Copywriting Branding Advertising Influencer Newsletter Funnels Analytics Social "
            "Content Growth Positioning"
        ),
        "Finance": (
            "Accounting Investing Valuation Budgeting Taxes Bookkeeping Options Bonds Portfolio "
            "Cryptocurrency Payroll Auditing"
        ),
        "Management": (
            "Leadership Agile Scrum Kanban Negotiation Hiring Coaching Strategy Operations "
            "Logistics Delegation Meetings"
        ),
        "Entrepreneurship": (
            "Startups Fundraising Bootstrapping Ecommerce Dropshipping Pitching Franchising "
            "Freelancing Pricing Validation Licensing Exporting"
        ),
    },
    "Design": {
        "Graphic Design": (
            "Photoshop Illustrator InDesign Typography Logos Posters Canva Color Layout Packaging "
            "Infographics Lettering"
        ),
        "UX Design": (
            "Figma Wireframing Prototyping Usability Accessibility Personas Sketch Interaction "
            "Research Microcopy Onboarding Navigation"
        ),
        "3D and Animation": (
            "Blender Maya Cinema4D ZBrush Houdini Rigging Texturing Rendering Sculpting Unreal "
            "Unity Motion"
        ),
        "Photography": (
            "Portraits Landscapes Lightroom Lighting Composition Astrophotography Wildlife Street "
            "Weddings Drones Film Macro"
        ),
    },
    "Science": {
        "Biology": (
            "Photosynthesis Genetics Ecology Evolution Microbiology Botany Neuroscience Immunology "
            "Anatomy Physiology Zoology Bioinformatics"
        ),
        "Physics": (
            "Mechanics Electromagnetism Thermodynamics Optics Relativity Quantum Acoustics "
            "Astrophysics Cosmology Plasma Nuclear Fluids"
        ),
        "Chemistry": (
            "Stoichiometry Organic Inorganic Electrochemistry Spectroscopy Polymers Catalysis "
            "Kinetics Biochemistry Titration Crystallography Chromatography"
        ),
        "Mathematics": (
            "Calculus Algebra Geometry Trigonometry Topology Combinatorics Cryptography Logic "
            "Proofs Matrices Fractals Optimization"
        ),
    },
    "Languages": {
        "English": (
            "Grammar Pronunciation IELTS TOEFL Idioms Vocabulary Writing Conversation Listening "
            "Phonetics Essays Storytelling"
        ),
        "Spanish": (
            "Subjunctive Conjugation DELE Castilian Dialogues Travel Slang Verbs Podcasts Reading "
            "Dictation Culture"
        ),
        "German": (
            "Declension Goethe Articles Cases Umlauts Business Compounds Bavarian Idiomatik "
            "Listening TestDaF Literature"
        ),
        "French": (
            "DELF Liaison Passive Tenses Parisian Quebecois Cuisine Poetry Cinema Gender Negation "
            "Etiquette"
        ),
    },
}
ICONS = ["code", "chart", "briefcase", "palette", "flask", "language"]

# The general vocabulary of descriptions, commonest first (drawn with weight 1/rank).
VOCABULARY = """
the and to of a in you is for this that with your on will be are how it we course as can
learn from by or at an all what use have more each step about skills build practical work
real world project projects understand by end first new make using time data also help
through into use examples hands know like our get way need start practice ideas simple
clear approach tools methods complete guide lessons exercises module modules section level
beginner advanced intermediate professional career job jobs team teams common problems
solve solutions core concepts fundamentals foundations techniques patterns best practices
quickly confidently everyday working knowledge experience students instructor video videos
quizzes assignments downloadable resources notes questions answers feedback progress review
test tests apply applied theory history background context modern classic popular powerful
useful important key essential basic deep detailed focused short long week weeks hour hours
minutes day days self paced lifetime access certificate completion industry standard
requirements prior required only curious motivated anyone everyone who wants want wish
goal goals plan planning design designing create creating develop developing analyze
analysis improve improving understand understanding explore exploring discover discovering
master mastering write writing read reading speak speaking listen listening think thinking
measure measuring test testing debug debugging deploy deploying scale scaling manage
managing organize organizing communicate communicating present presenting collaborate
small large simple complex fast slow efficient reliable secure flexible robust elegant
mistakes pitfalls tricks tips shortcuts secrets strategies frameworks models systems
process processes workflow workflows habits routines skills abilities confidence clarity
portfolio interview interviews exam exams certification promotion freelance business
company companies clients customers users people learners readers viewers audience
""".split()
LESSON_VERBS = ["Introducing", "Understanding", "Exploring", "Building", "Applying",
                "Practising", "Reviewing", "Mastering", "Debugging", "Designing"]  # fmt: skip
LESSON_NOUNS = ["the basics", "core concepts", "a first project", "common patterns",
                "real examples", "the toolkit", "edge cases", "best practices", "a case study",
                "the workflow", "advanced topics", "a quick recap"]  # fmt: skip
SECTION_TITLES = ["Getting started", "Foundations", "Core techniques", "Going further",
                  "Projects", "Working like a professional", "Advanced topics",
                  "Putting it all together", "Case studies", "Wrapping up"]  # fmt: skip
TITLE_TEMPLATES = [
    "{s} for Beginners", "The Complete {s} Bootcamp", "Mastering {s}", "Practical {s}",
    "{s} in 30 Days", "Advanced {s} Techniques", "{s} from Scratch", "Hands-on {s}",
    "{s}: The Essential Guide", "Professional {s} Masterclass", "{s} Made Simple",
    "Learn {s} by Building Projects", "{s} Fundamentals", "{s} for Working Professionals",
]  # fmt: skip
SUBTITLES = [
    "Everything you need to go from your first steps to confident, everyday use of {s}.",
    "A project-based course on {s} with exercises, quizzes and real-world examples.",
    "Learn {s} the practical way: short lessons, clear explanations, lots of practice.",
    "The {s} skills employers ask for, taught step by step with downloadable resources.",
    "Understand how {s} really works and apply it to your own projects with confidence.",
]  # fmt: skip
OUTCOMES = ["Build a complete project with {s}", "Explain the core concepts of {s}",
            "Avoid the most common {s} mistakes", "Apply {s} to real problems at work",
            "Prepare for interviews and exams on {s}", "Plan and organize your own {s} work",
            "Combine {s} with {t} confidently"]  # fmt: skip
REQUIREMENTS = ["No prior experience needed", "A computer with internet access",
                "Basic familiarity with {t}", "Curiosity and an hour a day",
                "High-school mathematics", "Willingness to practise between lessons"]  # fmt: skip
GENERIC_TAGS = ["beginner-friendly", "hands-on", "certification", "projects", "career",
                "exam-prep", "bootcamp", "quick-start", "theory", "practice"]  # fmt: skip
FIRST_NAMES = ["Ada", "Alan", "Grace", "Linus", "Maria", "Chen", "Priya", "Omar", "Sofia",
               "Lukas", "Amara", "Kenji", "Elena", "Mateo", "Fatima", "Noah", "Yuki", "Ines",
               "Tariq", "Hannah", "Diego", "Leila", "Marek", "Aisha", "Jonas"]  # fmt: skip
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Novak", "Garcia", "Wei", "Sharma", "Haddad",
              "Rossi", "Schmidt", "Okafor", "Tanaka", "Petrova", "Silva", "Khan", "Muller",
              "Sato", "Moreau", "Nasser", "Berg", "Lopez", "Rahimi", "Kowalski", "Bello",
              "Lindqvist"]  # fmt: skip
LANGUAGES = (["en", "es", "de", "fr", "pt"], [70, 10, 8, 7, 5])
LEVELS = (["beginner", "intermediate", "advanced", "all"], [35, 30, 15, 20])
STATUSES = (["published", "draft", "pending"], [95, 4, 1])
PRICES = [999, 1499, 1999, 2499, 2999, 3999, 4999, 7999, 9999, 12999, 19999]
FREE_SHARE = 0.15

COURSE_COLUMNS = [
    "id", "owner_id", "slug", "title", "subtitle", "description", "language", "level",
    "price_amount", "price_currency", "category_id", "tags", "learning_outcomes",
    "requirements", "preview_lesson_id", "status", "submitted_at", "published_at",
    "first_published_at", "lesson_count", "duration_seconds", "enrollment_count",
    "rating_count", "rating_average", "created_at", "updated_at",
]  # fmt: skip
SECTION_COLUMNS = ["id", "course_id", "position", "title", "created_at", "updated_at"]
LESSON_COLUMNS = [
    "id", "course_id", "section_id", "position", "kind", "title", "duration_seconds",
    "is_free_preview", "is_required", "text", "video_url", "created_at", "updated_at",
]  # fmt: skip
SEEDED_TABLES = [
    "users", "categories", "courses", "course_slugs", "course_instructors", "course_tags",
    "course_prerequisites", "course_sections", "lessons",
]  # fmt: skip


@dataclass(frozen=True)
class SeedSpec:
    courses: int = 10_000
    tutors: int = 500
    enrollments: int = 200_000
    reviews: int = 50_000
    seed: int = 2026
    format: int = SEED_FORMAT

    def marker(self) -> str:
        return "catalog_seed " + json.dumps(asdict(self), sort_keys=True)


@dataclass
class Chunk:
    courses: list[tuple[Any, ...]] = field(default_factory=list)
    slugs: list[tuple[Any, ...]] = field(default_factory=list)
    instructors: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)
    prerequisites: list[tuple[Any, ...]] = field(default_factory=list)
    sections: list[tuple[Any, ...]] = field(default_factory=list)
    lessons: list[tuple[Any, ...]] = field(default_factory=list)


class Generator:
    """Every row, deterministic for a given seed. Course-level figures that depend on the whole
    catalog (status, counters, owner) are decided up front; rows are then made a chunk at a
    time."""

    def __init__(self, spec: SeedSpec, now: datetime) -> None:
        self.spec = spec
        self.now = now
        self.rng = random.Random(spec.seed)
        rng = self.rng
        self.vocabulary_weights = list(
            itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY)))
        )
        self.tutor_ids = [self.uid() for _ in range(spec.tutors)]
        # (subcategory, its parent, subjects): a course is filed under the subcategory, or
        # one time in ten under the top-level category itself.
        self.categories: list[tuple[uuid.UUID, uuid.UUID, list[str]]] = []
        self.category_rows: list[tuple[Any, ...]] = []
        for (parent_name, children), icon in zip(CATALOG.items(), ICONS, strict=True):
            parent_id = self.uid()
            self.category_rows.append(self._category(parent_id, parent_name, icon, None))
            for child_name, subjects in children.items():
                child_id = self.uid()
                self.category_rows.append(self._category(child_id, child_name, None, parent_id))
                self.categories.append((child_id, parent_id, subjects.split()))
        n = spec.courses
        self.statuses = rng.choices(STATUSES[0], weights=STATUSES[1], k=n)
        owner_weights = [1 / (rank + 1) ** 0.8 for rank in range(spec.tutors)]
        self.owners = rng.choices(self.tutor_ids, weights=owner_weights, k=n)
        published = [i for i in range(n) if self.statuses[i] == "published"]
        rng.shuffle(published)  # popularity rank, independent of everything else
        enrolled = rng.choices(
            published, weights=[1 / (rank + 1) ** 0.9 for rank in range(len(published))],
            k=spec.enrollments,
        )  # fmt: skip
        self.enrollment_counts = Counter(enrolled)
        reviews = min(spec.reviews, spec.enrollments)
        self.rating_counts = Counter(rng.sample(enrolled, reviews))
        self.last_course_of_owner: dict[uuid.UUID, tuple[uuid.UUID, str, str]] = {}
        self.lesson_texts = [self.prose(40, 80) for _ in range(64)]

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _category(
        self, cid: uuid.UUID, name: str, icon: str | None, parent: uuid.UUID | None
    ) -> tuple[Any, ...]:
        description = f"Courses about {name.lower()}: " + self.prose(15, 30)
        at = self.now - timedelta(days=1200)
        return (cid, name, slugify(name), description, icon, parent, at, at)

    def users(self) -> list[tuple[Any, ...]]:
        password_hash = PasswordHasher().hash(TUTOR_PASSWORD)
        rows = []
        for n, tutor_id in enumerate(self.tutor_ids, start=1):
            name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n // len(FIRST_NAMES) % 25]}"
            at = self.now - timedelta(days=1400 - n % 300)
            rows.append(
                (tutor_id, f"tutor-{n:03d}@bench.elearn.test", f"{name} {n}", "tutor",
                 password_hash, "active", at, "approved", False, "[]", at, at)
            )  # fmt: skip
        return rows

    def prose(self, low: int, high: int, mentions: Sequence[str] = ()) -> str:
        """Sentences of 6 to 16 words from the vocabulary, paragraphs of about five sentences,
        ``mentions`` put in at random places."""
        rng = self.rng
        words = rng.choices(
            VOCABULARY, cum_weights=self.vocabulary_weights, k=rng.randint(low, high)
        )
        for mention in mentions:
            words.insert(rng.randrange(len(words) + 1), mention)
        sentences = []
        start = 0
        while start < len(words):
            end = start + rng.randint(6, 16)
            part = words[start:end]
            sentences.append(part[0].capitalize() + " " + " ".join(part[1:]) + ".")
            start = end
        return "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))

    def chunk(self, start: int, stop: int) -> Chunk:
        rng = self.rng
        out = Chunk()
        for i in range(start, stop):
            self._course(i, rng, out)
        return out

    def _course(self, i: int, rng: random.Random, out: Chunk) -> None:
        course_id = self.uid()
        owner = self.owners[i]
        category_id, parent_id, subjects = rng.choice(self.categories)
        if rng.random() < 0.1:
            category_id = parent_id
        subject, *others = rng.sample(subjects, 3)
        title = rng.choice(TITLE_TEMPLATES).format(s=subject)
        slug = f"{slugify(title)[:70]}-{i}"
        subtitle = rng.choice(SUBTITLES).format(s=subject)
        mentions = [subject.lower()] * rng.randint(2, 5) + [word.lower() for word in others]
        description = self.prose(120, 320, mentions)
        tags = [slugify(subject)[:30], *rng.sample(GENERIC_TAGS, rng.randint(1, 4))]
        outcomes = [
            template.format(s=subject, t=others[0])
            for template in rng.sample(OUTCOMES, rng.randint(3, 5))
        ]
        requirements = [
            template.format(t=others[1]) for template in rng.sample(REQUIREMENTS, rng.randint(1, 3))
        ]
        status = self.statuses[i]
        created = self.now - timedelta(seconds=rng.uniform(30 * 86400, 3 * 365 * 86400))
        submitted_at = created + timedelta(seconds=rng.uniform(3600, 20 * 86400))
        published_at = submitted_at + timedelta(seconds=rng.uniform(600, 3 * 86400))
        updated = {"published": published_at, "pending": submitted_at}.get(status, created)
        submitted = submitted_at if status in ("published", "pending") else None
        published = published_at if status == "published" else None
        price = 0 if rng.random() < FREE_SHARE else rng.choice(PRICES)
        # The outline.
        lesson_count = duration = 0
        preview_lesson = None
        for section_position in range(rng.randint(2, 6)):
            section_id = self.uid()
            section_title = f"{SECTION_TITLES[min(section_position, 9)]}: {subject}"
            out.sections.append(
                (section_id, course_id, section_position, section_title, created, created)
            )
            for _ in range(rng.randint(2, 6)):
                lesson_id = self.uid()
                video = rng.random() < 0.75
                seconds = rng.randint(180, 1500) if video else rng.randint(120, 600)
                free_preview = lesson_count == 0 or rng.random() < 0.03
                if lesson_count == 0:
                    preview_lesson = lesson_id
                lesson_title = f"{rng.choice(LESSON_VERBS)} {rng.choice(LESSON_NOUNS)} in {subject}"
                out.lessons.append(
                    (lesson_id, course_id, section_id, lesson_count, "video" if video else "text",
                     lesson_title, seconds, free_preview, rng.random() < 0.9,
                     None if video else rng.choice(self.lesson_texts),
                     f"https://videos.bench.elearn.test/{course_id}/{lesson_count}.mp4"
                     if video else None, created, created)
                )  # fmt: skip
                lesson_count += 1
                duration += seconds
        enrollments = self.enrollment_counts.get(i, 0)
        ratings = self.rating_counts.get(i, 0)
        average = 0.0
        if ratings:
            quality = rng.uniform(3.2, 4.9)
            stars = [min(5, max(1, round(rng.gauss(quality, 0.9)))) for _ in range(ratings)]
            average = sum(stars) / ratings
        out.courses.append(
            (course_id, owner, slug, title, subtitle, description,
             rng.choices(LANGUAGES[0], weights=LANGUAGES[1])[0],
             rng.choices(LEVELS[0], weights=LEVELS[1])[0],
             price, "USD" if price else None, category_id, json.dumps(tags),
             json.dumps(outcomes), json.dumps(requirements), preview_lesson, status,
             submitted, published, published, lesson_count, duration, enrollments, ratings,
             average, created, updated)
        )  # fmt: skip
        out.slugs.append((slug, course_id))
        out.instructors.append((course_id, owner, 0))
        out.tags.extend((course_id, tag) for tag in tags)
        earlier = self.last_course_of_owner.get(owner)
        if earlier is not None and rng.random() < 0.1:
            out.prerequisites.append((course_id, earlier[0], 0))
        self.last_course_of_owner[owner] = (course_id, slug, title)


# ---- the database ----------------------------------------------------------------------------
def database_name(courses: int) -> str:
    return f"elearn_bench_{courses}"


def sqlalchemy_url(server: str, database: str) -> str:
    return f"{server.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


def check_name(database: str) -> None:
    if "bench" not in database or not database.replace("_", "").isalnum():
        raise SystemExit(f"refusing to use database {database!r}: its name must contain 'bench'")


async def seeded_marker(server: str, database: str) -> str | None:
    """The comment of a completely seeded database, or None when it does not exist."""
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        return await connection.fetchval(  # type: ignore[no-any-return]
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            database,
        )
    finally:
        await connection.close()


async def ensure_seeded(
    spec: SeedSpec, *, server: str = DEFAULT_SERVER, database: str = "", reseed: bool = False
) -> tuple[str, float | None]:
    """Seeds unless the database already holds exactly ``spec``; migrates it to the latest
    revision either way. Returns the SQLAlchemy URL and the seconds spent seeding (None when
    nothing was seeded)."""
    database = database or database_name(spec.courses)
    check_name(database)
    url = sqlalchemy_url(server, database)
    if not reseed and await seeded_marker(server, database) == spec.marker():
        await upgrade(url, find_migrations_dir())
        return url, None
    started = time.perf_counter()
    await seed(spec, server, database)
    return url, time.perf_counter() - started


async def seed(spec: SeedSpec, server: str, database: str) -> None:
    check_name(database)
    step = _Steps()
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    await upgrade(sqlalchemy_url(server, database), find_migrations_dir())
    step("created and migrated")

    generator = Generator(spec, datetime.now(UTC))
    step("planned")
    connection = await asyncpg.connect(f"{server}/{database}")
    try:
        # The rows reference each other consistently by construction: no foreign-key triggers.
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET synchronous_commit = off")
        await connection.execute("SET maintenance_work_mem = '512MB'")
        indexes = await _drop_secondary_indexes(connection)
        await connection.copy_records_to_table(
            "users",
            records=generator.users(),
            columns=["id", "email", "full_name", "role", "password_hash", "status",
                     "email_verified_at", "tutor_approval", "totp_enabled",
                     "recovery_code_hashes", "created_at", "updated_at"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "categories",
            records=generator.category_rows,
            columns=["id", "name", "slug", "description", "icon", "parent_id", "created_at",
                     "updated_at"],
        )  # fmt: skip
        # Generating a chunk (Python) overlaps copying the previous one (PostgreSQL).
        bounds = [(s, min(s + CHUNK, spec.courses)) for s in range(0, spec.courses, CHUNK)]
        pending = asyncio.create_task(asyncio.to_thread(generator.chunk, *bounds[0]))
        for n in range(len(bounds)):
            chunk = await pending
            if n + 1 < len(bounds):
                pending = asyncio.create_task(asyncio.to_thread(generator.chunk, *bounds[n + 1]))
            await _copy_chunk(connection, chunk)
        step(f"copied {spec.courses} courses")
        for statement in indexes:
            await connection.execute(statement)
        step(f"rebuilt {len(indexes)} indexes")
        await connection.execute("RESET session_replication_role")
        await connection.execute("VACUUM ANALYZE")
        step("vacuumed and analyzed")
        marker = spec.marker().replace("'", "''")
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{marker}'")
    finally:
        await connection.close()


async def _drop_secondary_indexes(connection: asyncpg.Connection) -> list[str]:
    """Drops the seeded tables' indexes that back no constraint; returns how to build them."""
    rows = await connection.fetch(
        """
        SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND t.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        SEEDED_TABLES,
    )
    for row in rows:
        await connection.execute(f'DROP INDEX "{row["name"]}"')
    return [row["definition"] for row in rows]


async def _copy_chunk(connection: asyncpg.Connection, chunk: Chunk) -> None:
    async with connection.transaction():
        await connection.copy_records_to_table(
            "courses", records=chunk.courses, columns=COURSE_COLUMNS
        )
        await connection.copy_records_to_table(
            "course_slugs", records=chunk.slugs, columns=["slug", "course_id"]
        )
        await connection.copy_records_to_table(
            "course_instructors",
            records=chunk.instructors,
            columns=["course_id", "user_id", "position"],
        )
        await connection.copy_records_to_table(
            "course_tags", records=chunk.tags, columns=["course_id", "tag"]
        )
        await connection.copy_records_to_table(
            "course_prerequisites",
            records=chunk.prerequisites,
            columns=["course_id", "prerequisite_id", "position"],
        )
        await connection.copy_records_to_table(
            "course_sections", records=chunk.sections, columns=SECTION_COLUMNS
        )
        await connection.copy_records_to_table(
            "lessons", records=chunk.lessons, columns=LESSON_COLUMNS
        )


class _Steps:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def __call__(self, what: str) -> None:
        now = time.perf_counter()
        print(f"  seed: {what} in {now - self.last:.1f} s ({now - self.start:.1f} s in all)")
        self.last = now


async def summary(server: str, database: str) -> dict[str, Any]:
    connection = await asyncpg.connect(f"{server}/{database}")
    try:
        row = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM users) AS users,
                   (SELECT count(*) FROM categories) AS categories,
                   (SELECT count(*) FROM courses) AS courses,
                   (SELECT count(*) FROM courses WHERE status = 'published') AS published,
                   (SELECT count(*) FROM lessons) AS lessons,
                   (SELECT sum(enrollment_count) FROM courses) AS enrollments,
                   (SELECT sum(rating_count) FROM courses) AS reviews,
                   (SELECT count(*) FROM courses WHERE search_document
                       @@ websearch_to_tsquery('simple', 'kubernetes')) AS kubernetes,
                   pg_size_pretty(pg_database_size(current_database())) AS size
            """
        )
        return dict(row)  # type: ignore[arg-type]
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--tutors", type=int, default=500)
    parser.add_argument("--enrollments", type=int, default=200_000, help="in all")
    parser.add_argument("--reviews", type=int, default=50_000, help="in all")
    parser.add_argument("--seed", type=int, default=2026, help="of the random generator")
    parser.add_argument("--reseed", action="store_true", help="even when already seeded")
    parser.add_argument("--database", default="", help="default: elearn_bench_<courses>")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL, no database")
    args = parser.parse_args()
    if not 1 <= args.courses <= 1_000_000 or not 1 <= args.tutors <= 100_000:
        parser.error("--courses is 1 to 1,000,000 and --tutors 1 to 100,000")
    spec = SeedSpec(args.courses, args.tutors, args.enrollments, args.reviews, args.seed)
    database = args.database or database_name(args.courses)
    url, seconds = asyncio.run(
        ensure_seeded(spec, server=args.server, database=database, reseed=args.reseed)
    )
    state = "already seeded" if seconds is None else f"seeded in {seconds:.1f} s"
    print(f"{url}: {state}")
    for name, value in asyncio.run(summary(args.server, database)).items():
        print(f"  {name:12} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
