"""What a forgotten person left in a real Redis: every key and value, tombstones aside, searched for their
words. The fault tests count it after each fault (it must be 0)."""

from __future__ import annotations

import redis.asyncio as aioredis


async def stored_text(url: str) -> str:
    # Vectors are raw bytes: read as text with replacement marks, which no word of theirs survives in.
    client = aioredis.Redis.from_url(url, decode_responses=True, encoding_errors="replace")
    parts: list[str] = []
    try:
        async for key in client.scan_iter(match="*"):
            if key.endswith(":gone"):
                continue  # a tombstone names only what is gone, and expires
            kind = await client.type(key)
            parts.append(key)
            if kind == "string":
                parts.append(str(await client.get(key)))
            elif kind == "list":
                parts += await client.lrange(key, 0, -1)
            elif kind == "hash":
                parts += [f"{k}={v}" for k, v in (await client.hgetall(key)).items()]
            elif kind == "set":
                parts += await client.smembers(key)
            elif kind == "zset":
                parts += await client.zrange(key, 0, -1)
    finally:
        await client.aclose()
    return "\n".join(parts)


async def leftovers(url: str, *words: str) -> int:
    """How many times any of `words` still appears in Redis."""
    text = await stored_text(url)
    return sum(text.count(word) for word in words)
