"""The answer of every route that serves one reader a stored file (a message's or a ticket's
file, a staff report, an applicant's document, a data export): its use case checked the
reader's right to it and found its size; this streams it."""

from __future__ import annotations

from litestar.response import Stream

from elearn.application.files import FileStorage, PrivateFile, content_disposition


def private_download(storage: FileStorage, file: PrivateFile, *, inline: bool = False) -> Stream:
    """Streamed from storage, kept by no cache, never sniffed into another type, saved under its
    name (shown by the browser instead when ``inline``)."""
    return Stream(
        storage.read(file.key),
        media_type=file.content_type,
        headers={
            "Content-Length": str(file.size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": content_disposition(file.filename, inline=inline),
        },
    )
