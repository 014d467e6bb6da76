"""`fireside story` and `fireside catalog`: what an operator takes out of Fireside or puts in for it to use (a
story's transcript, recommendation catalogs), each straight against the stores."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bot.cli_support import progress as _progress
from bot.cli_support import settings as _settings
from bot.cli_support import write_atomic as _write
from bot.errors import ConfigError


def cmd_story_transcript(args: argparse.Namespace) -> int:
    from bot.app import build_personas, redis_stores
    from bot.story.transcript import markdown

    settings = _settings()

    async def export() -> str:
        async with redis_stores(settings, _progress) as stores:
            story = await stores.stories.load(args.platform, args.channel)
            if story is None:
                raise ConfigError(f"there is no story in {args.platform} channel {args.channel} (a Discord story "
                                  "lives in its thread: give the thread's id)")
            entries = await stores.stories.transcript(args.platform, args.channel)
        narrator = build_personas(settings).for_channel(story.narrator).persona.name
        return markdown(story, entries, narrator, time.time())

    text = asyncio.run(export())
    if args.out is None:
        sys.stdout.write(text)
    else:
        _write(args.out, text.encode("utf-8"))
        print(args.out)
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from bot.app import redis_stores
    from bot.recommend.catalog import CatalogError, read_catalog

    settings = _settings()
    try:
        catalog = read_catalog(args.file, args.name)
    except CatalogError as exc:
        raise ConfigError(str(exc)) from exc

    from bot.recommend.starter import retire_starter

    async def put() -> tuple[bool, bool]:
        async with redis_stores(settings, _progress) as stores:
            changed = await stores.catalogs.put(catalog, args.file.name, time.time())
            return changed, await retire_starter(stores.catalogs, catalog.name)

    kinds = ", ".join(f"{n} {kind}" for kind, n in catalog.kinds.items())
    changed, retired = asyncio.run(put())
    if changed:
        print(f"imported catalog {catalog.name!r}: {len(catalog.items)} items ({kinds})")
    else:
        print(f"catalog {catalog.name!r} already holds this content ({len(catalog.items)} items); nothing changed")
    if retired:
        print("the built-in starter catalog is out of service now that you have your own")
    return 0


def cmd_catalog_stats(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.app import redis_stores

    settings = _settings()

    async def describe() -> list[str]:
        async with redis_stores(settings, _progress) as stores:
            names = [args.name] if args.name else await stores.catalogs.names()
            lines = []
            for name in names:
                info = await stores.catalogs.info(name)
                if info is None:
                    raise ConfigError(f"there is no catalog named {name!r} (fireside catalog import FILE)")
                items = await stores.catalogs.items(name)
                years = [i.year for i in items if i.year is not None]
                rated = sum(i.age is not None for i in items)
                when = datetime.fromtimestamp(info.imported_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
                kinds = ", ".join(f"{n} {kind}" for kind, n in info.kinds.items())
                span = f", years {min(years)}-{max(years)}" if years else ""
                lines.append(f"{name}: {info.count} items ({kinds}){span}, {rated} with an age rating; from "
                             f"{info.source} at {when}; content {info.digest[:12]}")
            return lines or ["no catalogs yet: fireside catalog import FILE"]

    print("\n".join(asyncio.run(describe())))
    return 0
