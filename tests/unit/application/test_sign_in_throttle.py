"""The sign-in use case under throttling, with fakes for the database and the real limiters:
the property of issue 15 (under any sequence of failures from other addresses, the owner's
known device with the right password always signs in), on the in-memory limiter and on Redis;
and the rules around it, each at its boundary.

Strangers in the sequences guess the owner's password from unknown devices, with forged device
tokens, with a device token of their own account, or fail on other accounts from the same
addresses (IPv4 and IPv6), while time passes; the owner signs in between."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from tests.fakes import DEFAULT_PASSWORD, FakeUnitOfWork, FixedClock, make_identity_deps, make_user

from elearn.adapters.security.rate_limits import InMemoryRateLimiter, RedisRateLimiter
from elearn.application.actor import Actor
from elearn.application.errors import RateLimited
from elearn.application.identity.ports import IdentityPolicy, RateLimiter
from elearn.application.identity.sessions import InvalidCredentials, Login, LoginCommand
from elearn.application.identity.throttling import address_key

OWNER, MALLORY = "owner@example.com", "mallory@example.com"
OWNERS_ADDRESS = "192.0.2.1"
WRONG = "a wrong guess"
POLICY = IdentityPolicy(
    login_attempts_per_ip=4, login_attempts_per_account=3, login_attempts_per_device=3
)

stranger_address = st.one_of(
    st.integers(1, 254).map(lambda n: f"198.51.100.{n}"),
    st.integers(1, 2**16 - 1).map(lambda n: f"2001:db8:bad:{n % 7:x}::{n:x}"),
    st.just(f"::ffff:198.51.100.{7}"),
)
event = st.one_of(
    st.tuples(
        st.sampled_from(["unknown_device", "forged_token", "own_token", "other_account"]),
        stranger_address,
    ),
    st.tuples(st.just("time_passes"), st.integers(1, 1200)),
    st.tuples(st.just("owner"), st.just(OWNERS_ADDRESS)),
)


@dataclass
class Scene:
    login: Login
    clock: FixedClock
    owners_device: str
    mallorys_device: str

    async def attempt(
        self, email: str, password: str, ip: str, device_token: str | None = None
    ) -> Any:
        return await self.login(
            Actor.anonymous(ip=ip), LoginCommand(email, password, device_token=device_token)
        )


async def scene(make_limiter: Callable[[FixedClock], RateLimiter]) -> Scene:
    uow = FakeUnitOfWork()
    uow.seed(make_user(email=OWNER), make_user(email=MALLORY))
    clock = FixedClock()
    deps = make_identity_deps(uow=uow, clock=clock, rate_limiter=make_limiter(clock), policy=POLICY)
    login = Login(deps)
    owners = await login(Actor.anonymous(ip=OWNERS_ADDRESS), LoginCommand(OWNER, DEFAULT_PASSWORD))
    mallorys = await login(
        Actor.anonymous(ip="203.0.113.5"), LoginCommand(MALLORY, DEFAULT_PASSWORD)
    )
    assert owners.device_token and mallorys.device_token
    return Scene(login, clock, owners.device_token, mallorys.device_token)


async def play(the_scene: Scene, events: list[tuple[str, Any]]) -> None:
    forged = the_scene.owners_device[:-2] + ("AA" if the_scene.owners_device[-2:] != "AA" else "BB")
    for kind, value in events:
        if kind == "time_passes":
            the_scene.clock.advance(timedelta(seconds=value))
            continue
        if kind == "owner":
            session = await the_scene.attempt(
                OWNER, DEFAULT_PASSWORD, value, device_token=the_scene.owners_device
            )
            assert session.access_token
            continue
        email, token = {
            "unknown_device": (OWNER, None),
            "forged_token": (OWNER, forged),
            "own_token": (OWNER, the_scene.mallorys_device),
            "other_account": (MALLORY, None),
        }[kind]
        with pytest.raises((InvalidCredentials, RateLimited)):
            await the_scene.attempt(email, WRONG, value, device_token=token)
    # And at the end, whatever happened last.
    session = await the_scene.attempt(
        OWNER, DEFAULT_PASSWORD, OWNERS_ADDRESS, device_token=the_scene.owners_device
    )
    assert session.device_token


def in_memory(clock: FixedClock) -> RateLimiter:
    return InMemoryRateLimiter(lambda: clock.now().timestamp())


@settings(max_examples=150, deadline=None)
@given(events=st.lists(event, max_size=60))
def test_strangers_never_stop_the_owners_known_device_in_memory(
    events: list[tuple[str, Any]],
) -> None:
    async def run() -> None:
        await play(await scene(in_memory), events)

    asyncio.run(run())


@pytest.mark.redis
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(event, max_size=40))
def test_strangers_never_stop_the_owners_known_device_on_redis(
    redis_url: str, events: list[tuple[str, Any]]
) -> None:
    # Redis counts real seconds: the clock only ages device tokens here, and windows may only
    # be longer than the fake time says, which is the harder case for the owner.
    async def run() -> None:
        client = Redis.from_url(redis_url)
        prefix = f"elearn-test:{uuid.uuid4().hex}:"
        try:
            await play(await scene(lambda _: RedisRateLimiter(client, prefix=prefix)), events)
        finally:
            keys = [key async for key in client.scan_iter(match=prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()

    asyncio.run(run())


# ---- the rules at their boundaries ----------------------------------------------------------
def run(coroutine: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coroutine())


def test_an_unknown_device_waits_after_the_accounts_budget_of_failures() -> None:
    async def body() -> None:
        the_scene = await scene(in_memory)
        for n in range(POLICY.login_attempts_per_account):
            with pytest.raises(InvalidCredentials):
                await the_scene.attempt(OWNER, WRONG, f"198.51.100.{n + 1}")
        with pytest.raises(RateLimited) as refused:
            await the_scene.attempt(OWNER, DEFAULT_PASSWORD, "198.51.100.99")
        assert refused.value.retry_after_seconds == POLICY.login_window_seconds
        the_scene.clock.advance(timedelta(seconds=POLICY.login_window_seconds))
        assert (await the_scene.attempt(OWNER, DEFAULT_PASSWORD, "198.51.100.99")).access_token

    run(body)


def test_successful_sign_ins_never_use_up_an_address() -> None:
    async def body() -> None:
        the_scene = await scene(in_memory)
        for _ in range(3 * POLICY.login_attempts_per_ip):
            assert (await the_scene.attempt(MALLORY, DEFAULT_PASSWORD, "203.0.113.1")).access_token
        for n in range(POLICY.login_attempts_per_ip):
            with pytest.raises(InvalidCredentials):
                await the_scene.attempt(f"nobody{n}@example.com", WRONG, "203.0.113.1")
        with pytest.raises(RateLimited):
            await the_scene.attempt(MALLORY, DEFAULT_PASSWORD, "203.0.113.1")

    run(body)


def test_a_device_token_expires_after_its_lifetime() -> None:
    async def body() -> None:
        the_scene = await scene(in_memory)
        the_scene.clock.advance(timedelta(days=POLICY.login_device_days, seconds=1))
        for n in range(POLICY.login_attempts_per_account):
            with pytest.raises(InvalidCredentials):
                await the_scene.attempt(OWNER, WRONG, f"198.51.100.{n + 1}")
        with pytest.raises(RateLimited):
            await the_scene.attempt(
                OWNER, DEFAULT_PASSWORD, OWNERS_ADDRESS, device_token=the_scene.owners_device
            )

    run(body)


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_addresses_are_counted_as_themselves_or_by_their_64(ip: str, key: str) -> None:
    assert address_key(ip) == key


@settings(max_examples=100, deadline=None)
@given(
    before=st.integers(0, 2_500_000).map(lambda n: timedelta(microseconds=n)),
    after=st.integers(0, 2_500_000).map(lambda n: timedelta(microseconds=n)),
)
def test_a_password_change_forgets_exactly_the_devices_known_before_it(
    before: timedelta, after: timedelta
) -> None:
    """Whenever the sign-ins and the change fall, within one second or across seconds: a device
    token given before the change is a stranger's afterwards, one given after it is known."""

    async def body() -> None:
        uow = FakeUnitOfWork()
        owner = make_user(email=OWNER)
        uow.seed(owner)
        clock = FixedClock()
        login = Login(
            make_identity_deps(uow=uow, clock=clock, rate_limiter=in_memory(clock), policy=POLICY)
        )

        async def sign_in(device_token: str | None = None) -> Any:
            command = LoginCommand(OWNER, DEFAULT_PASSWORD, device_token=device_token)
            return await login(Actor.anonymous(ip=OWNERS_ADDRESS), command)

        earlier = await sign_in()
        clock.advance(before)
        stored = uow.committed_users[owner.id]
        stored.change_password(stored.password_hash, clock.now())
        clock.advance(after)
        later = await sign_in()
        for n in range(POLICY.login_attempts_per_account):
            with pytest.raises(InvalidCredentials):
                await login(Actor.anonymous(ip=f"198.51.100.{n + 1}"), LoginCommand(OWNER, WRONG))

        with pytest.raises(RateLimited):
            await sign_in(earlier.device_token)
        assert (await sign_in(later.device_token)).access_token

    run(body)
