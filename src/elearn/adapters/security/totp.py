"""Time-based one-time passwords (RFC 6238) for two-factor sign-in, with pyotp."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

# One step either side: a phone clock a little off, or a code typed just as it rolled over.
_DRIFT_STEPS = (0, -1, 1)


class PyotpTotpService:
    def __init__(self, *, digits: int = 6, interval: int = 30) -> None:
        if not 6 <= digits <= 10:
            raise ValueError("TOTP codes have 6 to 10 digits")
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._digits = digits
        self._interval = interval

    def new_secret(self) -> str:
        return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        return self._totp(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        """The step the code belongs to, so the caller can refuse a step already used (a code
        replayed within its window)."""
        if now.tzinfo is None:
            raise TypeError("now must be a timezone-aware datetime")
        # str.isdigit() accepts other scripts' digits and superscripts; only ASCII will do.
        if len(code) != self._digits or not (code.isascii() and code.isdigit()):
            return None
        totp = self._totp(secret)
        current = int(now.timestamp()) // self._interval
        matched = None
        for offset in _DRIFT_STEPS:
            step = current + offset
            # Every candidate is compared, in constant time, whatever matched before.
            if hmac.compare_digest(totp.generate_otp(step), code) and matched is None:
                matched = step
        return matched

    def _totp(self, secret: str) -> pyotp.TOTP:
        return pyotp.TOTP(secret, digits=self._digits, interval=self._interval)
