"""Start the Discord adapter from settings; turn Discord's start-up refusals into clear errors."""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.adapters.base import Dispatch
from bot.adapters.discord.client import DiscordOptions, FiresideDiscord
from bot.adapters.discord.translate import Policy
from bot.commands.table import CommandTable
from bot.errors import ConfigError
from bot.settings import DiscordSettings


def build_client(cfg: DiscordSettings, dispatch: Dispatch, table: CommandTable,
                 persona_names: Callable[[], list[str]], lorebook_names: Callable[[], list[str]]) -> FiresideDiscord:
    options = DiscordOptions(
        policy=Policy(dms=cfg.dms, respond_to_bots=cfg.respond_to_bots), edit_interval=cfg.edit_interval,
        message_content=cfg.message_content, shard_ids=cfg.shard_ids, shard_count=cfg.shard_count,
        sync_guild=cfg.sync_guild,
    )
    completions = {"personas": lambda: ["default", *persona_names()], "lorebooks": lorebook_names}
    return FiresideDiscord(dispatch, table, completions, options)


async def run_discord(client: FiresideDiscord, cfg: DiscordSettings) -> None:
    token = cfg.token.get_secret_value().strip() if cfg.token else ""
    if not token:
        raise ConfigError("FIRESIDE_DISCORD__TOKEN is empty: paste the bot token from the Developer Portal")
    try:
        await client.start(token)
    except discord.LoginFailure as exc:
        raise ConfigError(
            "FIRESIDE_DISCORD__TOKEN was refused by Discord (improper token). Copy the token again from the "
            "Developer Portal's Bot page; reset it there if it leaked."
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError(
            "FIRESIDE_DISCORD__MESSAGE_CONTENT=true, but the Message Content intent is not switched on for this "
            "bot in the Developer Portal. Switch it on there, or set FIRESIDE_DISCORD__MESSAGE_CONTENT=false "
            "(the bot still answers mentions, replies, DMs and slash commands)."
        ) from exc
    finally:
        await close_quietly(client)


async def close_quietly(client: FiresideDiscord) -> None:
    """close() on an AutoShardedClient that never connected raises inside discord.py; then at least close
    the HTTP session."""
    if client.is_closed():
        return
    try:
        await client.close()
    except AttributeError:
        await client.http.close()

