"""Course forums through their use cases, on the test's SQLite copy: who takes part, replies
nested and placed, edit windows and history, accepted answers, moderation, hidden posts,
mentions and the hourly notification throttle (read back from the outbox), the live push of a
new reply, and the posting limit."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from tests.integration.usecases.world import World

from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.application.actor import Actor
from elearn.application.catalog.api import CourseNotFound
from elearn.application.community.deps import DiscussionNotFound, ReplyNotFound
from elearn.application.community.forums import (
    ModerationAction,
    NewThread,
    PushNewReply,
    ThreadChanges,
    ThreadQuery,
)
from elearn.application.community.moderation import AlreadyReported, NewReport
from elearn.application.community.ports import ThreadSort, VoteTarget
from elearn.application.errors import NotAuthenticated, PermissionDenied, RateLimited
from elearn.domain.community.forum import (
    MAX_REPLY_DEPTH,
    EditWindowClosed,
    NotAQuestion,
    ReportAction,
    ReportTarget,
    ThreadKind,
    ThreadLocked,
    ThreadStatus,
)
from elearn.domain.shared.errors import IllegalTransition


async def _forum(world: World) -> tuple[UUID, UUID]:
    """A published course with ``student`` enrolled; ``classmate`` is not."""
    course, lesson_id = await world.published_course()
    await world.container.learning.enroll(world.student, course.id)
    return course.id, lesson_id


def _id(actor: Actor) -> UUID:
    assert actor.user_id is not None
    return actor.user_id


async def _events(world: World, event_type: str) -> list[dict[str, Any]]:
    async with world.container.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.event_type == event_type)
            .order_by(OutboxMessageRow.occurred_at)
        )
        return [dict(row.payload) for row in rows]


async def test_only_the_course_s_students_instructors_and_staff_take_part(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    question = NewThread(ThreadKind.QUESTION, "How do loops work?", "I am **lost**.")
    thread = await community.start_thread(world.student, course_id, question)
    assert (thread.kind, thread.status, thread.body_html) == (
        ThreadKind.QUESTION,
        ThreadStatus.OPEN,
        "<p>I am <strong>lost</strong>.</p>\n",
    )
    for reader in (world.student, world.tutor, world.manager, world.admin):
        page = await community.list_threads(reader, course_id, ThreadQuery())
        assert [t.id for t in page.items] == [thread.id]
    with pytest.raises(PermissionDenied):
        await community.list_threads(world.classmate, course_id, ThreadQuery())
    with pytest.raises(PermissionDenied):
        await community.get_thread(world.classmate, thread.id)
    with pytest.raises(DiscussionNotFound):
        await community.get_thread(world.student, uuid4())
    with pytest.raises(NotAuthenticated):
        await community.get_thread(Actor.anonymous(), thread.id)
    with pytest.raises(CourseNotFound):
        await community.list_threads(world.student, uuid4(), ThreadQuery())

    # A revoked enrollment shuts the student out at once.
    enrollments = await world.container.learning.my_enrollments(world.student)
    await world.container.learning.revoke_enrollment(
        world.admin, enrollments.items[0].id, "chargeback"
    )
    with pytest.raises(PermissionDenied):
        await community.list_threads(world.student, course_id, ThreadQuery())
    with pytest.raises(PermissionDenied):
        await community.post_reply(world.student, thread.id, "Still here?")


async def test_replies_nest_five_deep_and_deeper_ones_go_beside_the_deepest(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Chain", "Start")
    )
    parent = None
    chain = []
    for level in range(1, MAX_REPLY_DEPTH + 3):
        reply = await community.post_reply(world.tutor, thread.id, f"level {level}", parent)
        chain.append(reply)
        parent = reply.id
    assert [r.depth for r in chain] == [1, 2, 3, 4, 5, 5, 5]
    # Replies to the deepest go under its parent (the deepest allowed), beside it.
    assert chain[5].parent_id == chain[3].id and chain[6].parent_id == chain[3].id
    detail = await community.get_thread(world.student, thread.id)
    listed = [r.id for r in detail.replies.items]
    assert sorted(listed) == sorted(r.id for r in chain)
    assert all(listed.index(r.parent_id) < listed.index(r.id) for r in chain if r.parent_id)
    assert detail.thread.reply_count == len(chain)

    other = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Other", "Elsewhere")
    )
    with pytest.raises(Exception, match="not a visible reply"):
        await community.post_reply(world.student, other.id, "wrong thread", chain[0].id)


async def test_authors_edit_for_thirty_minutes_moderators_always_and_history_is_kept(
    world: World,
) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Typo", "Helo")
    )
    edited = await community.edit_thread(world.student, thread.id, ThreadChanges(body="Hello"))
    assert edited.body == "Hello" and edited.edited_at is not None
    with pytest.raises(PermissionDenied):
        await community.edit_thread(world.classmate, thread.id, ThreadChanges(body="x"))
    world.clock.advance(timedelta(minutes=30, seconds=1))
    with pytest.raises(EditWindowClosed):
        await community.edit_thread(world.student, thread.id, ThreadChanges(title="Late"))
    await community.edit_thread(world.tutor, thread.id, ThreadChanges(title="Tidied"))
    history = await community.list_edits(world.student, thread.id)
    assert [(e.previous_title, e.previous_body) for e in history.items] == [
        ("Typo", "Hello"),
        ("Typo", "Helo"),
    ]


async def test_the_asker_accepts_an_answer_and_moderators_pin_lock_resolve(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    question = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.QUESTION, "Why?", "Because?")
    )
    answer = await community.post_reply(world.tutor, question.id, "This is why.")
    with pytest.raises(PermissionDenied):
        await community.moderate(world.student, question.id, ModerationAction.PIN)
    accepted = await community.accept_answer(world.student, question.id, answer.id)
    assert (accepted.status, accepted.accepted_reply_id) == (ThreadStatus.ANSWERED, answer.id)
    (event,) = await _events(world, "community.answer_accepted")
    assert event["answerer_id"] == str(_id(world.tutor))

    pinned = await community.moderate(world.tutor, question.id, ModerationAction.PIN)
    locked = await community.moderate(world.manager, question.id, ModerationAction.LOCK)
    assert pinned.pinned and locked.locked
    with pytest.raises(ThreadLocked):
        await community.post_reply(world.student, question.id, "One more thing")
    await community.moderate(world.tutor, question.id, ModerationAction.RESOLVE)
    with pytest.raises(IllegalTransition):
        await community.moderate(world.tutor, question.id, ModerationAction.RESOLVE)
    reopened = await community.moderate(world.tutor, question.id, ModerationAction.REOPEN)
    assert reopened.status is ThreadStatus.ANSWERED

    discussion = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Chat", "Hi")
    )
    reply = await community.post_reply(world.tutor, discussion.id, "Hello")
    with pytest.raises(NotAQuestion):
        await community.accept_answer(world.student, discussion.id, reply.id)
    # Pinned first, whatever the order.
    page = await community.list_threads(world.student, course_id, ThreadQuery())
    assert [t.id for t in page.items] == [question.id, discussion.id]


async def test_votes_count_one_per_person(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Vote", "Please")
    )
    reply = await community.post_reply(world.tutor, thread.id, "Me")
    for voter, expected in ((world.student, 1), (world.student, 1), (world.manager, 2)):
        vote = await community.vote(voter, VoteTarget.REPLY, reply.id, up=True)
        assert vote.vote_count == expected
    assert (
        await community.vote(world.student, VoteTarget.REPLY, reply.id, up=False)
    ).vote_count == 1
    assert (
        await community.vote(world.student, VoteTarget.REPLY, reply.id, up=False)
    ).vote_count == 1
    await community.vote(world.tutor, VoteTarget.DISCUSSION, thread.id, up=True)
    detail = await community.get_thread(world.tutor, thread.id)
    assert detail.voted and detail.thread.vote_count == 1
    assert [(r.vote_count, r.voted) for r in detail.replies.items] == [(1, False)]
    page = await community.list_threads(
        world.student, course_id, ThreadQuery(sort=ThreadSort.VOTES)
    )
    assert page.items[0].vote_count == 1


async def test_mentions_and_subscribers_are_told_at_most_hourly_and_pushed_live(
    world: World,
) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    await world.container.learning.enroll(world.classmate, (await world.published_course())[0].id)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Help", "Anyone?")
    )
    await community.follow(world.manager, thread.id, follow=True)
    # The tutor can read the forum, the classmate (not in this course) cannot.
    body = f"Ask @{_id(world.tutor)} or @{_id(world.classmate)}"
    await community.post_reply(world.admin, thread.id, body)
    await community.post_reply(world.admin, thread.id, "And again")
    world.clock.advance(timedelta(hours=1))
    await community.post_reply(world.admin, thread.id, "An hour later")
    events = await _events(world, "community.reply_posted")
    student, manager = str(_id(world.student)), str(_id(world.manager))
    assert [e["mentioned_ids"] for e in events] == [[str(_id(world.tutor))], [], []]
    assert [sorted(e["notify_ids"]) for e in events] == [
        sorted([student, manager]),
        [],
        sorted([student, manager]),
    ]
    assert all(sorted(e["live_audience"]) == sorted([student, manager]) for e in events)

    pushed: list[tuple[set[UUID], str, Mapping[str, object]]] = []

    class Recorder:
        async def publish(
            self, audience: Collection[UUID], event_type: str, payload: Mapping[str, object]
        ) -> None:
            pushed.append((set(audience), event_type, payload))

        async def connected(self, people: Collection[UUID]) -> set[UUID]:
            return set()

    codec = world.container.codec
    first = codec.decode("community.reply_posted", events[0])
    await PushNewReply(community.deps, Recorder())(first)
    ((audience, kind, payload),) = pushed
    assert audience == {_id(world.student), _id(world.manager)}
    assert kind == "discussion.reply_created"
    assert payload["discussion_id"] == str(thread.id)


async def test_the_mentioned_and_followers_due_one_get_a_notification_once(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Help", "Anyone?")
    )
    await community.follow(world.manager, thread.id, follow=True)
    await community.post_reply(world.admin, thread.id, f"Ask @{_id(world.tutor)}")
    (event,) = [
        world.container.codec.decode("community.reply_posted", payload)
        for payload in await _events(world, "community.reply_posted")
    ]
    notify = world.container.subscriptions["notifications.of_community.reply_posted"].handler
    await notify(event)
    await notify(event)  # redelivered: nothing more

    async def titles(actor: Actor) -> list[str]:
        page = await world.container.notifications.my_notifications(actor)
        assert all(n.link is not None and n.link.id == thread.id for n in page.items)
        return [n.title for n in page.items]

    assert await titles(world.tutor) == ["You were mentioned"]
    assert await titles(world.student) == ["New reply"]
    assert await titles(world.manager) == ["New reply"]
    assert await titles(world.admin) == []


async def test_reports_hide_posts_from_all_but_moderators(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.DISCUSSION, "Hi", "Hello")
    )
    rude = await community.post_reply(world.student, thread.id, "Something rude")
    report = await community.report(world.tutor, NewReport(ReportTarget.REPLY, rude.id, "Rude"))
    with pytest.raises(AlreadyReported):
        await community.report(world.tutor, NewReport(ReportTarget.REPLY, rude.id, "Still"))
    with pytest.raises(PermissionDenied):
        await community.list_reports(world.tutor)
    assert [r.id for r in (await community.list_reports(world.manager)).items] == [report.id]
    await community.resolve_report(world.manager, report.id, ReportAction.HIDE)
    with pytest.raises(IllegalTransition):
        await community.resolve_report(world.manager, report.id, ReportAction.DISMISS)

    assert (await community.get_thread(world.student, thread.id)).replies.items == []
    moderator_view = (await community.get_thread(world.tutor, thread.id)).replies.items
    assert [(r.id, r.hidden) for r in moderator_view] == [(rude.id, True)]
    with pytest.raises(ReplyNotFound):
        await community.vote(world.student, VoteTarget.REPLY, rude.id, up=True)


async def test_lesson_comments_and_the_posting_limit(world: World) -> None:
    community = world.container.community
    course_id, lesson_id = await _forum(world)
    comment = await community.comment_on_lesson(world.student, lesson_id, "Nice lesson")
    assert (comment.kind, comment.lesson_id) == (ThreadKind.LESSON_COMMENT, lesson_id)
    page = await community.lesson_comments(world.tutor, lesson_id)
    assert [c.id for c in page.items] == [comment.id]
    # Comments live under the lesson, not among the course's discussions.
    assert (await community.list_threads(world.student, course_id, ThreadQuery())).items == []
    with pytest.raises(PermissionDenied):
        await community.lesson_comments(world.classmate, lesson_id)

    limit = community.deps.policy.posts_per_window
    with pytest.raises(RateLimited):
        for n in range(limit):
            await community.post_reply(world.student, comment.id, f"spam {n}")


async def test_a_person_s_posts_are_exported_and_erased_but_the_threads_stay(
    world: World,
) -> None:
    from elearn.adapters.persistence.community_personal_data import (
        ERASED_TEXT,
        CommunityPersonalData,
    )
    from elearn.application.personal_data import Pseudonym

    community = world.container.community
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.QUESTION, "My secret", "My body")
    )
    await community.edit_thread(world.student, thread.id, ThreadChanges(body="Second body"))
    answer = await community.post_reply(world.tutor, thread.id, "An answer")
    mine = await community.post_reply(world.student, thread.id, "Thanks a lot", answer.id)
    await community.vote(world.student, VoteTarget.REPLY, answer.id, up=True)
    data = CommunityPersonalData()
    async with world.container.uow() as uow:
        exported = await data.export(uow, _id(world.student))
    records = exported.records
    assert [t["title"] for t in records["threads"]] == ["My secret"]
    assert [r["body"] for r in records["replies"]] == ["Thanks a lot"]
    assert [e["previous_source"] for e in records["edits"]] == ["My body"]
    assert [v["target_id"] for v in records["votes"]] == [str(answer.id)]
    assert [f["thread_id"] for f in records["following"]] == [str(thread.id)]

    async with world.container.uow() as uow:
        erased = await data.erase(uow, _id(world.student), Pseudonym.new())
        await uow.commit()
    assert erased.counts["threads"] == 1 and erased.counts["replies"] == 1
    detail = await community.get_thread(world.tutor, thread.id)
    assert (detail.thread.title, detail.thread.body) == (ERASED_TEXT, ERASED_TEXT)
    bodies = {r.id: r.body for r in detail.replies.items}
    assert bodies == {answer.id: "An answer", mine.id: ERASED_TEXT}
    assert (await community.list_edits(world.tutor, thread.id)).items == []
    assert detail.replies.items[0].vote_count == 1


class _Recorder:
    def __init__(self) -> None:
        self.pushed: list[tuple[set[UUID], str, Mapping[str, object]]] = []

    async def publish(
        self, audience: Collection[UUID], event_type: str, payload: Mapping[str, object]
    ) -> None:
        self.pushed.append((set(audience), event_type, payload))

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        return set()


async def test_viewers_of_a_thread_get_its_new_replies_until_they_leave_or_lose_access(
    world: World,
) -> None:
    community = world.container.community
    view = world.container.socket_messages["discussion.view"]
    leave = world.container.socket_messages["discussion.leave"]
    course_id, _ = await _forum(world)
    thread = await community.start_thread(
        world.tutor, course_id, NewThread(ThreadKind.DISCUSSION, "Week 1", "Questions here")
    )
    answer = await view(world.student, {"discussion_id": str(thread.id)})
    assert answer == {"type": "discussion.viewing", "discussion_id": str(thread.id), "seconds": 60}
    await view(world.manager, {"discussion_id": str(thread.id)})
    with pytest.raises(PermissionDenied):  # not in the course: refused as over HTTP
        await view(world.classmate, {"discussion_id": str(thread.id)})
    with pytest.raises(ValueError):
        await view(world.student, {"discussion_id": "nope"})

    recorder = _Recorder()
    push = PushNewReply(community.deps, recorder)

    async def reply_and_push(body: str) -> set[UUID]:
        world.clock.advance(timedelta(seconds=1))
        await community.post_reply(world.admin, thread.id, body)
        payload = (await _events(world, "community.reply_posted"))[-1]
        recorder.pushed.clear()
        await push(world.container.codec.decode("community.reply_posted", payload))
        return recorder.pushed[0][0] if recorder.pushed else set()

    # The tutor follows (author); the student and the manager only view.
    everyone = {_id(world.tutor), _id(world.student), _id(world.manager)}
    assert await reply_and_push("First") == everyone
    await leave(world.manager, {"discussion_id": str(thread.id)})
    world.clock.advance(timedelta(seconds=30))
    assert await reply_and_push("Second") == {_id(world.tutor), _id(world.student)}
    # A view lasts a minute unless renewed.
    world.clock.advance(timedelta(seconds=31))
    assert await reply_and_push("Third") == {_id(world.tutor)}

    # Viewing again, then the enrollment is revoked: nothing more reaches the student.
    await view(world.student, {"discussion_id": str(thread.id)})
    enrollments = await world.container.learning.my_enrollments(world.student)
    await world.container.learning.revoke_enrollment(
        world.admin, enrollments.items[0].id, "chargeback"
    )
    assert await reply_and_push("Fourth") == {_id(world.tutor)}


async def test_people_are_mentioned_by_the_names_they_go_by(world: World) -> None:
    community = world.container.community
    course_id, _ = await _forum(world)
    # Seeded display names are the account names: "tutor", "manager", "classmate", ...
    thread = await community.start_thread(
        world.student, course_id, NewThread(ThreadKind.QUESTION, "Stuck", "Help, @Tutor?")
    )
    await community.follow(world.manager, thread.id, follow=True)
    await community.post_reply(
        world.admin, thread.id, "Ask @[Manager] or @classmate, or @cotutor, or @student"
    )
    started = await _events(world, "community.thread_started")
    replied = await _events(world, "community.reply_posted")
    assert started[-1]["mentioned_ids"] == [str(_id(world.tutor))]
    # The classmate and the cotutor are not among the thread's people (nor readers of it).
    assert replied[-1]["mentioned_ids"] == [str(_id(world.manager)), str(_id(world.student))]
