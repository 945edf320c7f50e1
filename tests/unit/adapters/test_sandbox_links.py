"""The sandbox checkout's signed links: bound to one order, made with the app's secret, and
dead a day after the order was made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st
from tests.fakes import FixedClock

from elearn.adapters.payments.sandbox import SANDBOX_LINK_LIFETIME, HmacSandboxCheckoutLinks

SECRET = "s" * 40
MADE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER = UUID(int=7)


def links(at: datetime = MADE, secret: str = SECRET) -> HmacSandboxCheckoutLinks:
    return HmacSandboxCheckoutLinks(secret, FixedClock(at))


def test_a_link_is_good_for_its_order_until_a_day_after_the_order_was_made() -> None:
    token = links().link_token(ORDER)
    last_moment = MADE + SANDBOX_LINK_LIFETIME - timedelta(microseconds=1)

    assert links().verify(ORDER, token, order_created_at=MADE)
    assert links(last_moment).verify(ORDER, token, order_created_at=MADE)
    assert not links(MADE + SANDBOX_LINK_LIFETIME).verify(ORDER, token, order_created_at=MADE)


def test_the_same_order_always_gets_the_same_link() -> None:
    # A checkout replayed under its Idempotency-Key answers the same URL, whenever it comes.
    assert links().link_token(ORDER) == links(MADE + timedelta(hours=3)).link_token(ORDER)


def test_a_link_does_not_open_another_order_nor_pass_another_secret() -> None:
    token = links().link_token(ORDER)

    assert not links().verify(uuid4(), token, order_created_at=MADE)
    assert not links(secret="t" * 40).verify(ORDER, token, order_created_at=MADE)
    for forged in (None, "", token[:-1], token + "A", token.upper(), "é" * 43, "A" * 500):
        assert not links().verify(ORDER, forged, order_created_at=MADE)


@given(st.text(max_size=200))
def test_no_made_up_token_opens_an_order(token: str) -> None:
    assert not links().verify(ORDER, token, order_created_at=MADE) or (
        token == links().link_token(ORDER)
    )
