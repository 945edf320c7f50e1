"""The asyncpg connection our PostgreSQL engine opens.

asyncpg (0.30 to 0.32 at least) sends a large ``executemany`` in rounds, waiting on the socket's
flow control between them, and sends the closing Sync only after the last. Cancelled between two
rounds (a worker shut down, a fan-out given up, a timeout around a use case) it stops writing and
then waits for the server's answer, while the server waits for the rest of the batch: the task
and its connection hang forever, the connection holding its transaction's locks. Here a batch
once begun is sent whole; the cancellation takes effect when it is done, and the unit of work
then rolls back as it would have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import asyncpg  # type: ignore[import-untyped]


class WholeBatchConnection(asyncpg.Connection):
    async def executemany(
        self,
        command: str,
        args: Iterable[Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (asyncpg's own signature)
    ) -> None:
        sending = asyncio.ensure_future(super().executemany(command, args, timeout=timeout))
        try:
            return await asyncio.shield(sending)
        except asyncio.CancelledError:
            await _finished(sending)
            raise


async def _finished(sending: asyncio.Future[None]) -> None:
    """Waits for the batch however often the waiter is cancelled meanwhile (each cancellation is
    honoured by the caller's re-raise once the connection is quiet again)."""
    while not sending.done():
        try:
            await asyncio.wait({sending})
        except asyncio.CancelledError:
            continue
    if not sending.cancelled():
        sending.exception()  # retrieved: the caller is told of the cancellation instead
