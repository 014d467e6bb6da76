"""What a command is: its declaration (CommandSpec, Param), what a handler receives (CommandContext, with the
services it may use) and what it returns (Answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from bot.events import PRIVATE_ANSWERS, ChatEvent, ReplySink

if TYPE_CHECKING:
    from bot.commands.table import CommandTable
    from bot.memory.audit import AuditLog
    from bot.memory.base import MemoryStore
    from bot.memory.facts import FactStore
    from bot.memory.forget import Forgetter
    from bot.memory.identity import IdentityStore
    from bot.memory.optouts import OptOuts
    from bot.persona_catalog import PersonaCatalog
    from bot.recommend.service import Recommender
from bot.story.director import StoryDirector

Access = Literal["everyone", "moderator"]
Visibility = Literal["private", "public"]
Kind = Literal["text", "word", "number", "integer", "flag", "user"]
Platform = Literal["discord", "twitch", "console"]
PLATFORMS: tuple[Platform, ...] = ("discord", "twitch", "console")
MODERATOR_ROLES = frozenset({"admin", "moderator", "broadcaster", "owner"})
DEFAULT_PREFIXES: Mapping[str, str] = {"twitch": "!", "console": "/"}


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: Kind = "word"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 100
    moderator: bool = False  # giving this parameter takes a moderator (anyone may run the command without it)
    complete: str | None = None  # a completion source for platforms that offer one ("personas")

    @property
    def placeholder(self) -> str:
        shown = self.name.upper() if self.kind != "flag" else self.name
        return shown if self.required else f"[{shown}]"


Handler = Callable[..., Awaitable["Answer"]]  # (ctx: CommandContext, **values) -> Answer


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    handler: Handler
    params: tuple[Param, ...] = ()
    access: Access = "everyone"
    cooldown: float = 0.0  # seconds per user; moderators are exempt
    visibility: Visibility = "public"
    confirm: str | None = None  # the question asked before a destructive command runs
    area: str = "chat"
    # Platforms this command is not on, and why (the parity test reads this).
    not_on: Mapping[Platform, str] = field(default_factory=dict)

    @property
    def private(self) -> bool:
        return self.visibility == "private"

    def on(self, platform: str) -> bool:
        return platform not in self.not_on

    def usage(self, prefix: str) -> str:
        return " ".join([f"{prefix}{self.name}", *(p.placeholder for p in self.params)])

    def for_members(self) -> CommandSpec:
        """Without the options only moderators may give (Discord's /fireside variant)."""
        return replace(self, params=tuple(p for p in self.params if not p.moderator))

    def for_moderators(self) -> CommandSpec:
        """With the moderators' options, the first of which is then required (Discord's /fireside-admin variant:
        it exists to set what members can't)."""
        return replace(self, params=tuple(replace(p, required=True) if p.moderator and p.kind != "flag" else p
                                          for p in self.params))


@dataclass
class Services:
    """What handlers may use: store interfaces and a few callbacks, never a backend."""

    memory: MemoryStore
    personas: PersonaCatalog
    optouts: OptOuts
    identity: IdentityStore
    audit: AuditLog
    forgetter: Forgetter
    facts: FactStore | None = None
    table: CommandTable | None = None
    settings_changed: Callable[[str, str], None] = lambda _p, _c: None
    chat: Callable[[ChatEvent, ReplySink], Awaitable[Any]] | None = None  # a chat turn (for ask)
    stories: StoryDirector | None = None
    recommender: Recommender | None = None
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PREFIXES))

    def invocation(self, platform: str, spec: CommandSpec) -> str:
        return invocation(platform, spec, self.prefixes)


@dataclass(frozen=True)
class CommandContext:
    event: ChatEvent
    sink: ReplySink
    services: Services
    spec: CommandSpec
    moderator: bool

    @property
    def private(self) -> bool:
        """The answer reaches the author alone."""
        return self.event.can(PRIVATE_ANSWERS)

    def command(self, name: str) -> str:
        """How to type another command here, for answers that point at one."""
        table = self.services.table
        spec = table.get(name) if table is not None else None
        if spec is None:
            return name
        return self.services.invocation(self.event.platform, spec)


@dataclass(frozen=True)
class Answer:
    text: str
    public: str | None = None  # for a private command answered in public chat: what may be said there instead
    audit_args: str | None = None  # what the audit log records as the arguments, when not the arguments
    spoken: bool = False  # the handler already answered through the sink (a chat turn)


def invocation(platform: str, spec: CommandSpec, prefixes: Mapping[str, str] = DEFAULT_PREFIXES,
               admin: bool = False) -> str:
    """How a user types this command on a platform: "!memory", "/fireside memory", "/memory". On Discord the
    moderator-only commands, and the moderator options of the others (`admin`), live in /fireside-admin."""
    if platform == "discord":
        return f"/fireside-admin {spec.name}" if admin or spec.access == "moderator" else f"/fireside {spec.name}"
    return f"{prefixes.get(platform, '/')}{spec.name}"


def is_moderator(event: ChatEvent) -> bool:
    return bool(event.author.roles & MODERATOR_ROLES)
