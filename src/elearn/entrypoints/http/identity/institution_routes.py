"""/api/v1/institutions (search, for anyone signed in) and /api/v1/admin/institutions (the list
staff keep)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from elearn.application.identity.institutions import (
    InstitutionChanges,
    InstitutionSearch,
    NewInstitution,
)
from elearn.application.identity.ports import InstitutionView
from elearn.application.paging import Page
from elearn.domain.identity.institutions import (
    MAX_DOMAIN_LENGTH,
    MAX_DOMAINS,
    MAX_INSTITUTION_NAME,
)
from elearn.entrypoints.http.auth import CurrentActor, signed_in, staff_only
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.identity import Identity

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_INSTITUTION_NAME)]
Country = Annotated[
    str,
    msgspec.Meta(pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2", examples=["DE"]),
]
Domains = Annotated[
    list[Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_DOMAIN_LENGTH)]],
    msgspec.Meta(
        min_length=1,
        max_length=MAX_DOMAINS,
        description="web or email domains that are the institution's own, such as `tum.de`",
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=50, description="page size")]
AdminLimit = Annotated[int, QueryParameter(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=400, description="from `next_cursor`")]
Query = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        description="words of the name (accents and case ignored) or a domain such as `tum.de`",
    ),
]
CountryFilter = Annotated[
    str | None,
    QueryParameter(
        min_length=2, max_length=2, pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2"
    ),
]
EmailDomain = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_DOMAIN_LENGTH,
        description="the part of an email address after `@`: suggests the institution whose "
        "domain it is or lies under (`cs.tum.de` finds `tum.de`); one that is no domain name "
        "finds nothing",
    ),
]


class NewInstitutionBody(RequestBody):
    name: Name
    country: Country
    domains: Domains


class InstitutionChangesBody(RequestBody):
    """Fields left out stay as they are; `active: false` retires the institution."""

    name: Name | None = None
    country: Country | None = None
    domains: Domains | None = None
    active: bool | None = None


class InstitutionsController(Controller):
    path = "/institutions"
    tags = ["identity"]
    guards = [signed_in]

    @get(operation_id="search_institutions", summary="Find your institution")
    async def search(
        self,
        actor: CurrentActor,
        identity: Identity,
        q: Query = None,
        country: CountryFilter = None,
        email_domain: EmailDomain = None,
        limit: Limit = 10,
        cursor: Cursor = None,
    ) -> Page[InstitutionView]:
        """Institutions to pick for a profile (retired ones are not offered): names starting
        with `q` first, then names holding its words, alphabetically; a domain in `q` or
        `email_domain` finds the institution it belongs to."""
        search = InstitutionSearch(
            q=q, country=country, email_domain=email_domain, limit=limit, cursor=cursor
        )
        return await identity.search_institutions(actor, search)


class AdminInstitutionsController(Controller):
    path = "/admin/institutions"
    tags = ["identity"]
    guards = [staff_only]

    @get(operation_id="list_institutions", summary="Institutions (staff)")
    async def list_institutions(
        self,
        actor: CurrentActor,
        identity: Identity,
        q: Query = None,
        country: CountryFilter = None,
        active: Annotated[
            bool | None,
            QueryParameter(description="only active (`true`) or retired (`false`) ones"),
        ] = None,
        limit: AdminLimit = 20,
        cursor: Cursor = None,
    ) -> Page[InstitutionView]:
        """Managers and admins list every institution, retired ones too, searched as
        `GET /institutions` searches."""
        search = InstitutionSearch(q=q, country=country, limit=limit, cursor=cursor)
        return await identity.list_institutions(actor, search, active=active)

    @problems("institution-domain-taken", "invalid-input")
    @post(operation_id="create_institution", summary="Add an institution")
    async def create(
        self,
        data: JSONBody[NewInstitutionBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> InstitutionView:
        """Managers and admins add an institution with its country and one to ten domains; a
        domain belongs to one institution only (409 `institution-domain-taken`)."""
        command = NewInstitution(name=data.name, country=data.country, domains=data.domains)
        return await identity.create_institution(actor, command)

    @problems("institution-not-found", "institution-domain-taken", "invalid-input")
    @patch(
        "/{institution_id:uuid}",
        operation_id="update_institution",
        summary="Change or retire an institution",
    )
    async def update(
        self,
        institution_id: FromPath[UUID],
        data: JSONBody[InstitutionChangesBody],
        actor: CurrentActor,
        identity: Identity,
    ) -> InstitutionView:
        """Rename, move, change the domains, retire (`active: false`) or bring back. A retired
        institution stays on the profiles that name it and is no longer offered."""
        changes = InstitutionChanges(
            name=data.name, country=data.country, domains=data.domains, active=data.active
        )
        return await identity.update_institution(actor, institution_id, changes)
