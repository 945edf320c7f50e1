"""Shared shapes for request bodies: strict structs (unknown fields are refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from elearn.application.files import Upload
from elearn.domain.catalog.course import MAX_PRICE_MINOR_UNITS
from elearn.domain.shared.money import Money


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every JSON request body: no unknown fields, so no mass assignment."""


CurrencyCode = Annotated[
    str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217", examples=["USD"])
]


class MoneyBody(RequestBody):
    """Money as every request takes it, the shape every answer gives it in: an amount in minor
    units (cents for USD, yen for JPY) and an ISO 4217 code. Whether the amount suits its use
    (a price is more than 0, a rate may be 0) is the use case's rule (422)."""

    amount: Annotated[int, msgspec.Meta(ge=0, le=MAX_PRICE_MINOR_UNITS, examples=[4999])]
    currency: CurrencyCode

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


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
