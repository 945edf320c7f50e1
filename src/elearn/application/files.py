"""File storage: the port, the upload policies and the file-name helpers used around it.

Uploads are untrusted. Whatever stores them (local disk, S3-compatible object storage):

- reads the bytes as a stream and stops as soon as the purpose's size limit is passed;
- decides the media type from the file's own bytes, never from the client's header or name,
  and accepts only the purpose's allow-list (no SVG, HTML or other active content as images);
- generates the storage key itself, so no part of a client's input becomes a path;
- records a SHA-256 of the content;
- keeps the client's file name only as sanitised metadata, for a `Content-Disposition`.

The caller records the returned `StoredFile` (key, media type, size, hash, name) next to the
object that owns the file; storage keeps only the bytes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar
from urllib.parse import quote

from elearn.application.errors import ApplicationError, InvalidInput, NotFound
from elearn.application.ports import Transaction, TransactionFactory

UnitOfWorkT = TypeVar("UnitOfWorkT", bound=Transaction)

logger = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


class UploadPurpose(StrEnum):
    """What an upload is for; each purpose has its own size limit and media types."""

    AVATAR = "avatar"
    COURSE_THUMBNAIL = "course_thumbnail"
    TUTOR_DOCUMENT = "tutor_document"  # CVs, diplomas, certificates
    LESSON_MEDIA = "lesson_media"  # video, audio, PDFs and images of a lesson
    ATTACHMENT = "attachment"  # assignment submissions, message and ticket attachments
    CERTIFICATE = "certificate"  # the PDFs the platform issues
    DATA_EXPORT = "data_export"  # a person's archive of their own data (privacy)
    REPORT = "report"  # a staff report's CSV or PDF (reporting)


# Every media type storage can recognise from a file's bytes, with the extension its keys use.
EXTENSION_FOR_MEDIA_TYPE: Mapping[str, str] = MappingProxyType(
    {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
        "video/mp4": ".mp4",
        "video/webm": ".webm",
        "audio/mpeg": ".mp3",
        "audio/mp4": ".m4a",
        "application/zip": ".zip",
        "text/plain": ".txt",
    }
)

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
DOCUMENT_MEDIA_TYPES = frozenset({"application/pdf"})
VIDEO_MEDIA_TYPES = frozenset({"video/mp4", "video/webm"})
AUDIO_MEDIA_TYPES = frozenset({"audio/mpeg", "audio/mp4"})


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    """The largest upload accepted for a purpose, and the media types it may have."""

    max_bytes: int
    allowed_media_types: frozenset[str]

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if not self.allowed_media_types:
            raise ValueError("allowed_media_types must not be empty")
        unknown = self.allowed_media_types - EXTENSION_FOR_MEDIA_TYPE.keys()
        if unknown:
            raise ValueError(f"media types storage cannot recognise: {sorted(unknown)}")

    def allows(self, media_type: str) -> bool:
        return media_type in self.allowed_media_types


DEFAULT_UPLOAD_POLICIES: Mapping[UploadPurpose, UploadPolicy] = MappingProxyType(
    {
        UploadPurpose.AVATAR: UploadPolicy(5 * MiB, IMAGE_MEDIA_TYPES),
        UploadPurpose.COURSE_THUMBNAIL: UploadPolicy(5 * MiB, IMAGE_MEDIA_TYPES),
        UploadPurpose.TUTOR_DOCUMENT: UploadPolicy(
            10 * MiB, DOCUMENT_MEDIA_TYPES | IMAGE_MEDIA_TYPES
        ),
        UploadPurpose.LESSON_MEDIA: UploadPolicy(
            2 * GiB,
            VIDEO_MEDIA_TYPES | AUDIO_MEDIA_TYPES | DOCUMENT_MEDIA_TYPES | IMAGE_MEDIA_TYPES,
        ),
        UploadPurpose.ATTACHMENT: UploadPolicy(
            25 * MiB,
            DOCUMENT_MEDIA_TYPES | IMAGE_MEDIA_TYPES | frozenset({"application/zip", "text/plain"}),
        ),
        UploadPurpose.CERTIFICATE: UploadPolicy(10 * MiB, DOCUMENT_MEDIA_TYPES),
        UploadPurpose.DATA_EXPORT: UploadPolicy(8 * GiB, frozenset({"application/zip"})),
        UploadPurpose.REPORT: UploadPolicy(8 * GiB, DOCUMENT_MEDIA_TYPES | {"text/plain"}),
    }
)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file that storage accepted; the caller keeps this record."""

    key: str
    purpose: UploadPurpose
    media_type: str  # sniffed from the bytes
    size: int
    sha256: str  # lowercase hex
    original_name: str | None  # sanitised; for Content-Disposition only, never a path


