"""The dashboard on a running Fireside core (in-memory stores, the scripted model): its ASGI app for HTTP tests,
and the admin's access (token and one-time codes)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from bot.app import Fireside
from bot.web.admin_token import AdminAccess
from bot.web.app import build_web

TOKEN = "test-admin-token-0123456789"


@pytest.fixture
def access() -> AdminAccess:
    return AdminAccess(TOKEN)


@pytest.fixture
def web(memory_app: Fireside, access: AdminAccess) -> Starlette:
    return build_web(memory_app, access, secret="test-session-secret")


@pytest.fixture
async def browser_less(web: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app (no server, no browser), keeping cookies like a browser would."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://dash.test") as client:
        yield client
