"""Counting the SQL statements a piece of work sends, for tests that bound them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# The busy timeout a SQLite connection switches between its transactions is transaction control
# too (adapters/persistence/database.py).
_TRANSACTION_CONTROL = (
    "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA BUSY_TIMEOUT"
)  # fmt: skip


class Statements:
    """While open, ``sent`` collects every statement sent through the engine, white space
    folded, transaction control left out (it is the driver's, not the work's).

    On asyncpg the hottest reads run on the driver itself, past SQLAlchemy's events
    (`adapters/persistence/raw_statements.py`): the driver's own query log counts those (it
    logs only what runs past SQLAlchemy, whose prepared statements it does not see, but for an
    executemany: that is one statement, which SQLAlchemy's event has counted already)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.sent: list[str] = []
        self._drivers: dict[int, Any] = {}
        # Executemanys SQLAlchemy has sent and the driver has not logged yet.
        self._many: list[str] = []
        # The loops the drivers log on, kept after the block so `settled` works there too.
        self._loops: set[Any] = set()

    def __enter__(self) -> Statements:
        event.listen(self._engine, "before_cursor_execute", self._record_sent)
        event.listen(self._engine, "checkout", self._log_driver)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record_sent)
        event.remove(self._engine, "checkout", self._log_driver)
        for driver in self._drivers.values():
            driver.remove_query_logger(self._log_query)
        self._drivers.clear()

    async def settled(self) -> list[str]:
        """``sent``, once the driver's log of the statements run so far is in. asyncpg hands
        each logged query to its connection's event loop (``call_soon``) instead of recording
        it at once, and a test client may run the app on a loop of its own (a portal thread):
        a step queued on each such loop behind those callbacks has run when they all have."""
        for loop in self._loops:
            if loop.is_running():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop))
        return self.sent

    def _record_sent(
        self, _conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, many: bool
    ) -> None:
        self._record(statement)
        if many:
            self._many.append(" ".join(statement.split()))

    def _record(self, statement: str) -> None:
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            self.sent.append(" ".join(statement.split()))

    def _log_driver(self, dbapi_connection: Any, *_: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if hasattr(driver, "add_query_logger") and id(driver) not in self._drivers:
            self._drivers[id(driver)] = driver
            self._loops.add(driver._loop)
            driver.add_query_logger(self._log_query)

    def _log_query(self, query: Any) -> None:
        folded = " ".join(query.query.split())
        if folded in self._many:  # counted when SQLAlchemy sent it
            self._many.remove(folded)
        elif query.query.strip() != ";":  # the pool's ping of a connection that sat idle
            self._record(query.query)
