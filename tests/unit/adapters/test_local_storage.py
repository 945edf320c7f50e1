"""Local-disk file storage, and the file-name helpers around it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from elearn.adapters.storage.local import LocalFileStorage
from elearn.application.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from elearn.application.files import (
    DEFAULT_UPLOAD_POLICIES,
    MAX_FILENAME_LENGTH,
    EmptyFile,
    FileStorage,
    InvalidStorageKey,
    RangeNotSatisfiable,
    StoredFile,
    UploadPolicy,
    UploadPurpose,
    content_disposition,
    sanitize_filename,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0123456789" * 300
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'
FIXED_NOW = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)


async def stream(data: bytes, chunk_size: int = 100) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), chunk_size):
        yield data[offset : offset + chunk_size]


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if not path.is_dir()]


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "files", clock=lambda: FIXED_NOW)


async def store(
    storage: LocalFileStorage, data: bytes = PNG, *, chunk_size: int = 100, **kwargs: object
) -> StoredFile:
    kwargs.setdefault("purpose", UploadPurpose.ATTACHMENT)
    return await storage.save(stream(data, chunk_size), **kwargs)  # type: ignore[arg-type]


def test_the_local_adapter_is_a_file_storage(storage: LocalFileStorage) -> None:
    port: FileStorage = storage
    assert port is storage


# --- saving -------------------------------------------------------------------------------------


async def test_a_saved_file_is_described_and_kept_byte_for_byte(
    storage: LocalFileStorage,
) -> None:
    stored = await store(storage, PNG, purpose=UploadPurpose.AVATAR, original_name="me.png")

    assert stored.purpose is UploadPurpose.AVATAR
    assert stored.media_type == "image/png"
    assert stored.size == len(PNG)
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest()
    assert stored.original_name == "me.png"
    assert (storage.root / stored.key).read_bytes() == PNG


async def test_the_media_type_comes_from_the_bytes_not_the_name(
    storage: LocalFileStorage,
) -> None:
    stored = await store(storage, PNG, purpose=UploadPurpose.TUTOR_DOCUMENT, original_name="cv.pdf")

    assert stored.media_type == "image/png"
    assert stored.key.endswith(".png")
    assert stored.original_name == "cv.pdf"


async def test_keys_are_generated_and_hold_nothing_from_the_client_name(
    storage: LocalFileStorage,
) -> None:
    name = "../../etc/evil name.png"
    first = await store(storage, PNG, purpose=UploadPurpose.AVATAR, original_name=name)
    second = await store(storage, PNG, purpose=UploadPurpose.AVATAR, original_name=name)

    assert re.fullmatch(r"avatar/2025/03/[0-9a-f]{32}\.png", first.key)
    assert first.key != second.key
    assert "evil" not in first.key and ".." not in first.key
    assert first.original_name == "evil name.png"


async def test_the_hash_covers_a_stream_of_many_chunks(storage: LocalFileStorage) -> None:
    data = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024)

    stored = await storage.save(stream(data, 7_777), purpose=UploadPurpose.LESSON_MEDIA)

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert (storage.root / stored.key).read_bytes() == data


async def test_a_file_smaller_than_the_sniff_window_is_stored(storage: LocalFileStorage) -> None:
    data = b"%PDF-1.7\n%%EOF\n"

    stored = await store(storage, data, purpose=UploadPurpose.TUTOR_DOCUMENT)

    assert stored.media_type == "application/pdf"
    assert (storage.root / stored.key).read_bytes() == data


async def test_files_and_directories_get_restrictive_modes(storage: LocalFileStorage) -> None:
    stored = await store(storage)

    path = storage.root / stored.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o750


async def test_svg_is_refused_as_an_avatar(storage: LocalFileStorage) -> None:
    with pytest.raises(UnsupportedMediaType, match="active content"):
        await store(storage, SVG, purpose=UploadPurpose.AVATAR, original_name="me.png")

    assert files_under(storage.root) == []


async def test_a_type_outside_the_purposes_allow_list_is_refused(
    storage: LocalFileStorage,
) -> None:
    with pytest.raises(UnsupportedMediaType, match="application/pdf"):
        await store(storage, PDF, purpose=UploadPurpose.AVATAR)

    assert files_under(storage.root) == []


async def test_unrecognised_bytes_are_refused(storage: LocalFileStorage) -> None:
    with pytest.raises(UnsupportedMediaType, match="not recognised"):
        await store(storage, b"\x00\x01\x02" * 1000, purpose=UploadPurpose.ATTACHMENT)


async def test_an_empty_file_is_refused(storage: LocalFileStorage) -> None:
    with pytest.raises(EmptyFile):
        await storage.save(stream(b""), purpose=UploadPurpose.ATTACHMENT)

    assert files_under(storage.root) == []


async def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    policy = UploadPolicy(max_bytes=10_000, allowed_media_types=frozenset({"application/pdf"}))
    storage = LocalFileStorage(tmp_path, {UploadPurpose.TUTOR_DOCUMENT: policy})
    data = b"%PDF-1.7\n" + b"x" * 20_000

    with pytest.raises(PayloadTooLarge):
        await storage.save(stream(data, 1_000), purpose=UploadPurpose.TUTOR_DOCUMENT)

    assert files_under(tmp_path) == []


async def test_reading_stops_at_the_limit(tmp_path: Path) -> None:
    policy = UploadPolicy(max_bytes=5_000, allowed_media_types=frozenset({"application/pdf"}))
    storage = LocalFileStorage(tmp_path, {UploadPurpose.ATTACHMENT: policy})
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        yield b"%PDF-1.7\n"
        while True:
            consumed += 1_000
            yield b"x" * 1_000

    with pytest.raises(PayloadTooLarge):
        await storage.save(endless(), purpose=UploadPurpose.ATTACHMENT)

    assert consumed <= 5_000
    assert files_under(tmp_path) == []


async def test_a_file_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    policy = UploadPolicy(max_bytes=2_000, allowed_media_types=frozenset({"application/pdf"}))
    storage = LocalFileStorage(tmp_path, {UploadPurpose.ATTACHMENT: policy})
    data = b"%PDF-1.7\n" + b"x" * (2_000 - 9)

    stored = await storage.save(stream(data), purpose=UploadPurpose.ATTACHMENT)

    assert stored.size == 2_000


async def test_other_purposes_keep_their_default_policy(tmp_path: Path) -> None:
    policy = UploadPolicy(max_bytes=10, allowed_media_types=frozenset({"application/pdf"}))
    storage = LocalFileStorage(tmp_path, {UploadPurpose.ATTACHMENT: policy})

    stored = await storage.save(stream(PNG), purpose=UploadPurpose.AVATAR)

    assert stored.media_type == "image/png"


async def test_a_cancelled_upload_leaves_nothing(storage: LocalFileStorage) -> None:
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield PDF
        started.set()
        await asyncio.sleep(3600)
        yield b"never"

    task = asyncio.create_task(storage.save(stalls(), purpose=UploadPurpose.ATTACHMENT))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert files_under(storage.root) == []


def test_policies_reject_types_storage_cannot_recognise() -> None:
    with pytest.raises(ValueError, match="image/svg"):
        UploadPolicy(max_bytes=1, allowed_media_types=frozenset({"image/svg+xml"}))


def test_no_default_policy_accepts_markup() -> None:
    for policy in DEFAULT_UPLOAD_POLICIES.values():
        assert not any("svg" in t or "html" in t or "xml" in t for t in policy.allowed_media_types)
    assert set(DEFAULT_UPLOAD_POLICIES) == set(UploadPurpose)


# --- reading, sizes and deleting ------------------------------------------------------------------


async def test_the_size_of_a_stored_file(storage: LocalFileStorage) -> None:
    stored = await store(storage, PDF)

    assert await storage.size(stored.key) == len(PDF)


async def test_reading_a_whole_file(storage: LocalFileStorage) -> None:
    stored = await store(storage, PDF)

    assert await collect(storage.read(stored.key, chunk_size=1000)) == PDF


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(0, 0, slice(0, 1), id="first-byte"),
        pytest.param(100, None, slice(100, None), id="start-only"),
        pytest.param(100, 1_099, slice(100, 1_100), id="start-and-end-inclusive"),
        pytest.param(len(PDF) - 1, len(PDF) - 1, slice(len(PDF) - 1, None), id="last-byte"),
        pytest.param(10, len(PDF) - 1, slice(10, None), id="end-at-last-byte"),
        pytest.param(10, len(PDF) + 500, slice(10, None), id="end-past-the-file-is-clamped"),
    ],
)
async def test_range_reads_return_exactly_the_requested_bytes(
    storage: LocalFileStorage, start: int, end: int | None, expected: slice
) -> None:
    stored = await store(storage, PDF)

    data = await collect(storage.read(stored.key, start=start, end=end, chunk_size=333))

    assert data == PDF[expected]


async def test_chunks_are_no_larger_than_asked(storage: LocalFileStorage) -> None:
    stored = await store(storage, PDF)

    sizes = [len(chunk) async for chunk in storage.read(stored.key, start=5, chunk_size=256)]

    assert max(sizes) == 256
    assert sum(sizes) == len(PDF) - 5


async def test_a_range_starting_past_the_end_is_not_satisfiable(
    storage: LocalFileStorage,
) -> None:
    stored = await store(storage, PDF)

    with pytest.raises(RangeNotSatisfiable) as raised:
        await collect(storage.read(stored.key, start=len(PDF)))

    assert raised.value.size == len(PDF)


@pytest.mark.parametrize(
    ("start", "end", "chunk_size"), [(-1, None, 10), (10, 9, 10), (0, None, 0)]
)
async def test_malformed_ranges_are_refused_at_once(
    storage: LocalFileStorage, start: int, end: int | None, chunk_size: int
) -> None:
    stored = await store(storage, PDF)

    with pytest.raises(ValueError):
        storage.read(stored.key, start=start, end=end, chunk_size=chunk_size)


async def test_a_missing_file_is_not_found(storage: LocalFileStorage) -> None:
    key = "attachment/2025/03/" + "0" * 32 + ".pdf"

    with pytest.raises(NotFound):
        await storage.size(key)
    with pytest.raises(NotFound):
        await collect(storage.read(key))


async def test_delete_removes_the_file_and_is_idempotent(storage: LocalFileStorage) -> None:
    stored = await store(storage, PDF)

    await storage.delete(stored.key)
    await storage.delete(stored.key)

    assert files_under(storage.root) == []
    with pytest.raises(NotFound):
        await storage.size(stored.key)


async def test_local_storage_has_no_presigned_urls(storage: LocalFileStorage) -> None:
    stored = await store(storage, PDF)

    assert await storage.presigned_url(stored.key, expires_in_seconds=60) is None


FORGED_KEYS = [
    "../x",
    "/etc/passwd",
    "avatar/../../x",
    "avatar/2025/03/../../../../etc/passwd",
    "attachment/2025/03/" + "0" * 32 + ".pdf\x00.png",
    "attachment\\2025\\03\\" + "0" * 32 + ".pdf",
    "attachment/2025/03/" + "0" * 32 + ".pdf\n",
    "/attachment/2025/03/" + "0" * 32 + ".pdf",
    "attachment/2025/13/" + "0" * 32 + ".pdf",
    "attachment/2025/03/" + "0" * 32 + ".svg",
    "attachment/2025/03/" + "A" * 32 + ".pdf",
    "attachment/2025/03/" + "٣" * 32 + ".pdf",
    "secrets/2025/03/" + "0" * 32 + ".pdf",
    ".upload-" + "0" * 32 + ".part",
    "",
    ".",
]


@pytest.mark.parametrize("key", FORGED_KEYS)
async def test_forged_keys_are_refused_everywhere(storage: LocalFileStorage, key: str) -> None:
    with pytest.raises(InvalidStorageKey):
        await storage.size(key)
    with pytest.raises(InvalidStorageKey):
        storage.read(key)
    with pytest.raises(InvalidStorageKey):
        await storage.delete(key)
    with pytest.raises(InvalidStorageKey):
        await storage.presigned_url(key, expires_in_seconds=60)


def test_a_forged_key_looks_like_a_missing_file() -> None:
    assert issubclass(InvalidStorageKey, NotFound)


async def test_a_symbolic_link_out_of_the_root_is_not_followed(
    storage: LocalFileStorage, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    key = "attachment/2025/03/" + "1" * 32 + ".txt"
    link = storage.root / key
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)

    with pytest.raises(NotFound):
        await storage.size(key)
    with pytest.raises(NotFound):
        await collect(storage.read(key))
    await storage.delete(key)

    assert not link.is_symlink()
    assert secret.read_text() == "top secret"


async def test_a_directory_linked_out_of_the_root_is_not_followed(
    storage: LocalFileStorage, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "03"
    outside.mkdir(parents=True)
    victim = outside / ("2" * 32 + ".txt")
    victim.write_text("keep me")
    (storage.root / "attachment").mkdir()
    (storage.root / "attachment" / "2025").symlink_to(tmp_path / "outside")
    key = "attachment/2025/03/" + "2" * 32 + ".txt"

    with pytest.raises(NotFound):
        await collect(storage.read(key))
    with pytest.raises(NotFound):
        await storage.delete(key)

    assert victim.read_text() == "keep me"


# --- file names and Content-Disposition ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\cv.pdf", "cv.pdf"),
        ("/absolute/path/photo.jpg", "photo.jpg"),
        ('my "best" cv.pdf', "my best cv.pdf"),
        ("it's.pdf", "its.pdf"),
        ("a\r\nContent-Type: evil.pdf", "aContent-Type_ evil.pdf"),
        ("name\x00.pdf", "name.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        (".htaccess", "htaccess"),
        ("...", None),
        ("  spaced   out  .pdf  ", "spaced out .pdf"),
        ("", None),
        (None, None),
        ("/", None),
        ("CON.txt", "_CON.txt"),
        ("a<b>c|d?e*f:g.txt", "a_b_c_d_e_f_g.txt"),
        ("Re\u0301sume\u0301.pdf", "Résumé.pdf"),
        ("简历.pdf", "简历.pdf"),
    ],
)
def test_sanitize_filename(name: str | None, expected: str | None) -> None:
    assert sanitize_filename(name) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = sanitize_filename("x" * 1000 + ".pdf")

    assert name is not None
    assert len(name) == MAX_FILENAME_LENGTH
    assert name.endswith("x.pdf")


def test_a_long_name_without_extension_is_cut() -> None:
    assert sanitize_filename("y" * 1000) == "y" * MAX_FILENAME_LENGTH


@pytest.mark.parametrize(
    ("name", "inline", "expected"),
    [
        ("report.pdf", False, "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        (
            "lesson 1.mp4",
            True,
            "inline; filename=\"lesson 1.mp4\"; filename*=UTF-8''lesson%201.mp4",
        ),
        (
            "Résumé.pdf",
            False,
            "attachment; filename=\"Resume.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf",
        ),
        (
            "简历.pdf",
            False,
            "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E7%AE%80%E5%8E%86.pdf",
        ),
        (
            'x";\r\nSet-Cookie: a=b.pdf',
            False,
            'attachment; filename="x_Set-Cookie_ a=b.pdf"; '
            "filename*=UTF-8''x%3BSet-Cookie_%20a%3Db.pdf",
        ),
        ("100%.txt", False, "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
        (None, False, "attachment"),
        ("../..", True, "inline"),
    ],
)
def test_content_disposition(name: str | None, inline: bool, expected: str) -> None:
    assert content_disposition(name, inline=inline) == expected


@given(st.text())
@example('C"\u0301')  # dropping the quote lets C and the accent compose
def test_sanitized_names_hold_no_separators_controls_or_quotes(name: str) -> None:
    sanitized = sanitize_filename(name)

    if sanitized is not None:
        assert sanitized
        assert not set(sanitized) & set("/\\\"'`\x00")
        assert not any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in sanitized)
        assert not sanitized.startswith((".", " "))
        assert len(sanitized) <= MAX_FILENAME_LENGTH
        assert sanitize_filename(sanitized) == sanitized


@given(st.text(), st.booleans())
def test_content_disposition_is_one_ascii_header_line(name: str, inline: bool) -> None:
    value = content_disposition(name, inline=inline)

    assert value.isascii()
    assert "\r" not in value and "\n" not in value and "\x00" not in value
    assert all(char == " " or char.isprintable() for char in value)
    fallback = re.fullmatch(r'(inline|attachment)(; filename="([^"]*)"; filename\*=\S+)?', value)
    assert fallback is not None


# --- active content anywhere in an image (issue 15, finding 14) ---------------------------------
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
IMAGE_MARKERS = (b"<script>", b"<SCRIPT src=x>", b"<svg onload=alert(1)>", b"<html>", b"<iframe/")


async def test_a_gif_with_a_script_after_filler_is_refused(storage: LocalFileStorage) -> None:
    polyglot = GIF + b"\x00" * (64 * 1024) + b"<script>alert(document.cookie)</script>"

    with pytest.raises(UnsupportedMediaType, match="active content"):
        await store(storage, polyglot, purpose=UploadPurpose.AVATAR, chunk_size=4096)

    assert files_under(storage.root) == []


@given(
    offset=st.integers(min_value=0, max_value=3 * 64 * 1024),
    marker=st.sampled_from(IMAGE_MARKERS),
    chunk_size=st.integers(min_value=256, max_value=70 * 1024),
)
@example(offset=512 - len(GIF) - 3, marker=b"<script>", chunk_size=512)  # across the old window
@example(offset=2 * 1024 * 1024, marker=b"<html>", chunk_size=64 * 1024)  # past the write buffer
async def test_markup_anywhere_in_an_image_is_refused_however_it_is_chunked(
    tmp_path_factory: pytest.TempPathFactory, offset: int, marker: bytes, chunk_size: int
) -> None:
    storage = LocalFileStorage(tmp_path_factory.mktemp("files"), clock=lambda: FIXED_NOW)
    polyglot = GIF + b"\x00" * offset + marker + b"alert(1)"

    with pytest.raises(UnsupportedMediaType, match="active content"):
        await store(storage, polyglot, purpose=UploadPurpose.AVATAR, chunk_size=chunk_size)

    assert files_under(storage.root) == []


async def test_an_image_whose_bytes_only_resemble_a_tag_is_kept(storage: LocalFileStorage) -> None:
    # `<scripts`, `<svgx` are no tags to an HTML parser; compressed pixel data is full of `<`.
    data = GIF + b"\x00" * 4096 + b"<scripts<svgx<html5<" + bytes(range(256)) * 64

    stored = await store(storage, data, purpose=UploadPurpose.AVATAR, chunk_size=1000)

    assert stored.media_type == "image/gif"
    assert (storage.root / stored.key).read_bytes() == data


async def test_markup_deep_in_a_text_file_or_a_pdf_is_not_an_image_concern(
    storage: LocalFileStorage,
) -> None:
    # Served as text/plain or application/pdf with nosniff: a browser never runs it as HTML.
    essay = b"My essay on XSS.\n" + b"filler " * 200 + b"<script>alert(1)</script>\n"
    stored = await store(storage, essay, purpose=UploadPurpose.ATTACHMENT)
    assert stored.media_type == "text/plain"
