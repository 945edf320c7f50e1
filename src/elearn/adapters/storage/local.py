"""File storage in a local directory (the embedded default).

Layout: `{root}/{purpose}/{yyyy}/{mm}/{32 hex digits}{.ext}`, the key being the path below the
root. An upload is first buffered in memory up to `SNIFF_BYTES` to decide its media type, then
streamed (an image scanned for embedded markup on the way, to its last byte) into a hidden
temporary file in the root itself (`.upload-*.part`, same file system, so the final
`os.replace` is atomic), hashed as it goes, and moved under its key only when complete.
Temporary files orphaned by a killed process match no key and can be removed by age.

Blocking calls run in worker threads. A cancelled upload or read lets the file operation in
flight finish before it cleans up, so no descriptor is closed under a running thread.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import re
import stat
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar
from uuid import uuid4

from elearn.adapters.storage.sniffing import (
    MARKUP_SCANNED_TYPES,
    SNIFF_BYTES,
    EmbeddedMarkupScan,
    contains_active_content,
    sniff_media_type,
)
from elearn.application.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from elearn.application.files import (
    DEFAULT_UPLOAD_POLICIES,
    EXTENSION_FOR_MEDIA_TYPE,
    EmptyFile,
    InvalidStorageKey,
    KiB,
    MiB,
    RangeNotSatisfiable,
    StoredFile,
    UploadPolicy,
    UploadPurpose,
    sanitize_filename,
)

FILE_MODE = 0o640
DIRECTORY_MODE = 0o750
_WRITE_BUFFER_BYTES = 1 * MiB
_TEMPORARY_PREFIX = ".upload-"

_KEY_PATTERN = re.compile(
    "(?:{purposes})/[0-9]{{4}}/(?:0[1-9]|1[0-2])/[0-9a-f]{{32}}(?:{extensions})".format(
        purposes="|".join(re.escape(purpose.value) for purpose in UploadPurpose),
        extensions="|".join(
            re.escape(extension) for extension in sorted(set(EXTENSION_FOR_MEDIA_TYPE.values()))
        ),
    )
)
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

P = ParamSpec("P")
T = TypeVar("T")


async def _blocking(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call in a worker thread; on cancellation, let it finish first."""
    future = asyncio.get_running_loop().run_in_executor(
        None, functools.partial(function, *args, **kwargs)
    )
    interrupted = False
    while not future.done():
        try:
            await asyncio.wait((future,))  # unlike awaiting it, never cancels the future
        except asyncio.CancelledError:
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError
    return future.result()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _TemporaryUpload:
    """A hidden file in the root that becomes a stored file on `commit`, or disappears."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self.path = root / f"{_TEMPORARY_PREFIX}{uuid4().hex}.part"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, FILE_MODE)
        self._committed_to: Path | None = None
        self.sha256 = hashlib.sha256()
        try:
            os.chmod(self._fd if os.chmod in os.supports_fd else self.path, FILE_MODE)  # umask
        except BaseException:
            self.discard()
            raise

    def write(self, data: bytes | bytearray) -> None:
        self.sha256.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def commit(self, key: str) -> None:
        os.fsync(self._fd)
        self._close()
        destination = self._root / key
        directory = self._root
        for part in key.split("/")[:-1]:
            directory = directory / part
            try:
                directory.mkdir(mode=DIRECTORY_MODE)
            except FileExistsError:
                continue
            directory.chmod(DIRECTORY_MODE)  # umask
        os.replace(self.path, destination)
        self._committed_to = destination

    def discard(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)
        if self._committed_to is not None:  # committed, but the caller never learnt the key
            self._committed_to.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


class LocalFileStorage:
    """A `FileStorage` in a directory on the local disk.

    `policies` replaces the default policy of the purposes it names.
    """

    def __init__(
        self,
        root: Path,
        policies: Mapping[UploadPurpose, UploadPolicy] = DEFAULT_UPLOAD_POLICIES,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        root.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        self._root = root.resolve()
        self._policies: dict[UploadPurpose, UploadPolicy] = {
            **DEFAULT_UPLOAD_POLICIES,
            **policies,
        }
        self._clock = clock

    @property
    def root(self) -> Path:
        return self._root

    async def save(
        self,
        chunks: AsyncIterable[bytes],
        *,
        purpose: UploadPurpose,
        original_name: str | None = None,
    ) -> StoredFile:
        purpose = UploadPurpose(purpose)
        policy = self._policies[purpose]
        stream = aiter(chunks)
        size = 0

        # Nothing touches the disk before the bytes show an accepted type.
        head = bytearray()
        async for chunk in stream:
            size += len(chunk)
            _check_size(size, policy, purpose)
            head += chunk
            if len(head) >= SNIFF_BYTES:
                break
        if size == 0:
            raise EmptyFile("The file is empty.")
        media_type = _accepted_media_type(bytes(head[:SNIFF_BYTES]), policy, purpose)

        now = self._clock()
        extension = EXTENSION_FOR_MEDIA_TYPE[media_type]
        key = f"{purpose.value}/{now:%Y}/{now:%m}/{uuid4().hex}{extension}"
        markup = EmbeddedMarkupScan() if media_type in MARKUP_SCANNED_TYPES else None
        if markup is not None and markup.feed(head):
            raise UnsupportedMediaType(_ACTIVE_CONTENT_REFUSED)
        upload = await _blocking(_TemporaryUpload, self._root)
        try:
            pending = head
            async for chunk in stream:
                size += len(chunk)
                _check_size(size, policy, purpose)
                if markup is not None and markup.feed(chunk):
                    raise UnsupportedMediaType(_ACTIVE_CONTENT_REFUSED)
                pending += chunk
                if len(pending) >= _WRITE_BUFFER_BYTES:
                    data, pending = pending, bytearray()
                    await _blocking(upload.write, data)
            if pending:
                await _blocking(upload.write, pending)
            await _blocking(upload.commit, key)
        except BaseException:
            upload.discard()
            raise
        return StoredFile(
            key=key,
            purpose=purpose,
            media_type=media_type,
            size=size,
            sha256=upload.sha256.hexdigest(),
            original_name=sanitize_filename(original_name),
        )

    async def size(self, key: str) -> int:
        path = self._path_for(key)
        return await _blocking(self._size_of, path)

    def read(
        self,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = 64 * KiB,
    ) -> AsyncIterator[bytes]:
        path = self._path_for(key)
        if start < 0:
            raise ValueError("start must not be negative")
        if end is not None and end < start:
            raise ValueError("end must not be before start")
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        return self._stream(path, start, end, chunk_size)

    async def delete(self, key: str) -> None:
        path = self._path_for(key)
        await _blocking(self._unlink, path)

    async def presigned_url(self, key: str, *, expires_in_seconds: int) -> str | None:
        self._path_for(key)
        return None

    # --- keys and paths -----------------------------------------------------------------------

    def _path_for(self, key: str) -> Path:
        """The path of a key storage could have generated; refuses anything else."""
        if not isinstance(key, str) or _KEY_PATTERN.fullmatch(key) is None:
            raise InvalidStorageKey("No such file.")
        return self._root.joinpath(*key.split("/"))

    def _inside_root(self, path: Path) -> Path:
        """`path` with symbolic links resolved, if that is still inside the root."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as error:  # a symbolic link loop
            raise NotFound("No such file.") from error
        if not resolved.is_relative_to(self._root):
            raise InvalidStorageKey("No such file.")
        return resolved

    def _open(self, path: Path) -> tuple[BinaryIO, int]:
        resolved = self._inside_root(path)
        try:
            fd = os.open(resolved, os.O_RDONLY | _OPEN_FLAGS)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as error:
            raise NotFound("No such file.") from error
        file = os.fdopen(fd, "rb", buffering=0)
        try:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise NotFound("No such file.")
        except BaseException:
            file.close()
            raise
        return file, status.st_size

    def _size_of(self, path: Path) -> int:
        resolved = self._inside_root(path)
        try:
            status = resolved.stat()
        except (FileNotFoundError, NotADirectoryError) as error:
            raise NotFound("No such file.") from error
        if not stat.S_ISREG(status.st_mode):
            raise NotFound("No such file.")
        return status.st_size

    def _unlink(self, path: Path) -> None:
        # Only the directory is resolved: a symbolic link under a key is removed, not followed.
        directory = self._inside_root(path.parent)
        (directory / path.name).unlink(missing_ok=True)

    async def _stream(
        self, path: Path, start: int, end: int | None, chunk_size: int
    ) -> AsyncIterator[bytes]:
        # Opening, seeking and the first chunk in one trip to a worker thread: a range that
        # fits in one chunk (a player seeking) costs one trip, not three.
        file, remaining, data = await _blocking(self._open_at, path, start, end, chunk_size)
        try:
            while data:
                remaining -= len(data)
                yield data
                if remaining <= 0:
                    return
                data = await _blocking(file.read, min(chunk_size, remaining))
            # No data with some still due: the file was truncated while being read.
        finally:
            file.close()

    def _open_at(
        self, path: Path, start: int, end: int | None, chunk_size: int
    ) -> tuple[BinaryIO, int, bytes]:
        """The open file, the length of the range wanted in it, and its first chunk."""
        file, size = self._open(path)
        try:
            if start >= size:
                raise RangeNotSatisfiable(
                    f"The range starts at byte {start}, the file has {size}.", size=size
                )
            last = size - 1 if end is None else min(end, size - 1)
            remaining = last - start + 1
            file.seek(start)
            return file, remaining, file.read(min(chunk_size, remaining))
        except BaseException:
            file.close()
            raise


_ACTIVE_CONTENT = "Files with active content (SVG, HTML, XML, scripts) are not accepted"
_ACTIVE_CONTENT_REFUSED = f"{_ACTIVE_CONTENT}."


def _check_size(size: int, policy: UploadPolicy, purpose: UploadPurpose) -> None:
    if size > policy.max_bytes:
        raise PayloadTooLarge(
            f"The file is larger than the {policy.max_bytes} bytes allowed for {purpose.value}."
        )


def _accepted_media_type(head: bytes, policy: UploadPolicy, purpose: UploadPurpose) -> str:
    media_type = sniff_media_type(head)
    if media_type is not None and policy.allows(media_type):
        return media_type
    allowed = ", ".join(sorted(policy.allowed_media_types))
    if media_type is None and contains_active_content(head):
        reason = _ACTIVE_CONTENT
    elif media_type is None:
        reason = "The file's type is not recognised"
    else:
        reason = f"Files of type {media_type} are not accepted for {purpose.value}"
    raise UnsupportedMediaType(f"{reason}; accepted: {allowed}.")
