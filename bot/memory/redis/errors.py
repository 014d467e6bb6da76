"""The one place Redis errors become MemoryUnavailable: every public coroutine method of every Redis store is
wrapped when its class is defined, so a new method can't forget to translate. The same wrapper keeps the reply
path's deadline (memory_deadline) and a breaker: once Redis stops answering, calls fail at once for a few
seconds instead of each waiting out a timeout, then one tries again."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.memory.base import MemoryUnavailable, current_deadline
from bot.metrics import REDIS_BREAKER_TRIPS, REDIS_ERRORS

log = logging.getLogger(__name__)
COOLDOWN = 5.0  # seconds calls fail at once after Redis stopped answering


_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("fireside_redis_slot", default=False)


class RedisHealth:
    """Shared by the stores on one client. `limit`: calls at once (a cluster client has no blocking pool: past
    its connections to a node it raises at once, redis/asyncio/cluster.py:1715-1740, where the single-server
    pool waits)."""

    def __init__(self, cooldown: float = COOLDOWN, clock: Callable[[], float] = time.monotonic,
                 limit: int | None = None) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self.open_until = 0.0
        self.limit = asyncio.Semaphore(limit) if limit else None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of `limit` calls at once; a store call made inside another (same task) takes none, so a full
        limit can't wait on itself."""
        if self.limit is None or _HOLDING.get():
            yield
            return
        async with self.limit:
            token = _HOLDING.set(True)
            try:
                yield
            finally:
                _HOLDING.reset(token)

    def check(self) -> None:
        left = self.open_until - self.clock()
        if left > 0:
            REDIS_ERRORS.labels("breaker_open").inc()
            raise MemoryUnavailable(f"Redis is not answering; trying it again in {left:.1f} s")

    def trip(self, why: str) -> None:
        if self.open_until <= self.clock():
            log.warning("Redis is not answering (%s): failing fast for %.0f s", why, self.cooldown)
            REDIS_BREAKER_TRIPS.inc()
        self.open_until = self.clock() + self.cooldown

    def ok(self) -> None:
        self.open_until = 0.0


def _translated(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    closing = method.__name__ == "aclose"  # closing the client is never refused by the breaker

    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        health: RedisHealth | None = None if closing else getattr(self, "health", None)
        if health is not None:
            health.check()
        limit = current_deadline()
        try:
            async with contextlib.AsyncExitStack() as stack:
                if limit is not None:
                    await stack.enter_async_context(asyncio.timeout(limit))
                if health is not None:
                    await stack.enter_async_context(health.slot())
                result = await method(self, *args, **kwargs)
        except (TimeoutError, RedisTimeoutError) as exc:  # the deadline (asyncio's), or a socket timeout
            # Only a slow failure opens the breaker: a refused connection fails fast anyway, and a restarted
            # server must be usable at once.
            if health is not None:
                health.trip("no answer in time")
            REDIS_ERRORS.labels("timeout").inc()
            raise MemoryUnavailable(f"Redis did not answer in time ({type(exc).__name__})") from None
        except (RedisConnectionError, OSError) as exc:  # OSError: a socket that died under redis-py
            REDIS_ERRORS.labels("connection").inc()
            raise MemoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except (RedisError, RedisClusterException) as exc:  # the second: a cluster client's own (not RedisError)
            REDIS_ERRORS.labels("error").inc()
            raise MemoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if health is not None:
            health.ok()
        return result

    return wrapper


class RedisBacked:
    """Base of the Redis stores."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _translated(member))
