"""Start the Twitch adapter from settings, and `fireside twitch login`, which walks a streamer through
signing the bot account (and the broadcaster, for polls) in with twitchio's OAuth adapter on a local port."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import twitchio

from bot.adapters.twitch.bot import FiresideTwitch
from bot.adapters.twitch.tokens import TokenStore
from bot.errors import ConfigError
from bot.settings import TwitchSettings

log = logging.getLogger(__name__)

BOT_SCOPES = "user:read:chat user:write:chat user:bot"
BROADCASTER_SCOPES = "channel:bot channel:manage:polls"
OAUTH_PORT = 4343


async def run_twitch(bot: FiresideTwitch) -> None:
    try:
        await bot.start(with_adapter=False, load_tokens=True, save_tokens=True)
    except twitchio.HTTPException as exc:
        if exc.status in (400, 401, 403):
            raise ConfigError(
                f"Twitch refused the app credentials ({exc.status}): check FIRESIDE_TWITCH__CLIENT_ID and "
                "FIRESIDE_TWITCH__CLIENT_SECRET, and run `fireside twitch login` if the bot has no token yet."
            ) from exc
        raise
    finally:
        await bot.close()


class LoginBot(FiresideTwitch):
    """Only the OAuth side of the bot: no chat subscriptions until the accounts have signed in."""

    def __init__(self, *args: Any, want: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.want = want
        self.done = asyncio.Event()

    async def setup_hook(self) -> None:
        return None

    async def event_oauth_authorized(self, payload: Any) -> None:
        await super().event_oauth_authorized(payload)
        if self.want <= set(self.tokens):
            self.done.set()


async def login(cfg: TwitchSettings, tokens: TokenStore, broadcaster_id: str | None,
                say: Callable[[str], None]) -> None:
    async def nothing(*_args: Any) -> None:
        return None

    want = {cfg.bot_id or ""} | ({broadcaster_id} if broadcaster_id else set())
    bot = LoginBot(cfg, nothing, lambda _e: None, _no_settings, tokens, want=want)
    try:
        await bot.login(load_tokens=True, save_tokens=True)
        if want <= set(bot.tokens):
            say("every account already has a stored token; nothing to do")
            return
        await bot.adapter.run()
        base = f"http://localhost:{OAUTH_PORT}/oauth"
        say(f"1. In the Twitch developer console, add the redirect URL {base}/callback to your application.")
        say(f"2. Signed in as the BOT account, open: {base}?scopes={BOT_SCOPES.replace(' ', '%20')}")
        if broadcaster_id:
            say(f"3. Signed in as the BROADCASTER, open: {base}?scopes={BROADCASTER_SCOPES.replace(' ', '%20')}")
        say("waiting for Twitch to send the sign-ins back (Ctrl-C to give up)...")
        await bot.done.wait()
        await bot.save_tokens()
        say("signed in; tokens stored. Start the bot with `fireside run`.")
    finally:
        await bot.close()


async def _no_settings(_platform: str, _channel: str, _space: str | None) -> dict[str, str]:
    return {}

