"""Institutions: staff keep the list (create, edit, retire); anyone signed in searches it, and
students and tutors pick theirs from it instead of typing a name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import FieldError, InvalidInput, InvalidParameter, NotFound
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import (
    IdentityUnitOfWork,
    InstitutionFilter,
    InstitutionView,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.identity.institutions import (
    Institution,
    InstitutionDomainTaken,
    InvalidInstitution,
    country_code,
    institution_name,
    web_domain,
    web_domains,
)
from elearn.domain.shared.audit import AuditAction

T = TypeVar("T")

MAX_QUERY_LENGTH = 100


def institution_view(institution: Institution) -> InstitutionView:
    return InstitutionView(
        id=institution.id,
        name=institution.name,
        country=institution.country,
        domains=institution.domains,
        active=institution.is_active,
        retired_at=institution.retired_at,
        created_at=institution.created_at,
        updated_at=institution.updated_at,
    )


class _FieldProblems:
    """Every wrong field of an institution at once, by its public name."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps
        self.errors: list[FieldError] = []

    def check(self, field: str, validate: Callable[[], T]) -> T | None:
        try:
            return validate()
        except InvalidInstitution as error:
            self.errors.append(FieldError(field, error.message))
            return None

    def country(self, value: str) -> str | None:
        code = self.check("country", partial(country_code, value))
        if code is not None and not self._deps.reference.is_country(code):
            self.errors.append(FieldError("country", f"{value!r} is not a known country"))
            return None
        return code

    def domains(self, values: Sequence[str]) -> tuple[str, ...] | None:
        before = len(self.errors)
        for index, value in enumerate(values):
            self.check(f"domains[{index}]", partial(web_domain, value))
        if len(self.errors) > before:
            return None
        return self.check("domains", partial(web_domains, list(values)))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput("the institution is not valid", errors=self.errors)


async def _refuse_taken_domains(
    uow: IdentityUnitOfWork, domains: Sequence[str], other_than: UUID | None = None
) -> None:
    # Checked first for an answer naming the domain; the table's key still decides a race.
    taken = await uow.institutions.owners_of_domains(domains, other_than=other_than)
    if taken:
        raise InstitutionDomainTaken(
            f"{', '.join(sorted(taken))} already belongs to another institution"
        )


@dataclass(frozen=True, slots=True)
class NewInstitution:
    name: str
    country: str
    domains: Sequence[str]


@dataclass(frozen=True, slots=True)
class InstitutionChanges:
    """None keeps a field; ``active=False`` retires the institution, ``True`` brings it back."""

    name: str | None = None
    country: str | None = None
    domains: Sequence[str] | None = None
    active: bool | None = None


class CreateInstitution:
    """Staff add an institution: a name, its country (ISO 3166-1 alpha-2) and one to ten web or
    email domains, none of them another institution's."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: NewInstitution) -> InstitutionView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.MANAGE_INSTITUTIONS)
        problems = _FieldProblems(deps)
        name = problems.check("name", partial(institution_name, command.name))
        country = problems.country(command.country)
        domains = problems.domains(command.domains)
        problems.raise_if_any()
        assert name is not None and country is not None and domains is not None
        async with deps.uow() as uow:
            await _refuse_taken_domains(uow, domains)
            now = deps.clock.now()
            institution = Institution(
                id=deps.ids.new_id(),
                name=name,
                country=country,
                domains=domains,
                created_at=now,
                updated_at=now,
            )
            await uow.institutions.add(institution)
            deps.audit(
                uow,
                actor,
                AuditAction.INSTITUTION_CREATED,
                target_type="institution",
                target_id=institution.id,
                name=institution.name,
            )
            await uow.commit()
        return institution_view(institution)


class UpdateInstitution:
    """Staff rename an institution, move it to another country, change its domains, or retire
    it (it is no longer offered; profiles that name it keep it) and bring it back."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, institution_id: UUID, changes: InstitutionChanges
    ) -> InstitutionView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.MANAGE_INSTITUTIONS)
        problems = _FieldProblems(deps)
        name = (
            problems.check("name", partial(institution_name, changes.name))
            if changes.name is not None
            else None
        )
        country = problems.country(changes.country) if changes.country is not None else None
        domains = problems.domains(changes.domains) if changes.domains is not None else None
        problems.raise_if_any()
        async with deps.uow() as uow:
            institution = await uow.institutions.get(institution_id, for_update=True)
            if institution is None:
                raise NotFound("there is no such institution", code="institution-not-found")
            if domains is not None:
                await _refuse_taken_domains(uow, domains, other_than=institution_id)
            institution.change(
                deps.clock.now(), name=name, country=country, domains=domains, active=changes.active
            )
            deps.audit(
                uow,
                actor,
                AuditAction.INSTITUTION_UPDATED,
                target_type="institution",
                target_id=institution_id,
                changed=sorted(
                    field
                    for field, value in (
                        ("name", name),
                        ("country", country),
                        ("domains", domains),
                        ("active", changes.active),
                    )
                    if value is not None
                ),
            )
            await uow.commit()
        return institution_view(institution)


