"""Demo data for the embedded default: accounts to sign in with, one per role, an approved
tutor with a public profile (``GET /api/v1/tutors/{id}``), and a small published catalog."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from elearn.application.actor import Actor
from elearn.application.catalog.authoring import KEEP, CourseChanges, NewCourse, NewLesson
from elearn.application.catalog.categories import CategoryChanges
from elearn.application.catalog.discovery import MyCoursesQuery
from elearn.application.identity.account import StudentProfileChanges, UpdateAccount
from elearn.application.identity.accounts import CreateAccount
from elearn.application.identity.institutions import InstitutionSearch, NewInstitution
from elearn.domain.catalog.course import CourseStatus, LessonKind, Level
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.profiles import TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import EmailTaken, TutorApproval, User
from elearn.domain.learning.quiz import Choice, FeedbackMode, Question, QuestionKind, Quiz
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import Availability, WeeklyWindow
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credentials, refused in production
DEMO_ACCOUNTS = [
    ("admin@demo.elearn.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.elearn.test", "Max Manager", Role.MANAGER),
    ("tutor@demo.elearn.test", "Tess Tutor", Role.TUTOR),
    ("student@demo.elearn.test", "Sam Student", Role.STUDENT),
]
DEMO_TUTOR_EMAIL = "tutor@demo.elearn.test"


def demo_tutor_profile(user: User) -> TutorProfile:
    return TutorProfile(
        user_id=user.id,
        headline="Mathematics and physics, from school algebra to first-year university",
        subjects=("Mathematics", "Physics", "Statistics"),
        languages=("en", "de"),
        hourly_rate=Money(3000, "USD"),
        time_zone="Europe/Berlin",
        bio=(
            "I have taught mathematics and physics for ten years, at a Berlin Gymnasium and "
            "online. Lessons start from the problems you are stuck on; you leave with worked "
            "notes and a short plan for the week."
        ),
    )


# Weekdays 09:00-17:00 in Berlin, 30- and 60-minute lessons with 10 minutes between them.
DEMO_AVAILABILITY = Availability(
    time_zone="Europe/Berlin",
    windows=tuple(WeeklyWindow(day, 9 * 60, 17 * 60) for day in range(5)),
    durations=(30, 60),
    buffer_minutes=10,
    minimum_notice_minutes=12 * 60,
    maximum_days_ahead=60,
)


async def seed_demo(settings: Settings) -> list[str]:
    """Creates what is missing and says what it did; running it twice changes nothing."""
    if settings.is_production:
        return ["demo data is never seeded in production"]
    container = bootstrap(settings)
    lines = []
    try:
        for email, full_name, role in DEMO_ACCOUNTS:
            if email == DEMO_TUTOR_EMAIL:
                lines.append(await _seed_tutor(container, email, full_name))
                continue
            command = CreateAccount(
                email=email, password=DEMO_PASSWORD, full_name=full_name, role=role
            )
            try:
                await container.identity.create_account(Actor.system(), command)
                lines.append(f"demo {role.value}: {email} / {DEMO_PASSWORD}")
            except EmailTaken:
                lines.append(f"demo {role.value}: {email} already exists")
        lines.append(await _seed_catalog(container))
        lines.append(await _seed_institutions(container))
    finally:
        await container.dispose()
    return lines


DEMO_CATEGORIES = [
    ("Mathematics", None, "calculator"),
    ("Algebra", "Mathematics", None),
    ("Physics", None, "atom"),
]
DEMO_COURSES: list[dict[str, Any]] = [
    {
        "title": "Algebra from the Ground Up",
        "subtitle": "Equations, functions and graphs, one step at a time",
        "description": (
            "A patient first course in algebra: variables and expressions, linear equations, "
            "functions and their graphs, and quadratic equations. Every lesson ends with worked "
            "problems."
        ),
        "category": "Algebra",
        "tags": ("algebra", "maths", "equations"),
        "level": Level.BEGINNER,
        "free": True,
        "lessons": [
            ("Welcome", LessonKind.VIDEO, 240, True),
            ("Variables and expressions", LessonKind.TEXT, 900, False),
            ("Solving linear equations", LessonKind.TEXT, 1200, False),
        ],
    },
    {
        "title": "Mechanics for First-Year Physics",
        "subtitle": "Newton's laws, energy and momentum with calculus",
        "description": (
            "Kinematics, Newton's laws, work and energy, momentum and rotation, with the "
            "calculus each needs. Built for students starting physics at university."
        ),
        "category": "Physics",
        "tags": ("physics", "mechanics", "calculus"),
        "level": Level.INTERMEDIATE,
        "price": Money(4900, "USD"),
        "lessons": [
            ("How this course works", LessonKind.TEXT, 300, True),
            ("Motion in one dimension", LessonKind.VIDEO, 1500, False),
            ("Newton's three laws", LessonKind.VIDEO, 1800, False),
        ],
    },
]


DEMO_STUDENT_EMAIL = "student@demo.elearn.test"
DEMO_QUIZ = Quiz(
    questions=(
        Question(
            id="solve",
            kind=QuestionKind.NUMERIC,
            prompt="Solve 2x + 3 = 11 for x.",
            numeric_answer=Decimal(4),
            explanation="Subtract 3, then divide by 2.",
        ),
        Question(
            id="linear",
            kind=QuestionKind.SINGLE_CHOICE,
            prompt="Which equation is linear?",
            choices=(Choice("a", "y = 3x + 1", correct=True), Choice("b", "y = x² + 1")),
        ),
    ),
    pass_mark_percent=50,
    feedback=FeedbackMode.FULL,
    required=True,
)


async def _seed_catalog(container: Container) -> str:
    """Demo categories and the demo tutor's courses, published through the same use cases as
    the API; skipped once the demo tutor has courses."""
    async with container.uow() as uow:
        people = {
            email: await uow.users.get_by_email(EmailAddress(email))
            for email, _, _ in DEMO_ACCOUNTS
        }
    if any(user is None for user in people.values()):
        return "demo catalog: skipped (demo accounts are missing)"

    def actor_of(email: str) -> Actor:
        user = people[email]
        assert user is not None
        return Actor(user_id=user.id, role=user.role, email_verified=True, two_factor_enabled=True)

    tutor, manager = actor_of(DEMO_TUTOR_EMAIL), actor_of("manager@demo.elearn.test")
    admin = actor_of("admin@demo.elearn.test")
    catalog = container.catalog
    if (await catalog.list_my_courses(tutor, MyCoursesQuery(limit=1))).items:
        return "demo catalog: already there"
    categories = {view.name: view.id for view in await catalog.list_categories()}
    for name, parent, icon in DEMO_CATEGORIES:
        if name not in categories:
            changes = CategoryChanges(icon=icon, parent_id=categories[parent] if parent else None)
            categories[name] = (await catalog.create_category(admin, name, changes)).id
    for spec in DEMO_COURSES:
        details = CourseChanges(
            subtitle=spec["subtitle"],
            description=spec["description"],
            category_id=categories[spec["category"]],
            tags=spec["tags"],
            level=spec["level"],
            free=spec.get("free", KEEP),
            price=spec.get("price", KEEP),
        )
        course = await catalog.create_course(tutor, NewCourse(spec["title"], details))
        section = await catalog.add_section(tutor, course.id, "Getting started")
        for title, kind, seconds, preview in spec["lessons"]:
            await catalog.add_lesson(
                tutor,
                section.id,
                NewLesson(
                    kind=kind,
                    title=title,
                    duration_seconds=seconds,
                    is_free_preview=preview,
                    text=f"# {title}\n\nNotes for this lesson."
                    if kind is LessonKind.TEXT
                    else None,
                    video_url="https://videos.example/demo" if kind is LessonKind.VIDEO else None,
                ),
            )
        if spec.get("free"):
            quiz_lesson = await catalog.add_lesson(
                tutor,
                section.id,
                NewLesson(kind=LessonKind.QUIZ, title="Check your understanding"),
            )
            await container.learning.set_quiz(tutor, quiz_lesson.id, DEMO_QUIZ)
        await catalog.submit_course(tutor, course.id)
        approved = await catalog.approve_course(manager, course.id)
        if approved.status is not CourseStatus.PUBLISHED:
            await catalog.publish_course(manager, course.id)
        if spec.get("free"):
            await container.learning.enroll(actor_of(DEMO_STUDENT_EMAIL), course.id)
    return (
        f"demo catalog: {len(DEMO_COURSES)} published courses in {len(DEMO_CATEGORIES)} "
        f"categories; {DEMO_STUDENT_EMAIL} is enrolled in the free one"
    )


DEMO_INSTITUTIONS = [
    NewInstitution("Technische Universität München", "DE", ["tum.de", "mytum.de"]),
    NewInstitution("Humboldt-Universität zu Berlin", "DE", ["hu-berlin.de"]),
    NewInstitution("ETH Zürich", "CH", ["ethz.ch"]),
    NewInstitution("University of Oxford", "GB", ["ox.ac.uk"]),
    NewInstitution("Universidade de São Paulo", "BR", ["usp.br"]),
    NewInstitution("University of Lagos", "NG", ["unilag.edu.ng"]),
]


async def _seed_institutions(container: Container) -> str:
    """A few universities, and the demo student studying at the first; skipped once the list
    has any."""
    identity = container.identity
    async with container.uow() as uow:
        admin = await uow.users.get_by_email(EmailAddress("admin@demo.elearn.test"))
        student = await uow.users.get_by_email(EmailAddress(DEMO_STUDENT_EMAIL))
    if admin is None or student is None:
        return "demo institutions: skipped (demo accounts are missing)"
    staff = Actor(user_id=admin.id, role=admin.role, email_verified=True, two_factor_enabled=True)
    if (await identity.list_institutions(staff, InstitutionSearch(limit=1))).items:
        return "demo institutions: already there"
    made = [await identity.create_institution(staff, spec) for spec in DEMO_INSTITUTIONS]
    learner = Actor(user_id=student.id, role=student.role, email_verified=True)
    await identity.update_account(
        learner, UpdateAccount(student=StudentProfileChanges(institution_id=made[0].id))
    )
    return (
        f"demo institutions: {len(made)} universities; {DEMO_STUDENT_EMAIL} studies at "
        f"{made[0].name}"
    )


async def _seed_tutor(container: Container, email: str, full_name: str) -> str:
    """An approved tutor with a profile. A demo tutor left half-made (an older seed made it
    pending, without a profile) is approved and given the profile; one changed since is left
    alone."""
    address = EmailAddress(email)
    async with container.uow() as uow:
        existing = await uow.users.get_by_email(address)
    created = existing is None
    if existing is None:
        # The account first, its profile in a second transaction: the flush does not order a
        # new user row before its tutor profile row (the profile models use another base).
        now = container.clock.now()
        new_user = User.register(
            user_id=container.ids.new_id(),
            event_id=container.ids.new_id(),
            email=address,
            full_name=full_name,
            role=Role.TUTOR,
            password_hash=await container.hasher.hash(DEMO_PASSWORD),
            now=now,
            email_verified=True,
            tutor_approval=TutorApproval.APPROVED,
        )
        try:
            async with container.uow() as uow:
                await uow.users.add(new_user)
                await uow.commit()
        except EmailTaken:  # another seed made it meanwhile
            created = False
    async with container.uow() as uow:
        user = await uow.users.get_by_email(address, for_update=True)
        assert user is not None  # made above, or by an earlier seed
        done = []
        if user.role is Role.TUTOR and user.tutor_approval is TutorApproval.PENDING:
            user.approve_as_tutor(container.clock.now())
            done.append("approved")
        if user.role is Role.TUTOR and await uow.profiles.get_tutor(user.id) is None:
            await uow.profiles.save_tutor(demo_tutor_profile(user))
            done.append("profile added")
        if user.role is Role.TUTOR and await uow.tutoring.availability.get(user.id) is None:
            await uow.tutoring.availability.put(user.id, DEMO_AVAILABILITY, container.clock.now())
            done.append("weekly hours set")
        if done:
            await uow.commit()
    if created:
        return f"demo tutor: {email} / {DEMO_PASSWORD} (id {user.id}, approved)"
    if done:
        return f"demo tutor: {email} existed; {', '.join(done)} (id {user.id})"
    return f"demo tutor: {email} already exists (id {user.id})"
