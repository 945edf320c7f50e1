"""One-time tokens and refresh families: the rules at their boundaries, and as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from elearn.domain.identity.tokens import (
    InvalidOneTimeToken,
    OneTimeToken,
    RefreshFamily,
    RotationOutcome,
    TokenPurpose,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


def token(purpose: TokenPurpose = TokenPurpose.VERIFY_EMAIL) -> OneTimeToken:
    return OneTimeToken.issue(
        token_id=uuid4(), user_id=uuid4(), purpose=purpose, token_hash="h", now=T0, ttl=TTL
    )


@given(offset=st.integers(min_value=-(10**6), max_value=10**9))
def test_a_token_is_usable_exactly_until_it_expires(offset: int) -> None:
    """Usable at every microsecond before issue + TTL, never at or after it."""
    now = T0 + TTL + timedelta(microseconds=offset)
    assert token().is_usable(now, TokenPurpose.VERIFY_EMAIL) is (offset < 0)


def test_the_boundary_to_the_microsecond() -> None:
    t = token()
    assert t.is_usable(T0 + TTL - timedelta(microseconds=1), TokenPurpose.VERIFY_EMAIL)
    assert not t.is_usable(T0 + TTL, TokenPurpose.VERIFY_EMAIL)
    with pytest.raises(InvalidOneTimeToken):
        t.consume(T0 + TTL, TokenPurpose.VERIFY_EMAIL)


def test_a_token_works_once_and_for_its_purpose_only() -> None:
    t = token(TokenPurpose.RESET_PASSWORD)
    with pytest.raises(InvalidOneTimeToken):
        t.consume(T0, TokenPurpose.VERIFY_EMAIL)
    t.consume(T0, TokenPurpose.RESET_PASSWORD)
    with pytest.raises(InvalidOneTimeToken):
        t.consume(T0, TokenPurpose.RESET_PASSWORD)


def test_a_superseded_token_no_longer_works() -> None:
    t = token()
    t.supersede(T0)
    assert not t.is_usable(T0, TokenPurpose.VERIFY_EMAIL)


IDLE = timedelta(days=7)
ABSOLUTE = timedelta(days=30)


def family() -> RefreshFamily:
    return RefreshFamily.start(
        family_id=uuid4(), user_id=uuid4(), token_hash="t0", now=T0,
        absolute_lifetime=ABSOLUTE, idle_lifetime=IDLE,
    )  # fmt: skip


def test_rotation_replaces_the_token_and_reuse_revokes_the_family() -> None:
    f = family()
    assert f.rotate("t0", "t1", T0, IDLE) is RotationOutcome.ROTATED
    assert f.accepts("t1", T0) and not f.accepts("t0", T0)
    assert f.rotate("t0", "t2", T0, IDLE) is RotationOutcome.REUSE_DETECTED
    assert f.is_revoked and f.revoked_reason == "reuse"
    assert not f.accepts("t1", T0), "the legitimate holder is signed out too"
    assert f.rotate("t1", "t3", T0, IDLE) is RotationOutcome.REVOKED


def test_idle_and_absolute_lifetimes_end_the_family() -> None:
    idle = family()
    assert idle.rotate("t0", "t1", T0 + IDLE, IDLE) is RotationOutcome.EXPIRED
    assert idle.is_revoked
    busy = family()
    now, current = T0, "t0"
    for step in range(1, 40):  # used every day: the idle limit never bites, the absolute one does
        now = T0 + timedelta(days=step)
        outcome = busy.rotate(current, f"t{step}", now, IDLE)
        if now >= T0 + ABSOLUTE:
            assert outcome is RotationOutcome.EXPIRED
            break
        assert outcome is RotationOutcome.ROTATED
        current = f"t{step}"
    assert busy.is_revoked


class RefreshFamilyMachine(RuleBasedStateMachine):
    """No sequence of refresh, reuse, logout and waiting leaves a usable token in a revoked
    family, and only the newest token of a live family is usable."""

    def __init__(self) -> None:
        super().__init__()
        self.family = family()
        self.now = T0
        self.issued = ["t0"]

    def _fresh(self) -> str:
        return f"t{len(self.issued)}"

    @rule()
    def refresh_with_the_current_token(self) -> None:
        new = self._fresh()
        outcome = self.family.rotate(self.issued[-1], new, self.now, IDLE)
        self.issued.append(new)
        if outcome is RotationOutcome.ROTATED:
            assert self.family.current_hash == new

    @precondition(lambda self: len(self.issued) > 1)
    @rule(data=st.data())
    def replay_an_old_token(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(self.issued[:-1]))
        if old == self.family.current_hash:
            return
        outcome = self.family.rotate(old, self._fresh(), self.now, IDLE)
        assert outcome in (RotationOutcome.REUSE_DETECTED, RotationOutcome.REVOKED)
        assert self.family.is_revoked

    @rule()
    def log_out(self) -> None:
        self.family.revoke(self.now, "logout")

    @rule(seconds=st.integers(min_value=0, max_value=10 * 86_400))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @invariant()
    def nothing_usable_in_a_revoked_family(self) -> None:
        usable = [t for t in self.issued if self.family.accepts(t, self.now)]
        if self.family.is_revoked or self.family.is_expired(self.now):
            assert usable == []
        else:
            assert usable in ([], [self.family.current_hash])
            assert all(t == self.family.current_hash for t in usable)


TestRefreshFamilyMachine = RefreshFamilyMachine.TestCase
TestRefreshFamilyMachine.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None
)
