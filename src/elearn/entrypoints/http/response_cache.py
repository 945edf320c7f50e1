"""Whole responses of the public catalog, cached for anonymous visitors only.

A signed-in user may see more than the public (their own drafts, lesson content they teach), so
a request with credentials never reads or fills the cache. Anonymous answers are the same for
everyone and may be ``catalog_cache_seconds`` old, like the catalog cache behind them; the
author of a change is signed in and so always reads it at once.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar import Request
from litestar.config.response_cache import ResponseCacheConfig, default_cache_key_builder
from litestar.types import HTTPScope


def _has_credentials(headers: Any) -> bool:
    return any(name in (b"authorization", b"cookie") for name, _ in headers)


def _key(request: Request[Any, Any, Any]) -> str:
    if _has_credentials(request.scope["headers"]):
        return f"private:{uuid4().hex}"  # never stored (see _store_only_public), never found
    return default_cache_key_builder(request)


def _store_only_public(scope: HTTPScope, status_code: int) -> bool:
    return status_code == 200 and not _has_credentials(scope["headers"])


def public_response_cache(seconds: float) -> ResponseCacheConfig:
    return ResponseCacheConfig(
        default_expiration=max(1, round(seconds)),
        key_builder=_key,
        cache_response_filter=_store_only_public if seconds > 0 else lambda _s, _c: False,
    )
