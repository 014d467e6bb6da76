"""Twitch start-up, sign-in and token keeping, against twitchio's own start/login/close code. Only twitchio's
HTTP-level calls are patched (autospec, so a wrong signature fails): the app-token request, token validation,
the user lookup. Defects found by reading twitchio 3.3.2's source (see the README's Twitch notes)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest
import twitchio
from twitchio.authentication import ManagedHTTPClient, UserTokenPayload
from twitchio.authentication.oauth import OAuth
from twitchio.authentication.payloads import ValidateTokenPayload

from bot.adapters.twitch.bot import FiresideTwitch
from bot.adapters.twitch.runner import LoginBot, login, run_twitch
from bot.commands.table import command_table
from bot.errors import ConfigError
from bot.events import ChatEvent
from bot.memory.tokens import FileTokenStore
from bot.settings import TwitchSettings
from tests.support.twitch_harness import BOT_ID

BROADCASTER_ID = "100"
BAD = "bad-token-0123456789"
GOOD = {"user_id": BOT_ID, "token": "good-token", "refresh": "good-refresh"}
CFG = TwitchSettings(client_id="cid", client_secret="secret", bot_id=BOT_ID, channels=["streamer"])


async def _dispatch(_event: ChatEvent, _sink: Any) -> None:
    return None


def make_bot(store: FileTokenStore, cls: type[FiresideTwitch] = FiresideTwitch, **kw: Any) -> FiresideTwitch:
    return cls(CFG, _dispatch, lambda _e: None, store, command_table(), bot_login="fireside_bot", **kw)


def stored(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def put(path: Path, tokens: dict[str, Any]) -> None:
    path.write_text(json.dumps(tokens), encoding="utf-8")


class Said(list[str]):
    """What login() tells the streamer; `waiting` is set once it waits for the sign-ins."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    def __call__(self, line: str) -> None:
        self.append(line)
        if "waiting" in line:
            self.waiting.set()


def invalid(token: str, status: int = 400) -> twitchio.InvalidTokenException:
    """What twitchio raises for a revoked token: its message carries the token itself."""
    original = twitchio.HTTPException("Request failed", status=status, extra="Invalid refresh token")
    return twitchio.InvalidTokenException(
        f'Token was invalid and cannot be refreshed. Please re-authenticate user with token: "{token}"',
        token=token, refresh="r", type_="refresh", original=original)


@pytest.fixture
def twitch_http() -> Iterator[dict[str, Any]]:
    """twitchio's HTTP-level calls, patched with autospec: tokens in `valid` validate, others are revoked."""
    state: dict[str, Any] = {"valid": {"good-token": BOT_ID, "caster-token": BROADCASTER_ID,
                                       "old-caster-token": BROADCASTER_ID}, "app_error": None,
                             "app_wait": None, "outage": False}

    async def add_token(self: ManagedHTTPClient, token: str, refresh: str) -> Any:
        if state["outage"]:
            raise invalid(token, status=state["outage"])
        user = state["valid"].get(token)
        if user is None:
            raise invalid(token)
        self._tokens[user] = {"user_id": user, "token": token, "refresh": refresh, "last_validated": ""}
        scopes = (["user:read:chat", "user:bot"] if user != BROADCASTER_ID else ["channel:bot"]
                  if token == "old-caster-token" else ["channel:bot", "channel:manage:polls"])
        return ValidateTokenPayload({"client_id": "cid", "login": "x", "scopes": scopes, "user_id": user,
                                     "expires_in": 3600})

    async def app_token(self: OAuth) -> Any:
        if state["app_wait"] is not None:
            await state["app_wait"].wait()
        if state["app_error"] is not None:
            raise state["app_error"]
        return SimpleNamespace(access_token="app-token")

    async def validate(self: OAuth, token: str, /) -> Any:
        return SimpleNamespace(client_id="cid", user_id=None, login=None)

    async def fetch_user(self: twitchio.PartialUser) -> Any:
        return SimpleNamespace(id=self.id, name="fireside_bot")

    with patch.object(ManagedHTTPClient, "add_token", autospec=True, side_effect=add_token), \
            patch.object(OAuth, "client_credentials_token", autospec=True, side_effect=app_token), \
            patch.object(OAuth, "validate_token", autospec=True, side_effect=validate), \
            patch.object(twitchio.PartialUser, "user", autospec=True, side_effect=fetch_user):
        yield state


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({BOT_ID: GOOD}), encoding="utf-8")
    return path


