"""The dashboard over HTTP: sign-in (one-time link, admin token), CSRF on every form, and channel changes that run
the same command handlers as chat (stored alike, audited alike, refused alike)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import httpx

from bot.app import Fireside
from bot.memory.inmemory import World
from bot.web.admin_token import AdminAccess, read_or_create
from tests.web.conftest import TOKEN


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/signin")
    done = await client.post("/signin", data={"csrf": csrf_of(page), "token": TOKEN})
    assert done.status_code == 303


async def test_pages_need_a_sign_in_and_come_back_after_it(browser_less: httpx.AsyncClient) -> None:
    page = await browser_less.get("/channels?platform=console&channel=den")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2Fchannels%3Fplatform%3Dconsole%26channel%3Dden"
    form = await browser_less.get(page.headers["location"])
    done = await browser_less.post("/signin?next=%2Fchannels%3Fplatform%3Dconsole%26channel%3Dden",
                                   data={"csrf": csrf_of(form), "token": TOKEN})
    assert done.headers["location"] == "/channels?platform=console&channel=den"
    assert (await browser_less.get(done.headers["location"])).status_code == 200


async def test_a_one_time_link_works_once(browser_less: httpx.AsyncClient, access: AdminAccess) -> None:
    code = access.new_code()
    first = await browser_less.get(f"/signin?code={code}")
    assert first.status_code == 303 and first.headers["location"] == "/channels"
    browser_less.cookies.clear()
    again = await browser_less.get(f"/signin?code={code}")
    assert again.status_code == 403 and "used already or has expired" in again.text
    assert (await browser_less.get("/channels")).status_code == 303  # not signed in


async def test_a_wrong_token_a_missing_csrf_and_a_foreign_next_are_refused(browser_less: httpx.AsyncClient) -> None:
    form = await browser_less.get("/signin")
    wrong = await browser_less.post("/signin", data={"csrf": csrf_of(form), "token": "guess"})
    assert wrong.status_code == 403 and "not the admin token" in wrong.text
    forged = await browser_less.post("/signin", data={"token": TOKEN})  # no CSRF token: another site's form
    assert forged.status_code == 403
    away = await browser_less.post("/signin?next=//evil.example/", data={"csrf": csrf_of(form), "token": TOKEN})
    assert away.headers["location"] == "/channels"  # never an open redirect


async def test_the_session_cookie_is_signed_http_only_and_same_site(browser_less: httpx.AsyncClient) -> None:
    await sign_in(browser_less)
    page = await browser_less.get("/channels")
    assert page.status_code == 200
    signed = await browser_less.post("/signin", data={"csrf": csrf_of(page), "token": TOKEN})
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("fireside_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    browser_less.cookies.set("fireside_session", "forged-value", domain="dash.test")
    assert (await browser_less.get("/channels")).status_code == 303  # a cookie not signed by us is no session


async def test_a_persona_chosen_on_the_page_is_the_chat_commands_change(browser_less: httpx.AsyncClient,
                                                                      memory_app: Fireside, world: World) -> None:
    await sign_in(browser_less)
    page = await browser_less.get("/channels?platform=console&channel=den")
    assert '<option value="critic"' in page.text and '<option value="sidekick" selected' in page.text
    done = await browser_less.post("/channels/console/den/command",
                                   data={"csrf": csrf_of(page), "command": "persona", "args": "critic"})
    assert done.status_code == 303
    after = await browser_less.get(done.headers["location"])
    assert "will speak in" in after.text and '<option value="critic" selected' in after.text
    assert (await memory_app.memory.channel_settings("console", "den")).persona == "critic"
    [entry] = [e for entries in world.audit.values() for e in entries]
    assert (entry.command, entry.actor, entry.outcome) == ("persona", "console:web-admin", "ok")


async def test_bad_arguments_are_shown_and_change_nothing(browser_less: httpx.AsyncClient,
                                                          memory_app: Fireside) -> None:
    await sign_in(browser_less)
    page = await browser_less.get("/channels?platform=console&channel=den")
    done = await browser_less.post("/channels/console/den/command",
                                   data={"csrf": csrf_of(page), "command": "persona", "args": "nobody-here"})
    after = await browser_less.get(done.headers["location"])
    said = re.search(r'<p class="(\w+)" role="status">([^<]*)</p>', after.text)
    assert said and said.group(1) == "error" and "nobody-here" in said.group(2), after.text[-600:]
    assert (await memory_app.memory.channel_settings("console", "den")).persona is None


async def test_forged_posts_and_other_commands_are_refused(browser_less: httpx.AsyncClient,
                                                           memory_app: Fireside) -> None:
    await sign_in(browser_less)
    forged = await browser_less.post("/channels/console/den/command", data={"command": "off"})
    assert forged.status_code == 403
    page = await browser_less.get("/channels?platform=console&channel=den")
    other = await browser_less.post("/channels/console/den/command",
                                    data={"csrf": csrf_of(page), "command": "forget", "args": "@bob"})
    assert other.status_code == 400
    assert (await memory_app.memory.channel_settings("console", "den")).enabled  # nothing changed
    async with httpx.AsyncClient(transport=browser_less._transport, base_url="http://dash.test") as stranger:
        stolen = await stranger.post("/channels/console/den/command", data={"csrf": csrf_of(page), "command": "off"})
        assert stolen.status_code == 303 and stolen.headers["location"].startswith("/signin")  # not signed in
    assert (await memory_app.memory.channel_settings("console", "den")).enabled


def test_the_admin_token_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "web" / "admin-token"
    token = read_or_create(path)
    assert len(token) >= 32 and read_or_create(path) == token
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o644)
    read_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_a_change_sent_after_the_session_ended_is_kept_not_lost_and_not_run(
        browser_less: httpx.AsyncClient, memory_app: Fireside) -> None:
    await sign_in(browser_less)
    page = await browser_less.get("/channels?platform=console&channel=den")
    browser_less.cookies.clear()  # the session ended (expired, or signed out in another tab)
    late = await browser_less.post("/channels/console/den/command",
                                   data={"csrf": csrf_of(page), "command": "persona", "args": "critic"})
    assert late.status_code == 303 and late.headers["location"].startswith("/signin?next=")
    assert (await memory_app.memory.channel_settings("console", "den")).persona is None  # not run
    form = await browser_less.get(late.headers["location"])
    back = await browser_less.post(late.headers["location"], data={"csrf": csrf_of(form), "token": TOKEN})
    again = await browser_less.get(back.headers["location"])
    assert "Your session had ended, so this was not done: persona critic" in again.text
    assert '<option value="critic" selected' in again.text  # what was chosen, filled in again
    assert (await memory_app.memory.channel_settings("console", "den")).persona is None


async def test_the_audit_page_lists_what_the_page_and_chat_changed(browser_less: httpx.AsyncClient,
                                                                    memory_app: Fireside) -> None:
    await sign_in(browser_less)
    page = await browser_less.get("/channels?platform=console&channel=den")
    await browser_less.post("/channels/console/den/command", data={"csrf": csrf_of(page), "command": "off"})
    audit = await browser_less.get("/audit?platform=console&channel=den")
    assert audit.status_code == 200
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>\s*<td>([^<]+)", audit.text)
    assert [(who, what.strip()) for _when, who, what in rows] == [("dashboard admin", "off")]
    empty = await browser_less.get("/audit?platform=console&channel=elsewhere")
    assert "No moderator actions recorded here yet." in empty.text


async def test_an_admin_sees_and_forgets_a_user_through_the_forget_command(
        browser_less: httpx.AsyncClient, memory_app: Fireside, world: World) -> None:
    from bot.adapters.console import BufferSink
    from bot.events import Author, ChatEvent

    await memory_app.dispatch(ChatEvent("console", "local", Author("sam", "Sam"), "my code word is PAPAYA"),
                              BufferSink())
    await sign_in(browser_less)
    page = await browser_less.get("/privacy?user=Sam")
    assert "PAPAYA" in page.text and "Forget sam" in page.text
    unsure = await browser_less.post("/privacy/forget", data={"csrf": csrf_of(page), "user": "sam"})
    after = await browser_less.get(unsure.headers["location"])
    assert "Nothing was erased" in after.text and "PAPAYA" in after.text
    forged = await browser_less.post("/privacy/forget", data={"user": "sam", "sure": "yes"})
    assert forged.status_code == 403 and "PAPAYA" in world.dump()
    done = await browser_less.post("/privacy/forget", data={"csrf": csrf_of(page), "user": "sam", "sure": "yes"})
    after = await browser_less.get(done.headers["location"])
    assert "forgotten everything about that user" in after.text and "holds nothing about sam" in after.text
    assert "PAPAYA" not in world.dump()
    [entry] = [e for entries in world.audit.values() for e in entries if e.command == "forget"]
    assert entry.actor_name == "dashboard admin" and "sam" not in entry.args  # audited, without the name
