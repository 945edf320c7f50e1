"""Sign-in throttling that strangers cannot turn against an account's owner (OWASP's
"slow down online guessing attacks with device cookies").

A client that signed in keeps a device token for that account. Guesses from devices without
one are limited per account, so strangers guessing a password lock out only other unknown
devices; a device presenting its token is limited on its own budget and skips the others, so
the owner's known devices keep working whatever strangers do. Per client address only failures
count, so many people signing in behind one NAT address are never refused for it; IPv6 clients
are counted per /64, the block one subscriber usually gets.

The account and device budgets are reserved before the password is checked and given back
when the attempt was not a failed guess, so concurrent guesses cannot overshoot them; the
address budget is checked before and counted after a failure only (concurrent failures from
one address may overshoot it by as many as are in flight, once per window).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from elearn.application.errors import RateLimited
from elearn.application.identity.ports import DeviceClaims, IdentityPolicy, RateLimiter

IPV6_SUBSCRIBER_PREFIX = 64


def address_key(ip: str) -> str:
    """The bucket a client address is counted in: an IPv4 address (IPv4-mapped IPv6 included)
    as itself, an IPv6 address by its /64; anything else as written."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class Admission:
    """One sign-in attempt let through: the budget reserved for it, and the address it came
    from (counted only if it fails)."""

    reserved_key: str
    address_key: str | None


def _refused(retry_after: int) -> RateLimited:
    return RateLimited(
        "too many sign-in attempts; try again later", retry_after_seconds=retry_after
    )


class SignInThrottle:
    def __init__(self, limiter: RateLimiter, policy: IdentityPolicy) -> None:
        self._limiter = limiter
        self._policy = policy

    async def admit(
        self, *, account: str, ip: str | None, device: DeviceClaims | None
    ) -> Admission:
        """Lets the attempt through or raises RateLimited. ``device`` is the verified device
        token of the very account being signed in to, or None."""
        policy, limiter = self._policy, self._limiter
        window = policy.login_window_seconds
        if device is not None:
            key = f"login:device:{device.device_id}"
            retry = await limiter.hit(
                key, limit=policy.login_attempts_per_device, window_seconds=window
            )
            if retry is not None:
                raise _refused(retry)
            return Admission(reserved_key=key, address_key=None)
        address = f"login:ip:{address_key(ip)}" if ip else None
        if address is not None:
            retry = await limiter.over_limit(address, limit=policy.login_attempts_per_ip)
            if retry is not None:
                raise _refused(retry)
        key = f"login:account:{account}"
        retry = await limiter.hit(
            key, limit=policy.login_attempts_per_account, window_seconds=window
        )
        if retry is not None:
            raise _refused(retry)
        return Admission(reserved_key=key, address_key=address)

    async def failed(self, admission: Admission) -> None:
        """A wrong guess: it stays counted where it was reserved, and counts for its address."""
        if admission.address_key is not None:
            await self._limiter.hit(
                admission.address_key,
                limit=self._policy.login_attempts_per_ip,
                window_seconds=self._policy.login_window_seconds,
            )

    async def not_a_guess(self, admission: Admission) -> None:
        """Signed in, or stopped for another reason than a wrong guess: nothing counts."""
        await self._limiter.forgive(admission.reserved_key)
