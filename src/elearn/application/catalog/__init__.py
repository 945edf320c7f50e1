"""Catalog use cases: categories, authoring, the review workflow and discovery."""
