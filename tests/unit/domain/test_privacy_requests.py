"""Exports and erasures as state machines: when an erasure is due, that it happens once or not
at all, and how long an archive can be downloaded — for any grace period and any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import AccountStatus, User
from elearn.domain.privacy.requests import (
    DataExport,
    DataExportReady,
    DataExportRequested,
    Erasure,
    ErasureStatus,
    ExportStatus,
)
from elearn.domain.shared.errors import IllegalTransition

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
PERSON = UUID(int=1)
grace_days = st.integers(min_value=0, max_value=365)
offsets = st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=400))


def erasure(grace: timedelta) -> Erasure:
    return Erasure.schedule(
        erasure_id=UUID(int=2), user_id=PERSON, requested_by=PERSON, now=START, grace=grace
    )


@given(days=grace_days, offset=offsets)
def test_an_erasure_is_due_exactly_from_the_end_of_its_grace_period(
    days: int, offset: timedelta
) -> None:
    scheduled = erasure(timedelta(days=days))
    now = START + offset
    assert scheduled.is_due(now) == (offset >= timedelta(days=days))


@given(days=grace_days, offset=offsets)
def test_a_cancelled_erasure_is_never_due_nor_carried_out(days: int, offset: timedelta) -> None:
    scheduled = erasure(timedelta(days=days))
    scheduled.cancel(START)
    assert not scheduled.is_due(START + offset)
    with pytest.raises(IllegalTransition):
        scheduled.complete(START + offset, {})
    with pytest.raises(IllegalTransition):
        scheduled.cancel(START + offset)


def test_an_erasure_is_carried_out_once_and_keeps_only_counts() -> None:
    scheduled = erasure(timedelta(days=14))
    scheduled.complete(START + timedelta(days=14), {"identity": {"accounts": 1}})
    assert scheduled.status is ErasureStatus.DONE
    assert scheduled.summary == {"identity": {"accounts": 1}}
    with pytest.raises(IllegalTransition):
        scheduled.complete(START + timedelta(days=15), {})
    with pytest.raises(IllegalTransition):
        scheduled.bring_forward(START)


def test_staff_bring_an_erasure_forward_never_back() -> None:
    scheduled = erasure(timedelta(days=14))
    scheduled.bring_forward(START + timedelta(days=1))
    assert scheduled.due_at == START + timedelta(days=1)
    scheduled.bring_forward(START + timedelta(days=5))
    assert scheduled.due_at == START + timedelta(days=1)


def test_a_negative_grace_period_is_refused() -> None:
    with pytest.raises(ValueError, match="grace"):
        erasure(timedelta(seconds=-1))


@given(keep_days=st.integers(min_value=1, max_value=90), offset=offsets)
def test_an_archive_downloads_until_it_expires(keep_days: int, offset: timedelta) -> None:
    export = DataExport.request(
        export_id=UUID(int=3), event_id=UUID(int=4), user_id=PERSON, requested_by=PERSON, now=START
    )
    assert not export.is_downloadable(START + offset)
    export.complete(
        file_key="data_export/2026/03/x.zip",
        size=10,
        now=START,
        keep_for=timedelta(days=keep_days),
        event_id=UUID(int=5),
    )
    assert export.is_downloadable(START + offset) == (offset < timedelta(days=keep_days))
    events = export.pull_events()
    assert [type(e) for e in events] == [DataExportRequested, DataExportReady]
    with pytest.raises(IllegalTransition):
        export.fail()
    assert export.forget_file() == "data_export/2026/03/x.zip"
    assert not export.is_downloadable(START)
    assert export.status is ExportStatus.READY


def test_an_erased_account_is_never_brought_back_nor_given_a_role() -> None:
    user = User(
        id=PERSON,
        email=EmailAddress("erased-0123456789abcdef@erased.invalid"),
        full_name="Erased user 01234567",
        role=Role.STUDENT,
        password_hash="!erased",
        status=AccountStatus.ERASED,
        created_at=START,
    )
    assert not user.is_active
    assert not user.accepts_sessions_issued_at(START + timedelta(days=1))
    for change in (
        user.reactivate,
        lambda: user.suspend(START),
        lambda: user.change_role(Role.ADMIN, START),
    ):
        with pytest.raises(IllegalTransition):
            change()
