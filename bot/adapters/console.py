"""The console adapter: an interactive terminal chat, or JSON lines in and out for scripts and tests."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.adapters.base import Dispatch
from bot.events import PRIVATE_ANSWERS, Author, ChatEvent, RatingTarget, ReplySink
from bot.outlets import Outlets

HELP = ("console: /as NAME (speak as someone else), /who, /quit; /help lists the bot's commands. "
        "Ctrl-C stops a reply.")
LOCAL_COMMANDS = ("/as", "/who", "/quit", "/exit")
_MENTION = re.compile(r"@([\w.-]{1,64})")
Ask = Callable[[str], Awaitable[str]]  # show a question, return the next line typed
# The person at the console runs this bot: they are its admin.
CONSOLE_ROLES = frozenset({"admin"})
MAX_LINE_BYTES = 64_000


class PrintSink:
    """Interactive mode: print tokens as they arrive."""

    def __init__(self, out: TextIO, persona_name: str, ask: Ask | None = None) -> None:
        self.out = out
        self.persona_name = persona_name
        self.ask = ask
        self.started = False
        self.error: str | None = None

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        self.persona_name = speaker

    async def write(self, delta: str) -> None:
        if not self.started:
            self.out.write(f"{self.persona_name}: ")
            self.started = True
        self.out.write(delta)
        self.out.flush()

    async def finish(self) -> None:
        if self.started:
            self.out.write("\n")
            self.out.flush()

    async def fail(self, message: str) -> None:
        self.error = message
        prefix = "\n" if self.started else ""
        self.out.write(f"{prefix}{self.persona_name}: {message}\n")
        self.out.flush()

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        return None  # the numbered list in the text is the console's way to vote

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        return False  # /liked N and /nah N

    async def attach(self, filename: str, content: str) -> bool:
        self.out.write(f"--- {filename} ---\n{content.rstrip()}\n--- end of {filename} ---\n")
        self.out.flush()
        return True

    async def confirm(self, question: str, command_hint: str) -> bool:
        if self.ask is None:
            self.out.write(f"{question} To go ahead, type /{command_hint}\n")
            return False
        answer = await self.ask(f"{question} Go ahead? [y/N] ")
        if answer.strip().lower() in ("y", "yes"):
            return True
        self.out.write("Cancelled: nothing was changed.\n")
        return False


@dataclass
class BufferSink:
    """JSON-lines mode: collect the reply; the adapter writes one object when the turn ends."""

    parts: list[str] = field(default_factory=list)
    error: str | None = None
    finished: bool = False
    speaker: str | None = None
    offered: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        self.speaker = speaker
        self.parts.clear()  # a regenerated reply starts over

    async def write(self, delta: str) -> None:
        self.parts.append(delta)

    async def finish(self) -> None:
        self.finished = True

    async def fail(self, message: str) -> None:
        self.error = message

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        self.offered = labels

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        return False  # scripts rate by command

    async def attach(self, filename: str, content: str) -> bool:
        self.files[filename] = content
        return True

    async def confirm(self, question: str, command_hint: str) -> bool:
        # Scripts can't answer a prompt: they confirm by sending the command again with "confirm".
        self.parts[:] = [f"{question} To go ahead, send /{command_hint}"]
        self.speaker = self.speaker or "Fireside"
        return False

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


class EmitSink(BufferSink):
    """JSON-lines mode, for what the bot says unprompted (a story's next scene): one object when it ends."""

    def __init__(self, emit: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.emit = emit

    async def finish(self) -> None:
        await super().finish()
        self.emit({"persona": self.speaker, "reply": self.text, "unprompted": True})

    async def fail(self, message: str) -> None:
        await super().fail(message)
        self.emit({"persona": self.speaker, "reply": self.text, "error": message, "unprompted": True})


class ConsoleAdapter:
    name = "console"

    def __init__(self, persona_name: Callable[[], str], user: str = "you", channel: str = "local",
                 jsonl: bool = False, show_prompt: bool = False,
                 stdin: TextIO | None = None, stdout: TextIO | None = None, outlets: Outlets | None = None) -> None:
        self.persona_name = persona_name
        self.user = user
        self.channel = channel
        self.jsonl = jsonl
        self.show_prompt = show_prompt
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._counter = 0
        self._lines: asyncio.Queue[str] | None = None
        if outlets is not None:
            outlets.register("console", self.open_outlet)

    async def open_outlet(self, channel: str) -> ReplySink | None:
        """Where a story's next scene appears: this console, when it is the story's channel."""
        if channel != self.channel:
            return None
        if self.jsonl:
            return EmitSink(self._emit)
        self.stdout.write("\n")  # the prompt may be waiting on this line
        return PrintSink(self.stdout, "Fireside")

    def event(self, user: str, text: str) -> ChatEvent:
        self._counter += 1
        command, args = None, ""
        if text.startswith("/") and len(text) > 1:
            head, _, args = text[1:].partition(" ")
            command = head.lower()
        mentions = tuple((m, m.lower()) for m in _MENTION.findall(args))  # console accounts are names
        return ChatEvent(platform="console", channel=self.channel,
                         author=Author(id=user.strip().lower(), name=user.strip(), roles=CONSOLE_ROLES),
                         text=text, message_id=str(self._counter), addressed=True, command=command,
                         args=args.strip(), mentions=mentions, capabilities=frozenset({PRIVATE_ANSWERS}))

    async def _readline(self) -> str:
        # A daemon thread reads stdin: a blocked read then never keeps the process from exiting.
        if self._lines is None:
            self._lines = asyncio.Queue()
            loop = asyncio.get_running_loop()
            queue = self._lines

            def pump() -> None:
                while True:
                    line = self.stdin.readline()
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                    if not line:
                        return

            threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        return await self._lines.get()

    async def run(self, dispatch: Dispatch) -> None:
        if self.jsonl:
            await self._run_jsonl(dispatch)
        else:
            await self._run_interactive(dispatch)

    async def _run_jsonl(self, dispatch: Dispatch) -> None:
        while True:
            line = await self._readline()
            if not line:
                return
            if not line.strip():
                continue
            try:
                user, text = _parse_jsonl(line)
            except ValueError as exc:
                self._emit({"error": f"bad input line: {exc}"})
                continue
            sink = BufferSink()
            event = self.event(user, text)
            result = await dispatch(event, sink)
            out: dict[str, Any] = {"user": user, "persona": sink.speaker or self.persona_name(), "reply": sink.text}
            if sink.error:
                out["error"] = sink.error
            if event.command is None:  # a chat turn: did Redis acknowledge its write? (scripts count these)
                out["stored"] = bool(getattr(result, "stored", False))
            if sink.files:
                out["files"] = sink.files
            if self.show_prompt and result is not None and hasattr(result, "messages"):
                out["prompt"] = [{"role": m.role, "content": m.content} for m in result.messages]
            self._emit(out)

    def _emit(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stdout.flush()

    async def _run_interactive(self, dispatch: Dispatch) -> None:
        out = self.stdout
        out.write(f"Fireside console: you are talking to {self.persona_name()}. {HELP}\n")
        out.flush()
        while True:
            out.write(f"{self.user}> ")
            out.flush()
            line = await self._readline()
            if not line:
                out.write("\n")
                return
            text = line.strip()
            if not text:
                continue
            if text.split(" ", 1)[0] in LOCAL_COMMANDS:
                if self._command(text):
                    return
                continue
            sink = PrintSink(out, self.persona_name(), ask=self._ask)
            turn = asyncio.ensure_future(dispatch(self.event(self.user, text), sink))
            try:
                await asyncio.shield(turn)
            except asyncio.CancelledError:
                # Ctrl-C: cancel the turn (this closes the model stream) and keep the chat open.
                turn.cancel()
                await asyncio.gather(turn, return_exceptions=True)
                out.write("\n[reply stopped; nothing was stored for it]\n")
                out.flush()
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()

    async def _ask(self, question: str) -> str:
        self.stdout.write(question)
        self.stdout.flush()
        return await self._readline()

    def _command(self, text: str) -> bool:
        """Handle a /command; True means quit."""
        cmd, _, arg = text.partition(" ")
        if cmd in ("/quit", "/exit"):
            return True
        if cmd == "/as":
            name = arg.strip()
            if not name or len(name) > 32:
                self.stdout.write("usage: /as NAME  (1-32 characters)\n")
            else:
                self.user = name
                self.stdout.write(f"now speaking as {name}\n")
        elif cmd == "/who":
            self.stdout.write(f"you are {self.user} in #{self.channel}\n")
        self.stdout.flush()
        return False


def _parse_jsonl(line: str) -> tuple[str, str]:
    if len(line.encode("utf-8", "replace")) > MAX_LINE_BYTES:
        raise ValueError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError('expected an object like {"user": "alice", "text": "hi"}')
    user, text = obj.get("user", "you"), obj.get("text")
    if not isinstance(user, str) or not user.strip() or len(user) > 64:
        raise ValueError("'user' must be a non-empty string of at most 64 characters")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    return user.strip(), text
