"""Shared shapes for request bodies: strict structs (unknown fields are refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from elearn.application.files import Upload


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every JSON request body: no unknown fields, so no mass assignment."""


Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, examples=["ada@example.com"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=120, examples=["Ada Lovelace"])]
OpaqueToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
OneTimeCode = Annotated[str, msgspec.Meta(min_length=6, max_length=32, examples=["123456"])]


async def upload_chunks(file: UploadFile, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    while chunk := await file.read(size):
        yield chunk


def upload_of(file: UploadFile) -> Upload:
    """A multipart file as the use cases take it: a stream, and the client's name as metadata."""
    return Upload(upload_chunks(file), file.filename)
