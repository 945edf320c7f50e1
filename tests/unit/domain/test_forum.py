"""Forum rules without I/O: reply trees keep every reply once at the right depth whatever the
parents chosen; edit windows at the second; mentions; the notification throttle; moderation
moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.community.forum import (
    EDIT_WINDOW,
    MAX_MENTIONS,
    MAX_REPLY_DEPTH,
    NOTIFY_AT_MOST_EVERY,
    EditWindowClosed,
    InvalidPost,
    NotAQuestion,
    PostBody,
    Reply,
    ReplyNotInThread,
    Thread,
    ThreadKind,
    ThreadLocked,
    ThreadStatus,
    mentioned_ids,
    notification_cutoff,
)
from elearn.domain.shared.errors import IllegalTransition

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
ASKER, HELPER = uuid4(), uuid4()


def _thread(kind: ThreadKind = ThreadKind.QUESTION) -> Thread:
    return Thread.start(
        thread_id=uuid4(),
        event_id=uuid4(),
        course_id=uuid4(),
        lesson_id=None,
        kind=kind,
        author_id=ASKER,
        title="  How   do loops work? ",
        body=PostBody("Help", "<p>Help</p>"),
        mentioned=(),
        now=NOW,
    )


def _reply(thread: Thread, parent: Reply | None, at: datetime = NOW) -> Reply:
    return thread.reply(
        reply_id=uuid4(),
        event_id=uuid4(),
        parent=parent,
        author_id=HELPER,
        body=PostBody("Answer", "<p>Answer</p>"),
        mentioned=(),
        notify=(),
        live_audience=(),
        now=at,
    )


@given(st.lists(st.integers(min_value=-1, max_value=200), min_size=1, max_size=60))
def test_a_reply_tree_holds_every_reply_once_at_its_depth(parents: list[int]) -> None:
    """Each new reply answers the thread (-1) or an earlier reply (by index): it lands at its
    parent's depth + 1, or beside the parent when that one is already as deep as replies go."""
    thread = _thread()
    replies: list[Reply] = []
    for choice in parents:
        parent = replies[choice % len(replies)] if choice >= 0 and replies else None
        replies.append(_reply(thread, parent))
    by_id = {reply.id: reply for reply in replies}
    assert len(by_id) == len(replies)
    for reply in replies:
        assert 1 <= reply.depth <= MAX_REPLY_DEPTH
        if reply.parent_id is None:
            assert reply.depth == 1
        else:
            parent = by_id[reply.parent_id]
            assert reply.depth == parent.depth + 1
            assert parent.created_at <= reply.created_at
    # Walking the tree from the top reaches every reply exactly once.
    children: dict[UUID | None, list[Reply]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    seen: list[UUID] = []
    stack = list(children.get(None, []))
    while stack:
        reply = stack.pop()
        seen.append(reply.id)
        stack.extend(children.get(reply.id, []))
    assert sorted(seen) == sorted(by_id)


def test_a_reply_to_the_deepest_goes_beside_it() -> None:
    thread = _thread()
    chain = [_reply(thread, None)]
    for _ in range(MAX_REPLY_DEPTH):
        chain.append(_reply(thread, chain[-1]))
    assert [r.depth for r in chain] == [1, 2, 3, 4, 5, 5]
    assert chain[-1].parent_id == chain[3].id


def test_a_reply_never_precedes_its_parent_even_from_a_slow_clock() -> None:
    thread = _thread()
    parent = _reply(thread, None, NOW)
    child = _reply(thread, parent, NOW - timedelta(seconds=3))
    assert child.created_at == parent.created_at


def test_authors_edit_until_thirty_minutes_to_the_second_moderators_later() -> None:
    thread = _thread()
    thread.edit(ASKER, title=None, body=None, is_moderator=False, now=NOW + EDIT_WINDOW)
    with pytest.raises(EditWindowClosed):
        thread.edit(
            ASKER,
            title="x",
            body=None,
            is_moderator=False,
            now=NOW + EDIT_WINDOW + timedelta(seconds=1),
        )
    with pytest.raises(EditWindowClosed):
        thread.edit(HELPER, title="x", body=None, is_moderator=False, now=NOW)
    edit = thread.edit(
        HELPER, title="Tidy", body=None, is_moderator=True, now=NOW + EDIT_WINDOW * 9
    )
    assert (edit.previous_title, thread.title) == ("How do loops work?", "Tidy")


def test_accepting_answers_and_moderation_moves() -> None:
    thread = _thread()
    reply = _reply(thread, None)
    thread.accept(reply, by=ASKER, event_id=uuid4(), now=NOW)
    assert (thread.status, thread.accepted_reply_id) == (ThreadStatus.ANSWERED, reply.id)
    with pytest.raises(ReplyNotInThread):
        thread.accept(_reply(_thread(), None), by=ASKER, event_id=uuid4(), now=NOW)
    with pytest.raises(NotAQuestion):
        discussion = _thread(ThreadKind.DISCUSSION)
        discussion.accept(_reply(discussion, None), by=ASKER, event_id=uuid4(), now=NOW)
    with pytest.raises(IllegalTransition):
        thread.reopen()
    thread.resolve()
    with pytest.raises(IllegalTransition):
        thread.resolve()
    with pytest.raises(IllegalTransition):
        thread.accept(reply, by=ASKER, event_id=uuid4(), now=NOW)
    thread.reopen()
    assert thread.status is ThreadStatus.ANSWERED
    thread.lock()
    with pytest.raises(ThreadLocked):
        _reply(thread, None)
    thread.unlock()
    _reply(thread, None)


@pytest.mark.parametrize("source", ["", "   \n\t"])
def test_an_empty_post_is_refused(source: str) -> None:
    with pytest.raises(InvalidPost):
        PostBody(source, "")


def test_mentions_are_ids_after_an_at_each_once_and_capped() -> None:
    people = [uuid4() for _ in range(MAX_MENTIONS + 5)]
    text = " ".join(f"@{p}" for p in people) + f" again @{people[0]} mail@{uuid4()}"
    assert mentioned_ids(text) == people[:MAX_MENTIONS]
    assert mentioned_ids("no one @here") == []


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)))
def test_a_subscriber_is_told_again_only_an_hour_after_the_last_time(since: timedelta) -> None:
    last_told = NOW
    now = NOW + since
    assert (last_told <= notification_cutoff(now)) == (since >= NOTIFY_AT_MOST_EVERY)
