"""Conversations' rules as properties: who may talk against a brute-force table of relationships,
read marks that never move back, the total order of messages, and the unread digest over
timelines (never a message read in time, never twice, never while connected)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.communication.conversations import (
    EDIT_WINDOW,
    MAX_BODY_LENGTH,
    Conversation,
    ConversationBlocked,
    InvalidMessage,
    Mark,
    Message,
    NotAParticipant,
    Party,
    Standing,
    Ties,
    may_converse,
    preview_of,
)
from elearn.domain.communication.digest import DIGEST_DELAY, UnreadMessage, due_for_digest
from elearn.domain.shared.errors import Conflict, Forbidden

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BOOKING_STATES = (
    "held",
    "confirmed",
    "completed",
    "expired",
    "cancelled_by_student",
    "cancelled_by_tutor",
    "no_show_student",
    "no_show_tutor",
)

# ---- who may talk: a small world of people, bookings, courses and enrollments ----------------
PEOPLE = [UUID(int=n + 1) for n in range(5)]
COURSES = [UUID(int=100 + n) for n in range(3)]

worlds = st.fixed_dictionaries(
    {
        "standings": st.lists(st.sampled_from(list(Standing)), min_size=5, max_size=5),
        "bookings": st.lists(
            st.tuples(
                st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), st.sampled_from(BOOKING_STATES)
            ),
            max_size=6,
        ),
        "teaching": st.lists(
            st.tuples(st.sampled_from(COURSES), st.sampled_from(PEOPLE)), max_size=4
        ),
        "enrollments": st.lists(
            st.tuples(st.sampled_from(PEOPLE), st.sampled_from(COURSES), st.booleans()),
            max_size=6,
        ),
    }
)


def _brute_force(world: dict[str, list], a: UUID, b: UUID) -> bool:  # type: ignore[type-arg]
    """The issue's sentence, spelled out case by case over the raw tables."""
    standing = dict(zip(PEOPLE, world["standings"], strict=True))
    if a == b:
        return False
    if standing[a] is Standing.STAFF or standing[b] is Standing.STAFF:
        return True
    for student, tutor in ((a, b), (b, a)):
        if standing[student] is not Standing.STUDENT or standing[tutor] is not Standing.TUTOR:
            continue
        for booked_student, booked_tutor, state in world["bookings"]:
            if (booked_student, booked_tutor) == (student, tutor) and state != "expired":
                return True
        for course, teacher in world["teaching"]:
            if teacher != tutor:
                continue
            for learner, enrolled_course, live in world["enrollments"]:
                if (learner, enrolled_course, live) == (student, course, True):
                    return True
    return False


@given(worlds)
def test_who_may_talk_matches_the_brute_force_table(world: dict[str, list]) -> None:  # type: ignore[type-arg]
    standing = dict(zip(PEOPLE, world["standings"], strict=True))

    def ties(student: UUID, tutor: UUID) -> Ties:
        # What the contexts' api reads answer: a booking in any state but expired; the courses
        # the student is live in, and whether the tutor teaches any of them.
        booked = any(
            (s, t) == (student, tutor) and state != "expired" for s, t, state in world["bookings"]
        )
        learning = {c for learner, c, live in world["enrollments"] if learner == student and live}
        teaches = any(t == tutor and c in learning for c, t in world["teaching"])
        return Ties(shares_booking=booked, enrolled_with_tutor=teaches)

    for a in PEOPLE:
        for b in PEOPLE:
            rule = may_converse(Party(a, standing[a]), Party(b, standing[b]), ties)
            assert rule == _brute_force(world, a, b), (a, b)
            # Symmetric: either may start it and the other answer.
            assert rule == may_converse(Party(b, standing[b]), Party(a, standing[a]), ties)


# ---- the conversation's order and read marks -----------------------------------------------
def _conversation() -> Conversation:
    return Conversation.between(uuid.uuid4(), PEOPLE[0], PEOPLE[1], now=T0)


def _post(conversation: Conversation, sender: UUID, now: datetime, body: str = "hi") -> Message:
    return conversation.post(
        message_id=uuid.uuid4(), sender=sender, body=body, now=now, event_id=uuid.uuid4()
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(PEOPLE[:2]), st.integers(min_value=-120, max_value=120)),
        min_size=1,
        max_size=30,
    )
)
def test_messages_are_totally_ordered_even_if_the_clock_steps_back(
    sends: list[tuple[UUID, int]],
) -> None:
    conversation = _conversation()
    marks = [_post(conversation, sender, T0 + timedelta(seconds=s)).mark for sender, s in sends]
    assert marks == sorted(marks) and len(set(marks)) == len(marks)
    assert conversation.last_mark == marks[-1]


@given(st.lists(st.integers(min_value=0, max_value=19), min_size=1, max_size=40))
def test_read_receipts_never_move_backwards(reads: list[int]) -> None:
    conversation = _conversation()
    reader, sender = PEOPLE[1], PEOPLE[0]
    messages = [_post(conversation, sender, T0 + timedelta(seconds=n)) for n in range(20)]
    conversation.pull_events()
    furthest: Mark | None = None
    for index in reads:
        moved = conversation.read_up_to(reader, messages[index], now=T0, event_id=uuid.uuid4())
        assert moved == (furthest is None or messages[index].mark > furthest)
        furthest = max(filter(None, (furthest, messages[index].mark)))
        assert conversation.read_mark(reader) == furthest
    # One receipt per forward move, none for a step back.
    assert len(conversation.pull_events()) == len(
        {i for n, i in enumerate(reads) if all(i > j for j in reads[:n])}
    )


