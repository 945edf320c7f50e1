"""The back office's figures on the dashboards, through their use cases on the real database: a
tutor's utilisation (booked over offered minutes per local day), courses by category and
status and tickets by status as they stand, and the median time a course review took."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.usecases.world import World

from elearn.adapters.persistence.analytics_rollups import SqlaAnalyticsQueries
from elearn.application.analytics.dashboards import UNCATEGORISED, RangeQuery
from elearn.application.catalog.categories import CategoryChanges
from elearn.application.support.tickets import OpenTicketCommand
from elearn.domain.analytics.durations import bin_middle, duration_bin
from elearn.domain.support.tickets import Category, Priority


async def test_a_tutors_utilisation_is_booked_over_offered_minutes_per_day(world: World) -> None:
    """Every day 09:00-17:00 UTC offered (480 minutes); one 60-minute lesson booked two days
    ahead: 60 of 480 is 12.5 %, shown as 13."""
    tutor = await world.offer_lessons()
    await world.confirmed_with_credits(world.student, world.days_ahead_at(2, 10))
    today = world.clock.now().date()
    query = RangeQuery(first=today, last=today + timedelta(days=3))

    dashboard = await world.container.analytics.instructor_dashboard(tutor, query)

    offered, booked = dashboard.tutor_hours.datasets
    assert (offered.label, offered.data) == ("offered", [480] * 4)
    assert (booked.label, booked.data) == ("booked", [0, 0, 60, 0])
    assert dashboard.tutor_hours.unit == "minutes"
    assert dashboard.tutor_utilisation.datasets[0].data == [0, 0, 13, 0]
    assert dashboard.tutor_utilisation.unit == "percent"
    # Someone who offers nothing: zeros, not gaps.
    student_view = await world.container.analytics.instructor_dashboard(world.cotutor, query)
    assert student_view.tutor_utilisation.datasets[0].data == [0] * 4


async def test_the_platform_shows_courses_and_tickets_as_they_stand_and_review_times(
    world: World,
) -> None:
    catalog = world.container.catalog
    category = await catalog.create_category(world.admin, "Programming", CategoryChanges())
    filed, _ = await world.draft_course(category_id=category.id)
    await world.draft_course(title="Unfiled")
    await catalog.submit_course(world.tutor, filed.id)
    world.clock.advance(timedelta(hours=3))
    await catalog.approve_course(world.manager, filed.id)
    await world.container.support.open_ticket(
        world.student,
        OpenTicketCommand("help", Category.PAYMENT, "My payment failed", Priority.MEDIUM),
    )
    await world.container.analytics.rebuild(world.clock.now() - timedelta(days=1))
    today = world.clock.now().date()

    dashboard = await world.container.analytics.platform_dashboard(
        world.manager, RangeQuery(first=today - timedelta(days=1), last=today)
    )

    courses = dashboard.courses_by_category
    assert courses.labels == ["Programming", UNCATEGORISED]
    by_status = {d.label: d.data for d in courses.datasets}
    assert by_status["approved"] == [1, 0] and by_status["draft"] == [0, 1]
    assert [d.label for d in courses.datasets][:3] == ["draft", "pending", "approved"]
    tickets = dashboard.tickets_by_status
    assert tickets.labels == ["open", "assigned", "waiting_on_customer", "resolved", "closed"]
    assert tickets.datasets[0].data == [1, 0, 0, 0, 0]  # no agent on duty to take it
    # Three hours from submission to approval, read from its bin.
    three_hours = bin_middle(duration_bin(3 * 3600))
    assert abs(three_hours - 3 * 3600) <= 0.05 * 3 * 3600
    tutor_times, review_times = dashboard.review_times.datasets
    assert review_times.label == "course review" and review_times.data[-1] == three_hours
    assert tutor_times.data == [0, 0] and dashboard.review_times.unit == "seconds"
    assert dashboard.totals["course_review_median_seconds"] == three_hours
    assert dashboard.totals["tutor_decision_median_seconds"] == 0


async def test_the_counts_as_they_stand_are_reused_for_a_few_seconds(world: World) -> None:
    """Many staff dashboards at once share one count; once it is older than its keeping, the
    next dashboard counts again."""
    kept = SqlaAnalyticsQueries(world.container.sessions, snapshot_seconds=3600)
    fresh = SqlaAnalyticsQueries(world.container.sessions, snapshot_seconds=0)
    assert (await kept.platform_snapshot()).tickets == []
    await world.container.support.open_ticket(
        world.student,
        OpenTicketCommand("help", Category.PAYMENT, "My payment failed", Priority.MEDIUM),
    )
    assert (await kept.platform_snapshot()).tickets == []
    assert (await fresh.platform_snapshot()).tickets == [("open", 1)]