@dataclass(frozen=True, slots=True)
class Upload:
    """A file arriving as a stream, with the name the client gave it (metadata only)."""

    chunks: AsyncIterable[bytes]
    filename: str | None = None


class InvalidStorageKey(NotFound):
    """A key that storage could never have generated (traversal, absolute path, NUL, ...).

    It is a `NotFound`, so that a forged key looks exactly like a missing file (HTTP 404).
    """


class EmptyFile(InvalidInput):
    """An upload with no content (HTTP 422)."""

    code = "empty-file"


class RangeNotSatisfiable(ApplicationError):
    """A byte range that starts at or after the end of the file (HTTP 416)."""

    code = "range-not-satisfiable"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size  # for `Content-Range: bytes */{size}`


class FileStorage(Protocol):
    """Where uploaded files live: a local directory, or S3-compatible object storage."""

    async def save(
        self,
        chunks: AsyncIterable[bytes],
        *,
        purpose: UploadPurpose,
        original_name: str | None = None,
    ) -> StoredFile:
        """Store a stream under a new key if it fits the purpose's policy.

        Raises `PayloadTooLarge` past the size limit, `UnsupportedMediaType` when the bytes are
        not of an allowed type (the client's declared type is not consulted), `EmptyFile` for
        no bytes at all. Nothing is kept when it raises.
        """
        ...

    async def size(self, key: str) -> int:
        """The size in bytes of a stored file. Raises `NotFound`."""
        ...

    def read(
        self,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = 64 * KiB,
    ) -> AsyncIterator[bytes]:
        """Stream bytes `start` to `end` of a stored file, both inclusive as in HTTP ranges.

        `end=None`, or an `end` past the last byte, reads to the end of the file. A malformed
        key raises `InvalidStorageKey` at once and bad arguments `ValueError`; a missing file
        raises `NotFound` and a `start` at or past the end `RangeNotSatisfiable` when
        iteration begins (call `size` first to answer 404 or 416 before a response starts).
        """
        ...

    async def delete(self, key: str) -> None:
        """Remove a stored file. Deleting a missing file does nothing, so retries are safe."""
        ...

    async def presigned_url(self, key: str, *, expires_in_seconds: int) -> str | None:
        """A time-limited URL a client can fetch the file from directly, if storage has one.

        `None` means the application must stream the file itself (`read`).
        """
        ...


class KeptUntil(Protocol):
    """What holds a file kept until a time (a staff report, a data export): it gives up the
    file's key once expired, and keeps its own record."""

    def forget_file(self) -> str | None: ...


async def purge_expired_files(
    uow: TransactionFactory[UnitOfWorkT],
    expired: Callable[[UnitOfWorkT, int], Awaitable[Sequence[KeptUntil]]],
    storage: FileStorage,
    *,
    batch: int = 200,
) -> int:
    """The periodic job of files kept until a time: up to ``batch`` of those past it (``expired``
    in a unit of work, at most that many) forget their files, then the files are deleted (the
    records stay, without a file). How many went."""
    # Most runs find nothing: they look without taking the write lock (SQLite has one).
    async with uow(read_only=True) as reading:
        if not await expired(reading, 1):
            return 0
    async with uow() as writing:
        keys = [holder.forget_file() for holder in await expired(writing, batch)]
        await writing.commit()
    await delete_quietly(storage, *keys)
    return len(keys)


# --- files served to one reader ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivateFile:
    """A stored file a use case lets one reader download, once it checked their right to it:
    what the route streams, never cached (``entrypoints.http.downloads``)."""

    key: str
    content_type: str
    filename: str | None
    size: int


