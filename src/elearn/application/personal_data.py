"""A person's data, as every context declares it (issue 15, privacy): what it holds about
someone, to export, and how it erases it. Each context implements ``PersonalDataProvider`` over
its own tables and declares it on its module; the privacy context calls every declared one
without naming any, so a new context joins exports and erasures by declaring its own."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from elearn.application.ports import Transaction

# Where pseudonymous addresses point: `.invalid` is reserved (RFC 2606), so mail never leaves.
PSEUDONYM_EMAIL_DOMAIN = "erased.invalid"


@dataclass(frozen=True, slots=True)
class Pseudonym:
    """What stands in for an erased person wherever a name or an address must remain (a
    certificate's holder, a ledger account's owner row): nothing in it points back to them."""

    name: str
    email: str
    # The name it replaces, for copies of it kept elsewhere (an instructor's name printed on
    # other people's certificates). Never stored.
    former_name: str = ""

    @classmethod
    def new(cls, *, former_name: str = "") -> Pseudonym:
        tag = secrets.token_hex(8)
        return cls(
            name=f"Erased user {tag[:8]}",
            email=f"erased-{tag}@{PSEUDONYM_EMAIL_DOMAIN}",
            former_name=former_name,
        )


@dataclass(frozen=True, slots=True)
class PersonalFile:
    """A stored file of the person's, copied into their archive as ``files/<section>/<name>``."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What one context holds about a person: JSON-ready records, and their files."""

    records: Mapping[str, Any]
    files: Sequence[PersonalFile] = ()


@dataclass(frozen=True, slots=True)
class ErasedData:
    """What one context erased: how many of each kind (for the record, no personal data), and
    the stored files to delete once the erasure has committed."""

    counts: Mapping[str, int]
    file_keys: Sequence[str] = ()


class PersonalDataProvider(Protocol):
    """One context's personal data, read and erased inside the caller's transaction.

    ``erase`` removes what identifies the person (names, addresses, free text, files) and keeps
    what the law requires (money records), which then names only the pseudonymous id; it is
    safe to run twice."""

    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData: ...

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData: ...
