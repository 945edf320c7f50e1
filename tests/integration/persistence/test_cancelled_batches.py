"""A large batch insert cancelled while it is being sent: the cancellation takes effect once the
batch is sent, the transaction rolls back, and the connection is fit for the next use. (asyncpg on
its own stops writing halfway and then waits forever for the server, which waits for the rest.)"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from tests.conftest import postgres_url

from elearn.adapters.persistence.database import create_engine

ROWS = 20_000  # ~20 MB: sent in many rounds of flow control, so a cancellation lands mid-way
HANG = 60.0


async def _cancel_a_batch_midway(url: str) -> tuple[bool, int]:
    engine = create_engine(url, pool_size=1)
    # A table of its own (not a temporary one: the pool may replace the cancelled connection).
    table = f"sent_whole_{uuid.uuid4().hex}"
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE {table} (n integer, filler text)"))

        async def insert_batch() -> None:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f"INSERT INTO {table} VALUES (:n, :filler)"),
                    [{"n": n, "filler": "x" * 1000} for n in range(ROWS)],
                )

        batch = asyncio.create_task(insert_batch())
        await asyncio.sleep(0.05)
        batch.cancel()
        done, _ = await asyncio.wait({batch}, timeout=HANG)
        if not done:
            pytest.fail(f"a cancelled batch insert still hung after {HANG} s")
        async with engine.connect() as connection:
            inserted = (
                await connection.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar_one()
        return batch.cancelled(), inserted
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()


def test_a_batch_insert_cancelled_while_being_sent_rolls_back_and_frees_its_connection() -> None:
    cancelled, inserted = asyncio.run(_cancel_a_batch_midway(postgres_url()))
    assert (cancelled, inserted) == (True, 0)
