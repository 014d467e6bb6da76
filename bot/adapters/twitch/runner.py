"""Start the Twitch adapter from settings, and `fireside twitch login`, which walks a streamer through
signing the bot account (and the broadcaster, for polls) in with twitchio's OAuth adapter on a local port."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import twitchio

from bot.adapters.twitch.bot import FiresideTwitch
from bot.adapters.twitch.polls import POLL_SCOPE
from bot.commands.table import CommandTable
from bot.errors import ConfigError
from bot.memory.tokens import TokenStore
from bot.settings import TwitchSettings

log = logging.getLogger(__name__)

BOT_SCOPES = "user:read:chat user:write:chat user:bot"
BROADCASTER_SCOPES = "channel:bot channel:manage:polls"
OAUTH_PORT = 4343


async def run_twitch(bot: FiresideTwitch) -> None:
    try:
        await bot.start(with_adapter=False, load_tokens=True, save_tokens=True)
    except twitchio.HTTPException as exc:
        raise ConfigError(describe_refusal(exc, bot.tokens_loaded)) from None  # the chained error holds secrets
    finally:
        await bot.close()


def describe_refusal(exc: twitchio.HTTPException, tokens_loaded: bool) -> str:
    """A start-up refusal, without the request (its URL carries the client secret and refresh tokens)."""
    said = exc.extra.get("message") if isinstance(exc.extra, dict) else None
    detail = f"{exc.status}{f': {said}' if said else ''}"
    if not tokens_loaded:
        # Before tokens are loaded the only request is the app token: the client id and secret.
        return (f"Twitch refused the app credentials ({detail}): check FIRESIDE_TWITCH__CLIENT_ID and "
                "FIRESIDE_TWITCH__CLIENT_SECRET against your application in the Twitch developer console.")
    return f"Twitch refused a start-up request ({detail}); run `fireside twitch login` if a sign-in has expired."


class LoginBot(FiresideTwitch):
    """Only the OAuth side of the bot: no chat subscriptions until the accounts have signed in."""

    def __init__(self, *args: Any, want: dict[str, str], say: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.want = want  # user id -> which account it is ("bot", "broadcaster")
        self.say = say
        self.done = asyncio.Event()

    async def setup_hook(self) -> None:
        return None

    async def event_oauth_authorized(self, payload: Any) -> None:
        user_id, login_name = str(payload.user_id), payload.user_login or "?"
        if user_id not in self.want:
            # Twitch signs in whoever is logged in to the browser; say who it was instead of waiting forever.
            expected = " or ".join(f"the {role} account (id {uid})" for uid, role in self.want.items())
            self.say(f"Twitch signed in {login_name} (id {user_id}), but this login waits for {expected}. "
                     "Open the link again and choose that account (Twitch asks which one).")
            return
        try:
            await super().event_oauth_authorized(payload)  # add_token, which stores it
        except twitchio.HTTPException as exc:
            # twitchio would only log this in its event error handler, and the login would wait forever.
            self.say(f"Twitch signed in {login_name}, but then could not check the token ({exc.status}). "
                     "Open the link again.")
            return
        self.say(f"signed in {login_name} as the {self.want[user_id]} account")
        if self.satisfied():
            self.done.set()

    def satisfied(self) -> bool:
        """Every wanted account signed in, the broadcaster with the poll scope (an older sign-in lacks it)."""
        return all(uid in self.tokens and (role != "broadcaster" or POLL_SCOPE in self.scopes.get(uid, ()))
                   for uid, role in self.want.items())


def signin_link(scopes: str) -> str:
    # force_verify makes Twitch ask which account to use instead of silently reusing the browser's session.
    return f"http://localhost:{OAUTH_PORT}/oauth?scopes={scopes.replace(' ', '%20')}&force_verify=true"


async def login(cfg: TwitchSettings, tokens: TokenStore, broadcaster_id: str | None,
                say: Callable[[str], None]) -> None:
    async def nothing(*_args: Any) -> None:
        return None

    want = {cfg.bot_id or "": "bot"} | ({broadcaster_id: "broadcaster"} if broadcaster_id else {})
    bot = LoginBot(cfg, nothing, lambda _e: None, tokens, CommandTable(), want=want, say=say)
    try:
        await bot.login(load_tokens=True, save_tokens=True)
        if bot.satisfied():
            say("every account already has a valid stored token; nothing to do")
            return
        if broadcaster_id in bot.tokens:
            say("the broadcaster's stored sign-in lacks channel:manage:polls (story polls): sign them in again")
        await bot.adapter.run()
        say(f"1. In the Twitch developer console, add the redirect URL http://localhost:{OAUTH_PORT}/oauth/callback "
            "to your application.")
        say(f"2. Signed in as the BOT account (id {cfg.bot_id}), open: {signin_link(BOT_SCOPES)}")
        if broadcaster_id:
            say(f"3. Signed in as the BROADCASTER (id {broadcaster_id}), open: {signin_link(BROADCASTER_SCOPES)}")
        say("waiting for Twitch to send the sign-ins back (Ctrl-C to give up)...")
        await bot.done.wait()
        await bot.save_tokens()
        say("signed in; tokens stored. Start the bot with `fireside run`.")
    except twitchio.HTTPException as exc:
        raise ConfigError(describe_refusal(exc, bot.tokens_loaded)) from None
    finally:
        await bot.close()

