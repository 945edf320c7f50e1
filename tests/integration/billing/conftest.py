"""Fixtures for billing's integration tests: a fake Stripe API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from tests.integration.billing.fake_stripe import FakeStripe


@pytest.fixture
def fast_stripe_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stripe library waits 0.5 s and more between its retries (``HTTPClient``'s class
    constants, read at each retry); a few milliseconds keep retry tests quick."""
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.02)


@pytest.fixture
def fake_stripe(fast_stripe_retries: None) -> Iterator[FakeStripe]:
    """A started ``FakeStripe`` (``fake_stripe.url`` is the gateway's ``api_base``), with the
    library's retry backoff cut short."""
    with FakeStripe() as fake:
        yield fake
