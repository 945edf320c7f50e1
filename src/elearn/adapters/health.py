"""Readiness probes for the services the API depends on."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


class DatabaseProbe:
    name = "database"

    def __init__(self, engine: AsyncEngine, *, timeout: float = 2.0) -> None:
        self._engine = engine
        self._timeout = timeout

    async def check(self) -> None:
        async def ping() -> None:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        await asyncio.wait_for(ping(), self._timeout)


class RedisProbe:
    name = "redis"

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        from redis.asyncio import Redis  # only where Redis is configured

        self._client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._timeout = timeout

    async def check(self) -> None:
        await asyncio.wait_for(self._client.ping(), self._timeout)

    async def close(self) -> None:
        await self._client.aclose()