def test_a_block_by_either_side_stops_both_and_only_the_blocker_lifts_it() -> None:
    conversation = _conversation()
    conversation.block(PEOPLE[1], now=T0)
    for sender in PEOPLE[:2]:
        with pytest.raises(ConversationBlocked):
            _post(conversation, sender, T0)
    conversation.unblock(PEOPLE[0])
    assert conversation.is_blocked
    conversation.unblock(PEOPLE[1])
    _post(conversation, PEOPLE[0], T0)
    with pytest.raises(NotAParticipant):
        conversation.block(PEOPLE[2], now=T0)


@pytest.mark.parametrize(
    "body", ["", "   \n", "x" * (MAX_BODY_LENGTH + 1), "nul\x00byte", "bell\x07"]
)
def test_bodies_that_are_not_plain_text_messages_are_refused(body: str) -> None:
    with pytest.raises(InvalidMessage):
        _post(_conversation(), PEOPLE[0], T0, body)


def test_plain_text_keeps_what_looks_like_html_as_it_was_written() -> None:
    body = "<script>alert(1)</script>\n\ttab " + "é" * 10
    assert _post(_conversation(), PEOPLE[0], T0, body).body == body
    assert _post(_conversation(), PEOPLE[0], T0, "x" * MAX_BODY_LENGTH).body
    assert len(preview_of("word " * 100)) == 140


def test_edits_and_deletes_are_the_senders_within_the_window() -> None:
    conversation = _conversation()
    message = _post(conversation, PEOPLE[0], T0)
    with pytest.raises(Forbidden):
        message.edit(PEOPLE[1], "x", now=T0, event_id=uuid.uuid4(), participants=PEOPLE[:2])
    message.edit(PEOPLE[0], "y", now=T0 + EDIT_WINDOW, event_id=uuid.uuid4(), participants=[])
    with pytest.raises(Conflict):
        message.delete(
            PEOPLE[0], now=T0 + EDIT_WINDOW + timedelta(microseconds=1), event_id=uuid.uuid4(),
            participants=[],
        )  # fmt: skip
    message.delete(PEOPLE[0], now=T0, event_id=uuid.uuid4(), participants=[])
    assert (message.body, message.is_deleted) == ("", True)
    with pytest.raises(Conflict):
        message.delete(PEOPLE[0], now=T0, event_id=uuid.uuid4(), participants=[])


# ---- the digest over timelines -------------------------------------------------------------
RECIPIENT, SENDER = PEOPLE[1], PEOPLE[0]
# A timeline step, a minute apart: someone sends, the recipient reads everything so far,
# connects or disconnects, or the digest job runs.
steps = st.lists(
    st.sampled_from(["send", "read", "connect", "disconnect", "run", "wait"]),
    max_size=60,
)


@given(steps)
def test_the_digest_never_emails_a_read_message_twice_or_while_connected(
    timeline: list[str],
) -> None:
    conversation = _conversation()
    messages: list[Message] = []
    emailed: dict[UUID, datetime] = {}
    connected = False
    now = T0
    for step in timeline + ["disconnect", "wait"] * 20 + ["run"]:
        now += timedelta(minutes=1)
        if step == "send":
            messages.append(_post(conversation, SENDER, now))
        elif step == "read" and messages:
            conversation.read_up_to(RECIPIENT, messages[-1], now=now, event_id=uuid.uuid4())
        elif step in ("connect", "disconnect"):
            connected = step == "connect"
        elif step == "run" and not connected:
            due = due_for_digest(
                (UnreadMessage(m.mark, m.sender_id) for m in messages),
                recipient=RECIPIENT,
                read=conversation.read_mark(RECIPIENT),
                emailed=conversation.emailed_mark(RECIPIENT),
                now=now,
            )
            for message in due:
                assert message.mark.message_id not in emailed  # never twice
                read = conversation.read_mark(RECIPIENT)
                assert read is None or message.mark > read  # never one they read
                assert message.mark.at + DIGEST_DELAY <= now  # only after the delay
                emailed[message.mark.message_id] = now
            if due:
                conversation.emailed_up_to(RECIPIENT, due[-1].mark)
    # And every message left unread past the delay was emailed in the end.
    read = conversation.read_mark(RECIPIENT)
    unread = {m.id for m in messages if read is None or m.mark > read}
    assert unread <= emailed.keys()


def test_the_digest_leaves_out_the_recipients_own_and_deleted_messages() -> None:
    mark = Mark(T0, uuid.uuid4())
    later = T0 + DIGEST_DELAY
    own = UnreadMessage(mark, RECIPIENT)
    deleted = UnreadMessage(Mark(T0, uuid.uuid4()), SENDER, deleted=True)
    fresh = UnreadMessage(Mark(later, uuid.uuid4()), SENDER)
    due = UnreadMessage(Mark(T0, uuid.uuid4()), SENDER)
    picked = due_for_digest(
        [own, deleted, fresh, due], recipient=RECIPIENT, read=None, emailed=None, now=later
    )
    assert picked == [due]
