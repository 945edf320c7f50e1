"""Media type sniffing: what a file is, decided from its first bytes.

The client's `Content-Type` and file name are never consulted. `sniff_media_type` looks at
the first `SNIFF_BYTES` bytes of a file and names one of the types storage accepts
(`elearn.application.files.EXTENSION_FOR_MEDIA_TYPE`), or returns `None`:

1. Active content first. After any byte-order mark, whitespace and NUL bytes (UTF-16 text), a
   leading `<` means markup: SVG, HTML, XML, XHTML. Markup can carry scripts, so it is never
   any type, least of all an image.
2. Signatures ("magic numbers") at fixed offsets:
   - JPEG `FF D8 FF`; PNG `89 'PNG' 0D 0A 1A 0A`; GIF `GIF87a`/`GIF89a`;
     WebP `RIFF` <size> `WEBP` `VP8`; PDF `%PDF-`;
   - ISO base media (`ftyp` box at offset 4): brand `M4A `/`M4B ` is audio/mp4, the MP4
     video brands (`isom`, `iso2`..`iso6`, `mp41`, `mp42`, `avc1`, `dash`, `M4V `, ...) are
     video/mp4; the major brand decides, compatible brands only when the major one is unknown;
     HEIF/AVIF/QuickTime/3GP brands are not accepted;
   - EBML `1A 45 DF A3` with DocType `webm` (Matroska is not accepted);
   - MP3: an `ID3v2` tag, or an MPEG-1/2/2.5 Layer III frame header;
   - ZIP: a local file header `PK 03 04` or the end record of an empty archive `PK 05 06`.
   An image whose first bytes also hold HTML or SVG tags (a polyglot aimed at browsers that
   sniff content) is refused; storage then scans the rest of an image's stream for the same
   tags (`EmbeddedMarkupScan`), so filler cannot push a tag out of sight.
3. Plain text, last: valid UTF-8 (an optional BOM, a multi-byte character cut at the end of
   the sniffed bytes allowed) with no control characters other than tab, CR, LF and FF.

Serving must still send the stored media type with `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

SNIFF_BYTES = 512

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
_MARKUP_PADDING = b" \t\r\n\f\v\x00"
# Tags that make browsers that sniff content treat a file as HTML or SVG. A tag name ends at
# whitespace, `/` or `>` (as an HTML tokenizer reads it): `<svgx` in compressed pixels is no tag.
_EMBEDDED_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|script|svg|iframe|object|embed|style|title)(?=[\s/>])",
    re.IGNORECASE,
)
# Longer than the longest tag with its delimiter, so a tag cut by a chunk boundary is seen whole.
_SCAN_OVERLAP = 16

_MP4_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B "})
_MP4_VIDEO_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"dash",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"mmp4",
        b"MSNV",
        b"f4v ",
    }
)
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Types whose whole content is scanned for markup: what browsers that sniff may render as HTML.
# Text and PDFs are served as what they are with nosniff; an essay may quote `<script>`.
MARKUP_SCANNED_TYPES = _IMAGE_TYPES
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f")


def starts_with_markup(head: bytes) -> bool:
    """Whether the bytes begin, after a BOM, whitespace and NULs, with `<` (SVG, HTML, XML)."""
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip(_MARKUP_PADDING).startswith(b"<")


def contains_active_content(head: bytes) -> bool:
    """Whether the bytes are, or hide near their start, markup a browser could execute."""
    return starts_with_markup(head) or _EMBEDDED_MARKUP.search(head[:SNIFF_BYTES]) is not None


class EmbeddedMarkupScan:
    """Looks for markup tags across a whole stream, chunk by chunk, keeping only the last few
    bytes of the previous chunk: memory stays bounded by the chunk size, whatever the file's."""

    def __init__(self) -> None:
        self._tail = b""
        self.found = False

    def feed(self, chunk: bytes | bytearray) -> bool:
        """Scan the next chunk; True once a tag has been seen anywhere so far."""
        if not self.found and chunk:
            window = self._tail + bytes(chunk)
            self.found = _EMBEDDED_MARKUP.search(window) is not None
            self._tail = window[-_SCAN_OVERLAP:]
        return self.found


def _sniff_iso_media(head: bytes) -> str | None:
    if head[4:8] != b"ftyp" or len(head) < 12:
        return None
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16:
        return None
    major = head[8:12]
    if major in _MP4_AUDIO_BRANDS:
        return "audio/mp4"
    if major in _MP4_VIDEO_BRANDS:
        return "video/mp4"
    compatible_area = head[16 : min(box_size, len(head))]
    compatible = {compatible_area[i : i + 4] for i in range(0, len(compatible_area) - 3, 4)}
    if compatible & _MP4_AUDIO_BRANDS:
        return "audio/mp4"
    if compatible & {b"mp41", b"mp42", b"avc1", b"M4V "}:
        return "video/mp4"
    return None


def _sniff_ebml(head: bytes) -> str | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    doc_type_at = head.find(b"\x42\x82", 4, 64)
    if doc_type_at < 0 or doc_type_at + 3 > len(head):
        return None
    length_byte = head[doc_type_at + 2]
    if not length_byte & 0x80:  # only one-byte sizes: "webm" is four bytes long
        return None
    length = length_byte & 0x7F
    doc_type = head[doc_type_at + 3 : doc_type_at + 3 + length]
    return "video/webm" if doc_type == b"webm" else None


def _is_mp3_frame_header(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 0xF) and sample_rate != 0b11


def _is_id3v2(head: bytes) -> bool:
    return len(head) >= 10 and head.startswith(b"ID3") and head[3] in (2, 3, 4) and head[4] < 0xFF


def _sniff_signature(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP" and head[12:15] == b"VP8":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if _is_id3v2(head) or _is_mp3_frame_header(head):
        return "audio/mpeg"
    return _sniff_iso_media(head) or _sniff_ebml(head)


def _is_plain_text(head: bytes) -> bool:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(
        char in _TEXT_CONTROLS_ALLOWED or unicodedata.category(char) not in ("Cc", "Cs")
        for char in text
    )


def sniff_media_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes (`SNIFF_BYTES` suffice), or `None`."""
    head = head[:SNIFF_BYTES]
    if not head or starts_with_markup(head):
        return None
    media_type = _sniff_signature(head)
    if media_type in _IMAGE_TYPES and contains_active_content(head):
        return None
    if media_type is not None:
        return media_type
    return "text/plain" if _is_plain_text(head) else None
