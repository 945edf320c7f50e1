"""The list of passwords people choose most often, which a new password must not be."""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files

_RESOURCE = "common-passwords.txt.gz"


@cache
def load_common_passwords() -> frozenset[str]:
    """Entries casefolded, so ``PassWord1`` is caught as well as ``password1``. Read once per
    process; the set works as the ``CommonPasswords`` port (``password in passwords``)."""
    data = files("elearn.adapters.security").joinpath(_RESOURCE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(entry for line in lines if (entry := line.strip().casefold()))
