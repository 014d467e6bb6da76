"""Serve the dashboard with uvicorn inside the bot's event loop (so pages and chat share one Fireside core), and
say where to sign in: a one-time link on the terminal, never in a log file."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import uvicorn

from bot.app import Fireside
from bot.errors import ConfigError
from bot.settings import Settings
from bot.web.admin_token import AdminAccess, read_or_create
from bot.web.app import build_web


def admin_access(settings: Settings) -> AdminAccess:
    return AdminAccess(read_or_create(settings.data_dir / "web" / "admin-token"))


def session_secret(settings: Settings) -> str:
    given = settings.web.session_secret
    return given.get_secret_value() if given else read_or_create(settings.data_dir / "web" / "session-secret")


async def serve_web(core: Fireside, settings: Settings, tell: Callable[[str], None], stop: asyncio.Event,
                    access: AdminAccess | None = None) -> None:
    """Until `stop` is set. `tell` writes to the terminal (stderr), not to the log."""
    web = settings.web
    access = access or admin_access(settings)
    _check_port(web.host, web.port)
    base = web.public_url or f"http://{'localhost' if web.host in ('127.0.0.1', '0.0.0.0') else web.host}:{web.port}"
    app = build_web(core, access, session_secret(settings), https=base.startswith("https://"))
    config = uvicorn.Config(app, host=web.host, port=web.port, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    tell(f"dashboard: {base}/  sign in once with {base}/signin?code={access.new_code()}  (works for ten minutes; "
         f"the admin token is in {settings.data_dir / 'web' / 'admin-token'})")
    try:
        await asyncio.wait([task, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        await task


def _check_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"FIRESIDE_WEB__PORT: cannot listen on {host}:{port} ({exc.strerror}); another "
                              "process has it, so choose another port.") from None
