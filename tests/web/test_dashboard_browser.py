"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the dashboard served by
uvicorn on loopback. A streamer signs in with the one-time link, chooses a persona for the console channel, and
the next console message is answered by it. Screenshots of each page (desk and phone) go to test-artifacts/."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright, expect
from starlette.applications import Starlette

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from bot.services.redis_server import free_port
from bot.web.admin_token import AdminAccess
from tests.support.services import missing

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def served(web: Starlette) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="off"))
    task = asyncio.ensure_future(server.serve())
    for _ in range(500):  # uvicorn has no event for "listening"; its flag is polled
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "the dashboard did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        missing("chromium is not installed (apt-get install -y chromium; the test command does it)")
    async with async_playwright() as pw:
        # Debian's build, not Playwright's download (not reachable here); --no-sandbox: the suite may run as root.
        launched = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def test_a_streamer_signs_in_and_chooses_the_persona_that_then_answers_in_chat(
        served: str, browser: Browser, access: AdminAccess, memory_app: Fireside) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page()
    await page.goto(f"{served}/signin")
    await page.fill("#token", "not the token")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("not the admin token")
    await page.screenshot(path=str(SHOTS / "signin-refused.png"), full_page=True)

    await page.goto(f"{served}/signin?code={access.new_code()}&next=/channels%3Fplatform%3Dconsole%26channel%3Dlocal")
    await expect(page.locator("h1")).to_contain_text("console · local")
    await page.select_option("#persona", "critic")
    await page.click("text=Set persona")
    await expect(page.get_by_role("status")).to_contain_text("will speak in")
    await expect(page.locator("#persona")).to_have_value("critic")
    await page.screenshot(path=str(SHOTS / "channel.png"), full_page=True)

    out = io.StringIO()
    await ConsoleAdapter(persona_name=lambda: "?", jsonl=True, stdin=io.StringIO('{"user": "Sam", "text": "hi"}\n'),
                         stdout=out).run(memory_app.dispatch)
    reply = json.loads(out.getvalue().splitlines()[-1])
    assert reply["persona"] == memory_app.personas.registry.get("critic").persona.name

    await page.click("text=Switch off")
    await expect(page.get_by_role("status")).to_contain_text("off")
    assert not (await memory_app.memory.channel_settings("console", "local")).enabled

    await page.click("text=Audit")
    await page.fill("#scope", "local")
    await page.click("text=Show")
    await expect(page.locator("tbody tr")).to_have_count(2)  # the persona, then off
    await page.screenshot(path=str(SHOTS / "audit.png"), full_page=True)

    await page.click("text=Privacy")
    await page.fill("#user", "Sam")
    await page.click("text=Look up")
    await expect(page.get_by_label("their data")).to_contain_text('"name:console": "Sam"')
    await page.screenshot(path=str(SHOTS / "privacy.png"), full_page=True)
    await page.check("input[name=sure]")
    await page.click("text=Forget sam")
    await expect(page.get_by_role("status")).to_contain_text("forgotten everything about that user")
    await expect(page.locator("main")).to_contain_text("Fireside holds nothing about sam")

    phone = await browser.new_page(viewport=PHONE)
    await phone.goto(f"{served}/signin")
    await phone.screenshot(path=str(SHOTS / "signin-phone.png"), full_page=True)
    await phone.goto(f"{served}/signin?code={access.new_code()}")
    await expect(phone.locator("h1")).to_contain_text("Channel")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    await phone.screenshot(path=str(SHOTS / "channel-phone.png"), full_page=True)
