"""The one place Redis errors become MemoryUnavailable: every public coroutine method of every Redis store is
wrapped when its class is defined, so a new method can't forget to translate."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.memory.base import MemoryUnavailable


def _translated(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as exc:  # OSError: a socket that died under redis-py
            raise MemoryUnavailable(f"{type(exc).__name__}: {exc}") from exc

    return wrapper


class RedisBacked:
    """Base of the Redis stores."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _translated(member))
