"""URL slugs: lowercase ASCII words joined by hyphens, made from a human title."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation

MAX_SLUG_LENGTH = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Letters that Unicode does not decompose into an ASCII base letter.
_TRANSLITERATIONS = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "œ": "oe", "\u0131": "i"}
)


class InvalidSlug(RuleViolation):
    code = "invalid-slug"


def slugify(text: str, *, fallback: str = "course") -> str:
    """``"Python für Anfänger!"`` → ``"python-fur-anfanger"``. A title with no Latin letters or
    digits at all gets ``fallback``, so every title has a slug."""
    # Decomposed before lower-casing: some letters decompose into capitals (the double-struck
    # R of the reals, mathematical bold letters, the numero sign).
    folded = unicodedata.normalize("NFKD", text).lower().translate(_TRANSLITERATIONS)
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    slug = _NOT_WORD.sub("-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    if not slug:
        return fallback
    # URLs take an id or a slug in the same place: a slug must never read as an id.
    return f"{fallback}-{slug}" if _looks_like_an_id(slug) else slug


def _looks_like_an_id(slug: str) -> bool:
    try:
        UUID(slug)
    except ValueError:
        return False
    return True


def valid_slug(slug: str) -> str:
    """A slug chosen by hand must already be in slug form, and must not read as an id."""
    if not isinstance(slug, str) or len(slug) > MAX_SLUG_LENGTH or not _SLUG.fullmatch(slug):
        raise InvalidSlug(
            f"a slug is lowercase letters and digits in words joined by single hyphens, "
            f"at most {MAX_SLUG_LENGTH} characters"
        )
    if _looks_like_an_id(slug):
        raise InvalidSlug("a slug cannot have the shape of an id")
    return slug


def first_free_slug(base: str, is_taken: Callable[[str], bool]) -> str:
    """``base`` if free, else ``base-2``, ``base-3`` …, each kept within the length limit."""
    if not is_taken(base):
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        if not is_taken(candidate):
            return candidate
        number += 1
