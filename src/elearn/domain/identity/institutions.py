"""Institutions: the universities and schools students and tutors belong to, a list staff keep.

People pick theirs from the list instead of typing it, so one university is one row however its
students spell it, and an institution's web or email domain can suggest it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import datetime
from uuid import UUID

from elearn.domain.shared.errors import Conflict, RuleViolation

MAX_INSTITUTION_NAME = 200
MAX_DOMAINS = 10
MAX_DOMAIN_LENGTH = 253

# Letters, digits and hyphens per label (no leading or trailing hyphen), at least two labels,
# the last alphabetic: ``tum.de``, ``cs.ox.ac.uk``, ``xn--80ajuf6j.xn--p1ai``.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class InvalidInstitution(RuleViolation):
    code = "invalid-institution"


class InstitutionDomainTaken(Conflict):
    code = "institution-domain-taken"


def institution_name(name: str) -> str:
    """The name with its spaces collapsed: 1 to 200 characters, no control characters."""
    cleaned = " ".join(name.split())
    if not 0 < len(cleaned) <= MAX_INSTITUTION_NAME:
        raise InvalidInstitution(f"a name is 1 to {MAX_INSTITUTION_NAME} characters")
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise InvalidInstitution("a name holds no control characters")
    return cleaned


def country_code(code: str) -> str:
    """An ISO 3166-1 alpha-2 code in capitals (``de`` is ``DE``); whether the country exists is
    the reference data's question."""
    cleaned = code.strip().upper()
    if not _COUNTRY.match(cleaned):
        raise InvalidInstitution(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return cleaned


def web_domain(domain: str) -> str:
    """A host name such as ``tum.de``, lower-cased, without a scheme, path, port or trailing
    dot; an address (``@tum.de``) or a link is refused rather than guessed at."""
    cleaned = domain.strip().lower().removesuffix(".")
    if len(cleaned) > MAX_DOMAIN_LENGTH or not _DOMAIN.match(cleaned):
        raise InvalidInstitution(f"{domain!r} is not a domain name such as example.edu")
    return cleaned


def web_domains(domains: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """One to ten domains, each valid, without repeats, in the order given."""
    cleaned = tuple(dict.fromkeys(web_domain(d) for d in domains))
    if not 0 < len(cleaned) <= MAX_DOMAINS:
        raise InvalidInstitution(f"an institution has 1 to {MAX_DOMAINS} domains")
    return cleaned


def search_key(text: str) -> str:
    """``text`` as searches compare it: accents removed, case folded, spaces collapsed, so
    ``Universität Zürich`` and ``universitat zurich`` are one key. Computed here rather than by
    the database so SQLite and PostgreSQL match the same way."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # ß casefolds to ss already; NFKC recomposes what stripping marks left apart.
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def domain_suffixes(domain: str) -> list[str]:
    """The domains an address at ``domain`` may belong to, longest first, down to two labels:
    ``cs.ox.ac.uk`` → ``cs.ox.ac.uk``, ``ox.ac.uk``, ``ac.uk``. A bare top-level domain never
    names an institution."""
    labels = domain.strip().lower().removesuffix(".").split(".")
    return [".".join(labels[start:]) for start in range(len(labels) - 1)]


@dataclasses.dataclass(kw_only=True, eq=False)
class Institution:
    """A university, college or school: a name, the country it is in, the web or email domains
    that are its own. Retired ones stay (profiles keep pointing at them) but are not offered."""

    id: UUID
    name: str
    country: str
    domains: tuple[str, ...]
    retired_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        self.name = institution_name(self.name)
        self.country = country_code(self.country)
        self.domains = web_domains(self.domains)

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    @property
    def name_key(self) -> str:
        return search_key(self.name)

    def change(
        self,
        now: datetime,
        *,
        name: str | None = None,
        country: str | None = None,
        domains: tuple[str, ...] | None = None,
        active: bool | None = None,
    ) -> None:
        """Applies the changes given (None keeps a field), all validated before any is made."""
        new_name = institution_name(name) if name is not None else self.name
        new_country = country_code(country) if country is not None else self.country
        new_domains = web_domains(domains) if domains is not None else self.domains
        self.name, self.country, self.domains = new_name, new_country, new_domains
        if active is not None and active != self.is_active:
            self.retired_at = None if active else now
        self.updated_at = now
