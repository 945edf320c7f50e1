"""Opaque secret tokens (email verification, password reset, refresh tokens) and 2FA recovery
codes, with the one-way hashes under which they are stored."""

from __future__ import annotations

import hashlib
import secrets

# Base32 without the characters people confuse when they copy a code off paper (0/o, 1/i/l):
# 31 symbols, so a 10-symbol code carries 10 * log2(31) ~ 49.5 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = (4, 4, 2)
_RECOVERY_LENGTH = sum(_RECOVERY_GROUPS)


class RandomSecretTokens:
    def new(self) -> str:
        return secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG

    def new_recovery_code(self) -> str:
        """A one-time 2FA recovery code that a person can copy by hand: ``abcd-efgh-jk``."""
        return _grouped("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)))

    def normalize_recovery_code(self, typed: str) -> str | None:
        """The canonical form (what was hashed) of a code as a person typed it: any case, with
        or without dashes and spaces. None when it cannot be a recovery code."""
        symbols = "".join(typed.split()).replace("-", "").lower()
        if len(symbols) != _RECOVERY_LENGTH or not set(symbols) <= set(RECOVERY_ALPHABET):
            return None
        return _grouped(symbols)

    def hash(self, token: str) -> str:
        # A plain SHA-256, unlike for passwords: these secrets are drawn uniformly at random,
        # so there is no dictionary to try first and nothing for a salt or a slow hash to
        # defend; a salt would also prevent finding a token by its hash. For 256-bit tokens a
        # leaked table is useless. Recovery codes (~50 bits) are within reach of a determined
        # offline attacker with GPUs; that is accepted because a code is only a second factor
        # (useless without the password) and is hashed this way so it can be looked up.
        return hashlib.sha256(token.encode()).hexdigest()


def _grouped(symbols: str) -> str:
    groups, start = [], 0
    for size in _RECOVERY_GROUPS:
        groups.append(symbols[start : start + size])
        start += size
    return "-".join(groups)