async def private_file(
    storage: FileStorage,
    key: str,
    content_type: str,
    filename: str | None,
    *,
    missing: ApplicationError,
) -> PrivateFile:
    """The file with its size, asked before the answer starts: a file gone from storage raises
    ``missing`` (the caller's 404), not a stream that breaks halfway."""
    try:
        size = await storage.size(key)
    except NotFound:
        raise missing from None
    return PrivateFile(key, content_type, filename, size)


def link_expiry(expires: int) -> datetime | None:
    """When a signed download link's ``expires`` (Unix seconds, as the link carries it) falls;
    None for a number no date can be (a forged link)."""
    try:
        return datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        return None


async def delete_quietly(storage: FileStorage, *keys: str | None) -> None:
    """Best effort: a file left behind costs disk space, never correctness."""
    for key in keys:
        if key is None:
            continue
        try:
            await storage.delete(key)
        except Exception:
            logger.warning("could not delete stored file %s", key, exc_info=True)


# --- file names -------------------------------------------------------------------------------

MAX_FILENAME_LENGTH = 150
_MAX_EXTENSION_LENGTH = 10

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DROPPED_CHARACTERS = frozenset("\"'`")
_REPLACED_CHARACTERS = frozenset("<>:|?*")  # not allowed in Windows file names
_WINDOWS_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)
_WHITESPACE_RUN = re.compile(r"\s+")


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= _MAX_EXTENSION_LENGTH and extension.isalnum():
        return stem, dot + extension
    return name, ""


def sanitize_filename(name: str | None) -> str | None:
    """A client's file name made safe to show and to offer as a download name.

    Keeps only the last path component; drops control, format (bidi overrides, zero-width),
    unassigned and private-use characters, and quotes; replaces characters Windows forbids;
    NFC-normalises; collapses whitespace; strips leading and trailing dots and spaces; and caps
    the length at `MAX_FILENAME_LENGTH` characters, keeping the extension. `None` when
    nothing usable is left. The result is never used as a path.
    """
    if not name:
        return None
    # NFC first: it maps some characters onto ones filtered below (U+037E to ';', U+1FEF to '`').
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rpartition("/")[2]
    kept: list[str] = []
    for char in name:
        category = unicodedata.category(char)
        if category in _DROPPED_CATEGORIES or char in _DROPPED_CHARACTERS:
            continue
        if char in _REPLACED_CHARACTERS:
            kept.append("_")
        elif category == "Zs":
            kept.append(" ")
        else:
            kept.append(char)
    # Again: a dropped character may have kept a letter from composing with its accent.
    name = unicodedata.normalize("NFC", "".join(kept))
    name = _WHITESPACE_RUN.sub(" ", name).strip(" .")
    if not name:
        return None
    stem, extension = _split_extension(name)
    if stem.upper() in _WINDOWS_DEVICE_NAMES:
        stem = "_" + stem
    if len(stem) + len(extension) > MAX_FILENAME_LENGTH:
        stem = stem[: MAX_FILENAME_LENGTH - len(extension)].rstrip(" .")
    return stem + extension


# Characters kept as they are in a quoted `filename="..."`; everything else becomes "_".
_ASCII_FALLBACK_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$&()+,-.=@[]^_{}~"
)
# RFC 5987 attr-char, minus the alphanumerics `quote` keeps anyway.
_RFC5987_SAFE = "!#$&+-.^_`|~"


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(
        char if char in _ASCII_FALLBACK_SAFE else "_"
        for char in decomposed
        if not unicodedata.combining(char)
    )
    stem, extension = _split_extension(ascii_only)
    if not stem.strip(" ._"):
        stem = "download"
    return (stem + extension).strip(" .") or "download"


def content_disposition(filename: str | None, *, inline: bool) -> str:
    """A `Content-Disposition` header value offering `filename` as the download name.

    The name is sanitised first; the value carries a plain-ASCII `filename` for old clients and
    the exact name as RFC 5987 `filename*=UTF-8''...`. It is always ASCII, with no CR or LF.
    """
    disposition = "inline" if inline else "attachment"
    safe_name = sanitize_filename(filename)
    if safe_name is None:
        return disposition
    encoded = quote(safe_name, safe=_RFC5987_SAFE, encoding="utf-8")
    return f"{disposition}; filename=\"{_ascii_fallback(safe_name)}\"; filename*=UTF-8''{encoded}"