@dataclass(frozen=True, slots=True)
class InstitutionSearch:
    q: str | None = None
    country: str | None = None
    email_domain: str | None = None
    limit: int = 10
    cursor: str | None = None


def _search_filter(search: InstitutionSearch, active: bool | None) -> InstitutionFilter | None:
    """The filter of a search; None when nothing can match (an email domain that is no domain
    names no institution: an empty answer, not an error)."""
    q = search.q.strip() if search.q is not None else None
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter(
            "the search is too long",
            errors=[FieldError("q", f"has at most {MAX_QUERY_LENGTH} characters")],
        )
    country: str | None = None
    if search.country is not None:
        try:
            country = country_code(search.country)
        except InvalidInstitution as error:
            raise InvalidParameter(
                "the search cannot be read", errors=[FieldError("country", error.message)]
            ) from None
    email_domain: str | None = None
    if search.email_domain is not None:
        try:
            email_domain = web_domain(search.email_domain)
        except InvalidInstitution:
            return None
    return InstitutionFilter(q=q or None, country=country, email_domain=email_domain, active=active)


async def _search(
    deps: IdentityDeps, search: InstitutionSearch, active: bool | None
) -> Page[InstitutionView]:
    check_limit(search.limit)
    filters = _search_filter(search, active)
    if filters is None:
        return Page(items=[], next_cursor=None)
    return await page_of(
        deps.institutions.institutions(filters, limit=search.limit, cursor=search.cursor)
    )


class SearchInstitutions:
    """Anyone signed in looks up institutions to pick from: words of the name, accents and case
    ignored (`munchen` finds München), or a domain; by country; by the domain of an email
    address. Retired institutions are not offered."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, search: InstitutionSearch) -> Page[InstitutionView]:
        require_signed_in(actor)
        return await _search(self._deps, search, active=True)


class ListInstitutions:
    """Staff list every institution, retired ones too unless ``active`` says which, with the
    same search as everyone else."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, search: InstitutionSearch, *, active: bool | None = None
    ) -> Page[InstitutionView]:
        self._deps.authorizer.authorize(actor, Permission.MANAGE_INSTITUTIONS)
        return await _search(self._deps, search, active=active)


async def pickable_institution(
    uow: IdentityUnitOfWork, institution_id: UUID, field: str
) -> Institution:
    """The institution a person picks for their profile: one of the list, not retired; an
    InvalidInput naming ``field`` otherwise."""
    institution = await uow.institutions.get(institution_id)
    if institution is None:
        raise InvalidInput(
            "pick an institution from the list",
            errors=[FieldError(field, "names no institution")],
        )
    if not institution.is_active:
        raise InvalidInput(
            "pick an institution from the list",
            errors=[FieldError(field, "that institution is retired")],
        )
    return institution
