"""Media types are decided from a file's bytes; markup is never an image."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.adapters.storage.sniffing import (
    SNIFF_BYTES,
    EmbeddedMarkupScan,
    contains_active_content,
    sniff_media_type,
)
from elearn.application.files import EXTENSION_FOR_MEDIA_TYPE


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    brands = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands + b"\x00\x00\x00\x08free"


def ebml(doc_type: bytes) -> bytes:
    body = (
        b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        + b"\x42\x82"
        + bytes([0x80 | len(doc_type)])
        + doc_type
        + b"\x42\x87\x81\x04\x42\x85\x81\x02"
    )
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
XMP = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
JPEG_WITH_XMP = b"\xff\xd8\xff\xe1\x01\x00http://ns.adobe.com/xap/1.0/\x00" + XMP
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"\xff\xfb\x90\x64" + b"\x00" * 100
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 400


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        pytest.param(JPEG, "image/jpeg", id="jpeg"),
        pytest.param(JPEG_WITH_XMP, "image/jpeg", id="jpeg-with-xmp-metadata"),
        pytest.param(png_bytes(), "image/png", id="png"),
        pytest.param(GIF, "image/gif", id="gif89a"),
        pytest.param(b"GIF87a" + GIF[6:], "image/gif", id="gif87a"),
        pytest.param(WEBP, "image/webp", id="webp"),
        pytest.param(PDF, "application/pdf", id="pdf"),
        pytest.param(ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4", id="mp4-isom"),
        pytest.param(ftyp(b"mp42", b"mp42", b"isom"), "video/mp4", id="mp4-mp42"),
        pytest.param(ftyp(b"avc1", b"avc1"), "video/mp4", id="mp4-avc1"),
        pytest.param(ftyp(b"M4V ", b"M4V ", b"mp42"), "video/mp4", id="m4v"),
        pytest.param(ftyp(b"XYZW", b"mp42"), "video/mp4", id="mp4-by-compatible-brand"),
        pytest.param(ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4", id="m4a"),
        pytest.param(ebml(b"webm"), "video/webm", id="webm"),
        pytest.param(MP3_ID3, "audio/mpeg", id="mp3-id3"),
        pytest.param(MP3_FRAME, "audio/mpeg", id="mp3-frame-sync"),
        pytest.param(zip_bytes(), "application/zip", id="zip"),
        pytest.param(b"PK\x05\x06" + b"\x00" * 18, "application/zip", id="empty-zip"),
        pytest.param(b"Hello,\r\nworld.\tTabs and \xc3\xa9t\xc3\xa9\n", "text/plain", id="text"),
        pytest.param(b"\xef\xbb\xbfWith a BOM", "text/plain", id="text-with-bom"),
    ],
)
def test_recognises_each_accepted_type(head: bytes, media_type: str) -> None:
    assert sniff_media_type(head) == media_type


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
            id="svg-with-xml-declaration",
        ),
        pytest.param(b"\xef\xbb\xbf  \r\n\t<?xml version='1.0'?><svg/>", id="xml-after-bom"),
        pytest.param("\ufeff<svg/>".encode("utf-16-le"), id="svg-utf16le-with-bom"),
        pytest.param("\ufeff<svg/>".encode("utf-16-be"), id="svg-utf16be-with-bom"),
        pytest.param("<html></html>".encode("utf-16-le"), id="html-utf16le-without-bom"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", id="html"),
        pytest.param(b"\n\n   <script>alert(1)</script>", id="script-after-whitespace"),
        pytest.param(b"<", id="a-lone-angle-bracket"),
    ],
)
def test_markup_is_never_any_type(head: bytes) -> None:
    assert sniff_media_type(head) is None
    assert contains_active_content(head)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"GIF89a/*\x00\x00*/=1;<script>alert(1)</script>", id="gif-js-polyglot"),
        pytest.param(png_bytes()[:33] + b"tEXt<html><body>x</body></html>", id="png-with-html"),
        pytest.param(JPEG[:20] + b"<SVG onload=alert(1)>", id="jpeg-with-svg-uppercase"),
    ],
)
def test_images_hiding_markup_are_refused(head: bytes) -> None:
    assert sniff_media_type(head) is None
    assert contains_active_content(head)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00\x01\x02\x03\x04\x05\x06\x07", id="binary-noise"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00", id="windows-executable"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00", id="elf-executable"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", id="wav"),
        pytest.param(ftyp(b"heic", b"mif1", b"heic"), id="heic"),
        pytest.param(ftyp(b"avif", b"avif", b"mif1", b"miaf"), id="avif"),
        pytest.param(ftyp(b"qt  ", b"qt  "), id="quicktime"),
        pytest.param(ebml(b"matroska"), id="matroska"),
        pytest.param(b"\xff\xf1\x50\x80\x02\x1f\xfc", id="aac-adts"),
        pytest.param(b"\xc3\x28 invalid utf-8", id="invalid-utf8"),
        pytest.param(b"text with a \x1b[31m terminal escape", id="control-characters"),
    ],
)
def test_unknown_bytes_have_no_type(head: bytes) -> None:
    assert sniff_media_type(head) is None


def test_a_multibyte_character_cut_by_the_sniff_window_is_still_text() -> None:
    head = b"a" * (SNIFF_BYTES - 1) + "é".encode()
    assert sniff_media_type(head) == "text/plain"


def test_only_the_sniff_window_is_read() -> None:
    assert sniff_media_type(b"a" * SNIFF_BYTES + b"\x00\x01") == "text/plain"


@given(st.binary(max_size=SNIFF_BYTES))
def test_sniffing_names_only_known_types_and_never_an_image_for_markup(head: bytes) -> None:
    media_type = sniff_media_type(head)
    assert media_type is None or media_type in EXTENSION_FOR_MEDIA_TYPE
    if media_type is not None:
        assert not head.lstrip(b" \t\r\n\f\v\x00").startswith(b"<")


@given(st.binary(max_size=SNIFF_BYTES - 1))
def test_anything_starting_with_markup_has_no_type(tail: bytes) -> None:
    assert sniff_media_type(b"\xef\xbb\xbf \n<" + tail) is None


# ---- the whole stream, not its head (issue 15, finding 14) ------------------------------------
def scanned(data: bytes, chunk_size: int) -> bool:
    scan = EmbeddedMarkupScan()
    for offset in range(0, len(data), chunk_size):
        scan.feed(data[offset : offset + chunk_size])
    return scan.found


@given(
    filler=st.binary(max_size=2048).filter(lambda b: b"<" not in b),
    marker=st.sampled_from([b"<script>", b"<SVG ", b"<!DOCTYPE html>", b"<iframe/", b"<style\n"]),
    chunk_size=st.integers(min_value=1, max_value=64),
)
def test_markup_is_found_wherever_it_sits_and_however_the_stream_is_cut(
    filler: bytes, marker: bytes, chunk_size: int
) -> None:
    assert scanned(b"GIF89a" + filler + marker + b"alert(1)", chunk_size)


@given(
    data=st.binary(max_size=4096),
    chunk_size=st.integers(min_value=1, max_value=4097),
)
def test_cutting_the_stream_never_changes_the_answer(data: bytes, chunk_size: int) -> None:
    assert scanned(data, chunk_size) == scanned(data, len(data) or 1)


def test_a_tag_name_must_end_for_it_to_be_a_tag() -> None:
    assert not scanned(b"GIF89a<scripts<svgx<html5<titles", 3)
    assert scanned(b"GIF89a<title>", 3)