async def test_no_bot_token_says_to_sign_in(tmp_path: Path, twitch_http: dict[str, Any]) -> None:
    bot = make_bot(FileTokenStore(tmp_path / "none.json"))
    with pytest.raises(ConfigError) as err:
        await run_twitch(bot)
    assert "fireside twitch login" in str(err.value) and "app credentials" not in str(err.value)


async def test_revoked_token_is_skipped_deleted_and_never_logged(
        token_file: Path, twitch_http: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    put(token_file, {BOT_ID: GOOD, BROADCASTER_ID: {"token": BAD, "refresh": "r"}})
    bot = make_bot(FileTokenStore(token_file))
    with caplog.at_level(logging.DEBUG):
        await bot.load_tokens()
    assert set(bot.tokens) == {BOT_ID}  # the good one is in service
    assert set(stored(token_file)) == {BOT_ID}  # the revoked one is gone from the store
    assert BAD not in caplog.text and BROADCASTER_ID in caplog.text and "fireside twitch login" in caplog.text
    await bot.close()


async def test_polls_need_the_broadcasters_stored_sign_in_with_the_poll_scope(
        token_file: Path, twitch_http: dict[str, Any]) -> None:
    bot = make_bot(FileTokenStore(token_file))
    await bot.load_tokens()
    assert not bot.polls.may_poll(BROADCASTER_ID)  # only the bot account is signed in
    put(token_file, {BOT_ID: GOOD, BROADCASTER_ID: {"token": "caster-token", "refresh": "r"}})
    await bot.load_tokens()
    assert bot.polls.may_poll(BROADCASTER_ID) and not bot.polls.may_poll(BOT_ID)
    await bot.close()


async def test_revoked_bot_token_stops_start_with_the_sign_in_hint(token_file: Path,
                                                                 twitch_http: dict[str, Any]) -> None:
    put(token_file, {BOT_ID: {"token": BAD, "refresh": "r"}})
    with pytest.raises(ConfigError) as err:
        await run_twitch(make_bot(FileTokenStore(token_file)))
    assert "fireside twitch login" in str(err.value) and BAD not in str(err.value)
    assert "app credentials" not in str(err.value)  # it was the bot's sign-in, not the app
    assert stored(token_file) == {}  # removed, so the next start doesn't trip on it


@pytest.mark.parametrize("status", [503, 429])
async def test_twitch_trouble_while_validating_keeps_the_token(token_file: Path, twitch_http: dict[str, Any],
                                                              status: int) -> None:
    twitch_http["outage"] = status
    bot = make_bot(FileTokenStore(token_file))
    await bot.load_tokens()
    await bot.close()
    assert stored(token_file) == {BOT_ID: GOOD}  # a 5xx says nothing about the token


async def test_failed_start_never_empties_the_token_file(token_file: Path, twitch_http: dict[str, Any]) -> None:
    before = stored(token_file)
    twitch_http["app_error"] = twitchio.HTTPException("Request failed", status=403, extra="invalid client secret")
    with pytest.raises(ConfigError, match="FIRESIDE_TWITCH__CLIENT_SECRET"):
        await run_twitch(make_bot(FileTokenStore(token_file)))
    assert stored(token_file) == before


async def test_cancelled_start_never_empties_the_token_file(token_file: Path, twitch_http: dict[str, Any]) -> None:
    before = stored(token_file)
    twitch_http["app_wait"] = asyncio.Event()  # never set: start-up hangs until cancelled
    task = asyncio.ensure_future(run_twitch(make_bot(FileTokenStore(token_file))))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert stored(token_file) == before


async def test_refreshed_token_is_saved_at_once(token_file: Path, twitch_http: dict[str, Any]) -> None:
    bot = make_bot(FileTokenStore(token_file))
    await bot.load_tokens()
    # What twitchio's refresh does (authentication/tokens.py: _refresh_token): the internal map, then the event.
    bot._http._tokens[BOT_ID] = {"user_id": BOT_ID, "token": "fresh", "refresh": "fresh-r", "last_validated": ""}
    bot._http._dispatch_event(BOT_ID, SimpleNamespace(access_token="fresh", refresh_token="fresh-r",
                                                      scope=["user:read:chat"], expires_in=14000))
    for _ in range(20):  # twitchio dispatches the event as a task
        await asyncio.sleep(0.01)
    assert stored(token_file)[BOT_ID]["token"] == "fresh"  # not only at shutdown
    bot._save_tokens = False
    await bot.close()


# --- `fireside twitch login`

@pytest.fixture
def login_flow(twitch_http: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """login() with twitchio's own login() reduced to loading tokens and its OAuth adapter not listening."""
    seen: dict[str, Any] = {}

    async def fake_login(self: LoginBot, *, token: str | None = None, load_tokens: bool = True,
                         save_tokens: bool = True) -> None:
        self._save_tokens = save_tokens
        await self.load_tokens()

    async def fake_run(self: Any, host: str | None = None, port: int | None = None) -> None:
        seen["bot"] = self.client

    with patch.object(twitchio.Client, "login", autospec=True, side_effect=fake_login), \
            patch.object(twitchio.web.AiohttpAdapter, "run", autospec=True, side_effect=fake_run):
        yield seen


def authorized(user_id: str, user_login: str, token: str) -> UserTokenPayload:
    payload = UserTokenPayload({"access_token": token, "refresh_token": "r", "expires_in": 14000,  # type: ignore[typeddict-item]
                                "scope": ["user:read:chat"], "token_type": "bearer"})
    payload.user_id = user_id
    payload.user_login = user_login
    return payload


async def test_login_links_force_the_account_choice_and_name_a_wrong_account(
        tmp_path: Path, login_flow: dict[str, Any], twitch_http: dict[str, Any]) -> None:
    said = Said()
    store = FileTokenStore(tmp_path / "tokens.json")
    task = asyncio.ensure_future(login(CFG, store, None, said))
    await asyncio.wait_for(said.waiting.wait(), 5)
    links = [s for s in said if "/oauth?" in s]
    assert links and all("force_verify=true" in s for s in links)
    bot: LoginBot = login_flow["bot"]
    twitch_http["valid"]["someone-token"] = "4242"
    await bot.event_oauth_authorized(authorized("4242", "some_viewer", "someone-token"))
    assert any("some_viewer" in s and "4242" in s for s in said)  # says which account it got
    assert not task.done() and "4242" not in bot.tokens  # and keeps waiting for the right one
    await bot.event_oauth_authorized(authorized(BOT_ID, "fireside_bot", "good-token"))
    await asyncio.wait_for(task, 5)
    assert set(stored(tmp_path / "tokens.json")) == {BOT_ID}


async def test_login_with_a_revoked_stored_token_asks_to_sign_in_again(
        token_file: Path, login_flow: dict[str, Any], twitch_http: dict[str, Any],
        caplog: pytest.LogCaptureFixture) -> None:
    put(token_file, {BOT_ID: {"token": BAD, "refresh": "r"}})
    said = Said()
    task = asyncio.ensure_future(login(CFG, FileTokenStore(token_file), None, said))
    await asyncio.wait_for(said.waiting.wait(), 5)
    assert BAD not in caplog.text and not any(BAD in s for s in said)
    await login_flow["bot"].event_oauth_authorized(authorized(BOT_ID, "fireside_bot", "good-token"))
    await asyncio.wait_for(task, 5)
    assert stored(token_file)[BOT_ID]["token"] == "good-token"


async def test_a_sign_in_twitch_then_refuses_is_reported_and_login_keeps_waiting(
        tmp_path: Path, login_flow: dict[str, Any], twitch_http: dict[str, Any]) -> None:
    said = Said()
    task = asyncio.ensure_future(login(CFG, FileTokenStore(tmp_path / "tokens.json"), None, said))
    await asyncio.wait_for(said.waiting.wait(), 5)
    bot: LoginBot = login_flow["bot"]
    await bot.event_oauth_authorized(authorized(BOT_ID, "fireside_bot", "revoked-at-once"))  # add_token fails
    assert any("could not" in s.lower() and "again" in s for s in said) and not task.done()
    await bot.event_oauth_authorized(authorized(BOT_ID, "fireside_bot", "good-token"))
    await asyncio.wait_for(task, 5)


async def test_login_signs_the_broadcaster_in_again_when_their_token_lacks_the_poll_scope(
        token_file: Path, login_flow: dict[str, Any], twitch_http: dict[str, Any]) -> None:
    # Signed in before story polls existed: the stored token is valid but can't run polls.
    put(token_file, {BOT_ID: GOOD, BROADCASTER_ID: {"token": "old-caster-token", "refresh": "r"}})
    said = Said()
    task = asyncio.ensure_future(login(CFG, FileTokenStore(token_file), BROADCASTER_ID, said))
    await asyncio.wait_for(said.waiting.wait(), 5)
    assert any("lacks channel:manage:polls" in s for s in said) and not any("nothing to do" in s for s in said)
    await login_flow["bot"].event_oauth_authorized(authorized(BROADCASTER_ID, "streamer", "caster-token"))
    await asyncio.wait_for(task, 5)
    assert stored(token_file)[BROADCASTER_ID]["token"] == "caster-token"
