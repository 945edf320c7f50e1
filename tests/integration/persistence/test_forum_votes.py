"""Votes on the real databases: 50 people voting for one reply at once count exactly 50 (the
vote's primary key and one counter increment per new vote; on PostgreSQL truly at once), and
any sequence of votes and withdrawals leaves the count equal to the voters whose vote stands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_settings
from tests.support.catalog import approve_tutors
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewCourse, NewLesson
from elearn.application.community.forums import NewThread
from elearn.application.community.ports import VoteTarget
from elearn.domain.catalog.course import LessonKind
from elearn.domain.community.forum import ThreadKind
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

VOTERS = 50


@dataclass
class Forum:
    settings: Settings
    students: list[Actor]
    reply_id: UUID
    thread_id: UUID


async def _seed(settings: Settings) -> Forum:
    """A published course with ``VOTERS`` students enrolled, a question and a reply."""
    people = [(f"s{n}@votes.test", Role.STUDENT) for n in range(VOTERS)]
    ids = await seed_accounts(
        settings, ("tutor@votes.test", Role.TUTOR), ("boss@votes.test", Role.MANAGER), *people
    )
    await approve_tutors(settings, "tutor@votes.test")
    tutor = Actor(user_id=ids[0], role=Role.TUTOR, email_verified=True)
    manager = Actor(user_id=ids[1], role=Role.MANAGER, email_verified=True)
    students = [Actor(user_id=i, role=Role.STUDENT, email_verified=True) for i in ids[2:]]
    container = bootstrap(settings, broker=build_broker(None))
    try:
        catalog = container.catalog
        course = await catalog.create_course(
            tutor, NewCourse("Votes", CourseChanges(description="Count.", free=True))
        )
        section = await catalog.add_section(tutor, course.id, "One")
        await catalog.add_lesson(
            tutor, section.id, NewLesson(kind=LessonKind.TEXT, title="A", text="# A")
        )
        await catalog.submit_course(tutor, course.id)
        await catalog.approve_course(manager, course.id)
        await catalog.publish_course(manager, course.id)
        for student in students:
            await container.learning.enroll(student, course.id)
        community = container.community
        thread = await community.start_thread(
            tutor, course.id, NewThread(ThreadKind.QUESTION, "Which?", "Vote for the answer")
        )
        reply = await community.post_reply(tutor, thread.id, "This one")
    finally:
        await container.dispose()
    return Forum(settings, students, reply.id, thread.id)


async def test_fifty_votes_at_once_count_fifty(tmp_path: Path, database_url: str) -> None:
    forum = await _seed(make_settings(tmp_path, database_url, database_pool_size=VOTERS))
    container = bootstrap(forum.settings, broker=build_broker(None))
    community = container.community
    try:
        votes = await asyncio.gather(
            *(
                community.vote(student, VoteTarget.REPLY, forum.reply_id, up=True)
                for student in forum.students
            )
        )
        assert max(v.vote_count for v in votes) == VOTERS
        again = await asyncio.gather(
            *(
                community.vote(student, VoteTarget.REPLY, forum.reply_id, up=True)
                for student in forum.students[:10]
            )
        )
        assert {v.vote_count for v in again} == {VOTERS}
        detail = await community.get_thread(forum.students[0], forum.thread_id)
        assert detail.replies.items[0].vote_count == VOTERS
    finally:
        await container.dispose()


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Forum:
    return asyncio.run(_seed(make_settings(tmp_path, database_url)))


async def _walk(forum: Forum, moves: list[tuple[int, bool]]) -> None:
    container = bootstrap(forum.settings, broker=build_broker(None))
    community = container.community
    standing: set[int] = set()
    try:
        for voter, up in moves:
            vote = await community.vote(
                forum.students[voter], VoteTarget.DISCUSSION, forum.thread_id, up=up
            )
            if up:
                standing.add(voter)
            else:
                standing.discard(voter)
            assert vote.vote_count == len(standing)
        # Back to no votes, for the next example.
        for voter in standing:
            await community.vote(
                forum.students[voter], VoteTarget.DISCUSSION, forum.thread_id, up=False
            )
    finally:
        await container.dispose()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=12))
def test_votes_and_withdrawals_leave_the_standing_voters_count(
    seeded: Forum, moves: list[tuple[int, bool]]
) -> None:
    asyncio.run(_walk(seeded, moves))
