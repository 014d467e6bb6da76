"""`fireside run`: every configured platform adapter in one process, around one bot core."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.app import Fireside, running
from bot.errors import ConfigError
from bot.settings import Settings
from bot.supervise import supervised

if TYPE_CHECKING:
    from bot.memory.tokens import TokenStore

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def configured_adapters(settings: Settings) -> list[str]:
    names = []
    if settings.discord.token is not None:
        names.append("discord")
    if settings.twitch.client_id or settings.twitch.channels:
        names.append("twitch")
    return names


async def run(settings: Settings, progress: Progress) -> None:
    adapters = configured_adapters(settings)
    if not adapters and not settings.web.enabled:
        raise ConfigError("no platform is configured: set FIRESIDE_DISCORD__TOKEN (Discord) or the "
                          "FIRESIDE_TWITCH__* settings (Twitch). To try the bot locally, use `fireside chat`.")
    async with running(settings, progress) as app:
        stop = asyncio.Event()
        # Overheard chat keeps flowing whatever one bad line does to a flush: the loop is restarted, not fatal.
        jobs: list[Coroutine[Any, Any, None]] = [supervised("ingest", lambda: app.ingestor.run(stop), stop)]
        if "twitch" in adapters:
            from bot.adapters.channel_leases import ChannelLeases, replica_name
            from bot.adapters.twitch.bot import FiresideTwitch
            from bot.adapters.twitch.runner import run_twitch

            leases = ChannelLeases(app.stores.leases, "twitch", replica_name(settings.twitch.replica_id),
                                   ttl=settings.twitch.lease_seconds)
            bot = FiresideTwitch(settings.twitch, app.dispatch, app.ingestor.add, token_store(settings, app),
                                 app.table, leases=leases)
            app.outlets.register("twitch", bot.open_outlet, bot.polls, owns=bot.serves)
            bot.moderation = app.moderation
            progress(f"connecting to Twitch ({', '.join(settings.twitch.channels) or 'no channels'})")
            jobs.append(run_twitch(bot))
        if "discord" in adapters:
            from bot.adapters.discord.runner import build_client, run_discord

            client = build_client(settings.discord, app.dispatch, app.table, app.personas.registry.names,
                                  app.personas.registry.lorebook_names)
            client.avatar_for = app.personas.avatar_url
            client.moderation = app.moderation
            app.outlets.register("discord", client.open_outlet, places=client.open_thread, tally=client.show_tally)
            progress("connecting to Discord")
            jobs.append(run_discord(client, settings.discord))
        if settings.web.enabled:
            from bot.web.server import serve_web

            jobs.append(serve_web(app, settings, progress, stop))
        tasks = [asyncio.ensure_future(job) for job in jobs]
        terminate = asyncio.Event()
        watching = _on_signals(terminate)
        try:
            ended = asyncio.ensure_future(terminate.wait())
            done, _pending = await asyncio.wait([*tasks, ended], return_when=asyncio.FIRST_EXCEPTION)
            ended.cancel()
            for task in done:
                if task is not ended:
                    task.result()  # raise the first failure (a ConfigError names the setting)
            if terminate.is_set():
                # Graceful: no new turns, the replies in flight finish (within the grace) while the platforms
                # are still connected to carry them; then the connections close and the writes are flushed.
                progress("stopping: finishing the replies in flight")
                await app.router.drain(settings.shutdown_grace)
        finally:
            for sig in watching:
                asyncio.get_running_loop().remove_signal_handler(sig)
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _on_signals(terminate: asyncio.Event) -> list[signal.Signals]:
    """SIGTERM (a container stop) and SIGINT set `terminate` instead of killing the process mid-reply."""
    loop = asyncio.get_running_loop()
    watching = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, terminate.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal here
            continue
        watching.append(sig)
    return watching


def token_store(settings: Settings, app: Fireside) -> TokenStore:
    from bot.memory.tokens import FileTokenStore

    if settings.twitch.token_file is not None:
        return FileTokenStore(settings.twitch.token_file)
    return app.stores.tokens
