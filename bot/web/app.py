"""The dashboard's routes: sign-in (the admin token, or a one-time link from the terminal), and the channel page,
whose every change runs the same command handler as the chat command (through the router, as the web admin)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.metrics import WEB_REQUESTS
from bot.web import csrf
from bot.web.admin_token import AdminAccess
from personas.loader import PersonaError

HERE = Path(__file__).parent
SESSION_SECONDS = 12 * 3600
# The channel page's changes, each the chat command of the same name (same checks, same audit entry).
CHANNEL_COMMANDS = frozenset({"on", "off", "open", "close", "persona", "cadence"})
WEB_ADMIN = Author("web-admin", "dashboard admin", roles=frozenset({"admin"}))


def build_web(core: Fireside, access: AdminAccess, secret: str, https: bool = False) -> Starlette:
    pages = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        WEB_REQUESTS.labels(name.removesuffix(".html"), str(status)).inc()
        body = pages.get_template(name).render(csrf=csrf.token_for(request.session), signed_in=_admin(request),
                                               **context)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def as_admin(request: Request, platform: str, channel_id: str, name: str, args: str,
                       confirmed: bool = False) -> None:
        """Run the chat command `name` as the dashboard admin; its answer (or error) is shown on the next page."""
        sink = BufferSink()
        await core.dispatch(ChatEvent(platform, channel_id, WEB_ADMIN, f"/{name} {args}".strip(), command=name,
                                      args=args, confirmed=confirmed), sink)
        request.session["said"] = {"ok": sink.error is None, "text": sink.error or sink.text}

    async def signin(request: Request) -> Response:
        next_url = _local(request.query_params.get("next", "/channels"))
        code = request.query_params.get("code")
        if code is not None:
            if access.use_code(code):
                request.session["admin"] = True
                return RedirectResponse(next_url, status_code=303)
            return render(request, "signin.html", 403, next=next_url,
                          error="That sign-in link was used already or has expired: ask `fireside web` for a new "
                                "one, or sign in with the admin token.")
        if request.method == "GET":
            return render(request, "signin.html", next=next_url, error=None)
        form = await request.form()
        if not csrf.valid(request.session, form.get(csrf.FIELD)):
            return render(request, "signin.html", 403, next=next_url,
                          error="This form had expired: sign in again.")
        if not access.token_ok(str(form.get("token", ""))):
            return render(request, "signin.html", 403, next=next_url, error="That is not the admin token.")
        request.session["admin"] = True
        return RedirectResponse(next_url, status_code=303)

    async def signout(request: Request) -> Response:
        form = await request.form()
        if csrf.valid(request.session, form.get(csrf.FIELD)):
            request.session.clear()
        return RedirectResponse("/signin", status_code=303)

    async def channel(request: Request) -> Response:
        platform = request.query_params.get("platform", "console")
        channel_id = request.query_params.get("channel", "local")
        if not _admin(request):
            return _to_signin(request)
        if platform != "console":
            return render(request, "channel.html", 403, platform=platform, channel=channel_id, settings=None,
                          personas=[], said=None, error="The admin token manages the console channels; servers "
                          "and Twitch channels need a platform sign-in, which comes next.")
        settings = await core.memory.channel_settings(platform, channel_id)
        said = request.session.pop("said", None)
        draft = request.session.pop("draft", None)
        current = settings.persona or core.personas.default_name
        if draft is not None:
            said = {"ok": False, "text": f"Your session had ended, so this was not done: {draft['command']} "
                                         f"{draft['args']}. It is filled in below: check it and send it again."}
            if draft["command"] == "persona":
                current = draft["args"]
        return render(request, "channel.html", platform=platform, channel=channel_id, settings=settings,
                      personas=_persona_choices(core), said=said, error=None, current=current)

    async def run_command(request: Request) -> Response:
        platform, channel_id = request.path_params["platform"], request.path_params["channel"]
        back = "/channels?" + urlencode({"platform": platform, "channel": channel_id})
        form = await request.form()
        if not _admin(request):
            # The session ended while the page was open: keep what was typed, to show it again (not to run it:
            # a post from a signed-out browser may be another site's) once they have signed in.
            request.session["draft"] = {"command": str(form.get("command", ""))[:40],
                                        "args": str(form.get("args", ""))[:500]}
            return _to_signin(request, back)
        if (forged := _forged(request, form, "command")) is not None:
            return forged
        name, args = str(form.get("command", "")), str(form.get("args", "")).strip()
        if name not in CHANNEL_COMMANDS or platform != "console":
            WEB_REQUESTS.labels("command", "400").inc()
            return HTMLResponse(f"Not a change this page makes: {name!r}.", status_code=400)
        await as_admin(request, platform, channel_id, name, args)
        WEB_REQUESTS.labels("command", "303").inc()
        return RedirectResponse(back, status_code=303)

    async def audit(request: Request) -> Response:
        platform = request.query_params.get("platform", "console")
        scope = request.query_params.get("channel", "local")
        if not _admin(request):
            return _to_signin(request)
        if platform != "console":
            return render(request, "audit.html", 403, platform=platform, scope=scope, entries=[],
                          error="The admin token shows the console channels' log.")
        entries = await core.stores.audit.latest(platform, scope, limit=100)
        return render(request, "audit.html", platform=platform, scope=scope, entries=entries, error=None,
                      when=lambda at: time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)))

    async def privacy(request: Request) -> Response:
        """Look a console user up: what Fireside holds about them, as JSON, and a forget that runs the `forget`
        command (confirmed on this page, audited without the name, as in chat)."""
        if not _admin(request):
            return _to_signin(request)
        account = request.query_params.get("user", "").strip().lstrip("@").lower()[:100]
        said = request.session.pop("said", None)
        held = await core.stores.identity.export("console", account) if account else None
        found = bool(held and (held.get("facts") or held.get("history_lines") or held.get("profile")))
        shown = json.dumps(held, ensure_ascii=False, indent=2, default=str) if found else None
        return render(request, "privacy.html", account=account, held=shown, said=said)

    async def forget_user(request: Request) -> Response:
        form = await request.form()
        account = str(form.get("user", "")).strip().lstrip("@").lower()[:100]
        if not _admin(request):
            return _to_signin(request, "/privacy?" + urlencode({"user": account}))
        if (forged := _forged(request, form, "forget")) is not None:
            return forged
        if form.get("sure") != "yes" or not account:
            request.session["said"] = {"ok": False, "text": "Nothing was erased: tick the box to confirm."}
        else:
            await as_admin(request, "console", "dashboard", "forget", account, confirmed=True)
        WEB_REQUESTS.labels("forget", "303").inc()
        return RedirectResponse("/privacy?" + urlencode({"user": account}), status_code=303)

    async def home(request: Request) -> Response:
        return RedirectResponse("/channels", status_code=303)

    routes = [
        Route("/", home),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/channels", channel),
        Route("/channels/{platform}/{channel}/command", run_command, methods=["POST"]),
        Route("/audit", audit),
        Route("/privacy", privacy),
        Route("/privacy/forget", forget_user, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    # Signed (itsdangerous), HttpOnly cookies; SameSite=lax keeps them off other sites' posts; Secure behind https.
    session = Middleware(SessionMiddleware, secret_key=secret, session_cookie="fireside_session",
                         max_age=SESSION_SECONDS, same_site="lax", https_only=https)
    return Starlette(routes=routes, middleware=[session])


def _forged(request: Request, form: Any, page: str) -> Response | None:
    """A refusal for a form without this session's CSRF token (another site's post, or a stale page)."""
    if csrf.valid(request.session, form.get(csrf.FIELD)):
        return None
    WEB_REQUESTS.labels(page, "403").inc()
    return HTMLResponse("This form is not from your session (or it expired): reload the page and try again.",
                        status_code=403)


def _persona_choices(core: Fireside) -> list[tuple[str, str]]:
    """(key, "Name (key)") for each persona that loads; a broken file is left out, as chat would refuse it."""
    out = []
    for key in core.personas.registry.names():
        try:
            name = core.personas.registry.get(key).persona.name
        except PersonaError:
            continue
        out.append((key, name if name.lower() == key else f"{name} ({key})"))
    return out


def _admin(request: Request) -> bool:
    return request.session.get("admin") is True


def _to_signin(request: Request, back: str | None = None) -> Response:
    target = back or str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)


def _local(url: str) -> str:
    """Only a path on this site: a `next` pointing elsewhere would make sign-in an open redirect."""
    return url if url.startswith("/") and not url.startswith("//") else "/channels"
