"""/api/v1/me/dashboard and /api/v1/analytics/{student,instructor,platform}: dashboards whose
series are Chart.js-shaped (`{labels, datasets: [{label, data}], unit, currency?}`), bucketed in
the viewer's time zone (their profile's), money in minor units, one series per currency."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import QueryParameter

from elearn.application.analytics.dashboards import (
    InstructorDashboard,
    PlatformDashboard,
    RangeQuery,
    StudentDashboard,
)
from elearn.domain.analytics.series import Bucket
from elearn.entrypoints.analytics import Analytics
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.problem_codes import problems

From = Annotated[
    date | None,
    QueryParameter(name="from", description="the first local day (default: 29 days before `to`)"),
]
To = Annotated[
    date | None,
    QueryParameter(name="to", description="the last local day, included (default: today)"),
]
BucketParam = Annotated[Bucket, QueryParameter(description="day, ISO week (from Monday) or month")]
CourseParam = Annotated[
    UUID | None, QueryParameter(description="one of the courses you teach (staff: any course)")
]


class DashboardController(Controller):
    path = "/me/dashboard"
    tags = ["analytics"]
    guards = [signed_in]

    @problems("course-not-found", "invalid-analytics-range")
    @get("", operation_id="get_my_dashboard", summary="Your dashboard")
    async def mine(
        self,
        actor: CurrentActor,
        analytics: Analytics,
        from_: From = None,
        to: To = None,
        bucket: BucketParam = Bucket.DAY,
    ) -> StudentDashboard | InstructorDashboard | PlatformDashboard:
        """Your role decides which: a student's (`role: student`), a tutor's as instructor
        (`role: instructor`), or the platform's for staff (`role: staff`), the same payloads as
        `/analytics/student`, `/analytics/instructor` and `/analytics/platform`."""
        query = RangeQuery(first=from_, last=to, bucket=bucket)
        return await analytics.my_dashboard(actor, query)


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["analytics"]
    guards = [signed_in]

    @problems("invalid-analytics-range")
    @get("/student", operation_id="get_student_dashboard", summary="A student's dashboard")
    async def student(
        self,
        actor: CurrentActor,
        analytics: Analytics,
        from_: From = None,
        to: To = None,
        bucket: BucketParam = Bucket.DAY,
    ) -> StudentDashboard:
        """Yours: progress per course, the current streak of days learned (in your time zone),
        days learned in the last 30, certificates earned, your next confirmed lessons, and per
        bucket the quizzes you submitted with their average score (percent of the maximum) and
        `study_time`, the seconds your progress reports added (unit `seconds`)."""
        query = RangeQuery(first=from_, last=to, bucket=bucket)
        return await analytics.student_dashboard(actor, query)

    @problems("course-not-found", "invalid-analytics-range")
    @get(
        "/instructor", operation_id="get_instructor_dashboard", summary="An instructor's dashboard"
    )
    async def instructor(
        self,
        actor: CurrentActor,
        analytics: Analytics,
        from_: From = None,
        to: To = None,
        bucket: BucketParam = Bucket.DAY,
        course_id: CourseParam = None,
    ) -> InstructorDashboard:
        """The courses you teach, or one of them: enrollments, completions and unique viewers
        per bucket, your lessons confirmed and cancelled (by whom), your net revenue (your
        share of sales less refunds, from the ledger) per currency, each course's completion
        funnel (enrolled → started → 50 % → completed), and quiz item difficulty over the range:
        `quiz_items` has one label per question of the courses' quizzes and one dataset, the
        percent of submitted attempts that earned its full points, ordered **hardest first**
        (lowest share, then more attempts; questions nobody answered last, at 0);
        `quiz_questions` gives their counts in the same order and `hardest_question` the first
        answered one (`null` when none was). As a tutor, `tutor_hours`: minutes offered (your
        availability as it stands, expanded over the range in your time zone, minus blocked
        times, plus the lessons booked) and booked (confirmed lessons, cut at the buckets'
        bounds), and `tutor_utilisation`: booked over offered in percent (0 where nothing was
        offered). Staff may name any course."""
        query = RangeQuery(first=from_, last=to, bucket=bucket, course_id=course_id)
        return await analytics.instructor_dashboard(actor, query)

    @problems("invalid-analytics-range")
    @get("/platform", operation_id="get_platform_dashboard", summary="The platform's dashboard")
    async def platform(
        self,
        actor: CurrentActor,
        analytics: Analytics,
        from_: From = None,
        to: To = None,
        bucket: BucketParam = Bucket.DAY,
    ) -> PlatformDashboard:
        """Staff: sign-ups by role, people active per UTC day, enrollments, GMV, platform
        revenue, refunds (count and amount) and payouts, lessons confirmed and cancelled,
        support tickets opened and SLA deadlines missed, tutor applications approved and
        rejected (`totals` has both, for the approval rate); `review_times`: the median
        seconds from submission to decision of the tutor applications and course reviews
        decided in each bucket (within 5 % from a histogram; 0 where none), and over the range
        in `totals` (`tutor_decision_median_seconds`, `course_review_median_seconds`); money
        per currency from the ledger's journal lines (platform revenue summed over a range is
        the change of the platform revenue account over it). Now, whatever the range:
        `courses_by_category` (labels the categories, a dataset per status) and
        `tickets_by_status`."""
        query = RangeQuery(first=from_, last=to, bucket=bucket)
        return await analytics.platform_dashboard(actor, query)


ANALYTICS_CONTROLLERS = [DashboardController, AnalyticsController]
