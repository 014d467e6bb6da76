"""The built-in starter catalog (about 300 real games, films, series, albums and books: facts and a one-line
description in our own words), so that a fresh install recommends out of the box. It is served only while no
catalog of the operator's own is: importing one retires it."""

from __future__ import annotations

import time
from importlib.resources import files

from bot.recommend.catalog import Catalog, parse_catalog
from bot.recommend.store import CatalogStore

STARTER = "starter"


def starter_catalog() -> Catalog:
    data = files("bot.recommend").joinpath("data/starter.jsonl").read_bytes()
    return parse_catalog(data, "starter.jsonl", STARTER, "jsonl")


async def serve_starter(store: CatalogStore) -> bool:
    """Put the starter catalog in service when there is no catalog at all; True when it was put."""
    if await store.names():
        return False
    return await store.put(starter_catalog(), "built in", time.time())


async def retire_starter(store: CatalogStore, imported: str) -> bool:
    """An operator's own catalog replaces the starter; True when the starter was taken out of service."""
    if imported == STARTER or STARTER not in await store.names():
        return False
    return await store.delete(STARTER)
