"""Admins keep the category tree: create, rename, move and delete categories. A category with
courses or sub-categories cannot be deleted."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.authoring import KEEP, Keep
from elearn.application.catalog.deps import CatalogDeps
from elearn.application.catalog.ports import CatalogUnitOfWork, CategoryView
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.domain.catalog.category import (
    Category,
    CategoryInUse,
    CategoryTaken,
    category_name,
    check_parent,
)
from elearn.domain.catalog.slugs import first_free_slug, slugify, valid_slug
from elearn.domain.shared.audit import AuditAction


@dataclass(frozen=True, slots=True)
class CategoryChanges:
    name: str | Keep = KEEP
    slug: str | Keep = KEEP
    description: str | Keep = KEEP
    icon: str | Keep | None = KEEP
    parent_id: UUID | Keep | None = KEEP


class _AdminWork:
    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    def _require_admin(self, actor: Actor) -> None:
        self._deps.authorizer.authorize(actor, Permission.MANAGE_CATEGORIES)

    async def _view(self, category_id: UUID) -> CategoryView:
        for view in await self._deps.queries.categories():
            if view.id == category_id:
                return view
        raise NotFound("there is no such category", code="category-not-found")


async def _category(uow: CatalogUnitOfWork, category_id: UUID) -> Category:
    category = await uow.categories.get(category_id, for_update=True)
    if category is None:
        raise NotFound("there is no such category", code="category-not-found")
    return category


async def _apply(uow: CatalogUnitOfWork, category: Category, changes: CategoryChanges) -> None:
    if not isinstance(changes.name, Keep):
        category.name = category_name(changes.name)
    if not isinstance(changes.slug, Keep) and changes.slug != category.slug:
        slug = valid_slug(changes.slug)
        if slug in await uow.categories.slugs_like(slug, other_than=category.id):
            raise CategoryTaken(f"the slug {slug!r} is taken")
        category.slug = slug
    if not isinstance(changes.description, Keep):
        category.description = changes.description.strip()
    if not isinstance(changes.icon, Keep):
        category.icon = changes.icon
    if not isinstance(changes.parent_id, Keep):
        parents = dict(await uow.categories.parents())
        if changes.parent_id is not None and changes.parent_id not in parents:
            raise InvalidInput(
                "the parent category does not exist",
                errors=[FieldError("parent_id", "names no category")],
            )
        check_parent(category.id, changes.parent_id, parents)
        category.parent_id = changes.parent_id
    # Re-validates the whole category (lengths of description and icon).
    Category.__post_init__(category)


class CreateCategory(_AdminWork):
    """An admin adds a category, optionally under a parent; its slug comes from the name
    unless given."""

    async def __call__(self, actor: Actor, name: str, changes: CategoryChanges) -> CategoryView:
        deps = self._deps
        self._require_admin(actor)
        async with deps.uow() as uow:
            now = deps.clock.now()
            name = category_name(name)
            category_id = deps.ids.new_id()
            if isinstance(changes.slug, Keep):
                base = slugify(name, fallback="category")
                taken = await uow.categories.slugs_like(base)
                slug = first_free_slug(base, taken.__contains__)
            else:
                slug = valid_slug(changes.slug)
            category = Category(
                id=category_id, name=name, slug=slug, created_at=now, updated_at=now
            )
            await _apply(uow, category, changes)
            await uow.categories.add(category)
            deps.audit(
                uow,
                actor,
                AuditAction.CATEGORY_CREATED,
                target_type="category",
                target_id=category_id,
                name=category.name,
            )
            await uow.commit()
        return await self._view(category_id)


class UpdateCategory(_AdminWork):
    """An admin renames, re-describes or moves a category (never into its own subtree)."""

    async def __call__(
        self, actor: Actor, category_id: UUID, changes: CategoryChanges
    ) -> CategoryView:
        deps = self._deps
        self._require_admin(actor)
        async with deps.uow() as uow:
            category = await _category(uow, category_id)
            await _apply(uow, category, changes)
            category.updated_at = deps.clock.now()
            deps.audit(
                uow,
                actor,
                AuditAction.CATEGORY_UPDATED,
                target_type="category",
                target_id=category_id,
            )
            await uow.commit()
        return await self._view(category_id)


class DeleteCategory(_AdminWork):
    """An admin deletes an empty category: no courses filed under it, no sub-categories."""

    async def __call__(self, actor: Actor, category_id: UUID) -> None:
        deps = self._deps
        self._require_admin(actor)
        async with deps.uow() as uow:
            category = await _category(uow, category_id)
            if await uow.categories.is_in_use(category_id):
                raise CategoryInUse(
                    "move its courses and sub-categories elsewhere before deleting it"
                )
            await uow.categories.remove(category)
            deps.audit(
                uow,
                actor,
                AuditAction.CATEGORY_DELETED,
                target_type="category",
                target_id=category_id,
                name=category.name,
            )
            await uow.commit()
