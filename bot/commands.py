"""Platform-neutral commands: one function per command, called by Discord slash commands, Twitch
!commands and the console alike. Permission checks happen here, once."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import UserFacingError
from bot.events import ChatEvent, ReplySink
from bot.memory.base import MemoryStore
from bot.memory.facts import RedisFactStore
from bot.memory.identity import Identity, LinkError
from bot.persona_catalog import PersonaCatalog
from bot.privacy import OptOuts
from personas.loader import PersonaError
from personas.registry import slug

ADMIN_ROLES = frozenset({"admin", "moderator", "broadcaster", "owner"})
BOT_SPEAKER = "Fireside"

Handler = Callable[[ChatEvent], Awaitable[str]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    admin: bool
    handler: Handler


def is_admin(event: ChatEvent) -> bool:
    return bool(event.author.roles & ADMIN_ROLES)


class Commands:
    def __init__(self, memory: MemoryStore, personas: PersonaCatalog, optouts: OptOuts,
                 on_settings_changed: Callable[[str, str], None] = lambda _p, _c: None,
                 facts: RedisFactStore | None = None, identity: Identity | None = None,
                 on_forget: Callable[[str], None] | None = None) -> None:
        self.memory = memory
        self.personas = personas
        self.optouts = optouts
        self.on_settings_changed = on_settings_changed
        self.facts = facts
        self.identity = identity
        self.on_forget = on_forget
        self.table = {c.name: c for c in (
            Command("persona", "persona [NAME|default]", "show this channel's persona, or choose one (admins)",
                    admin=False, handler=self.persona),
            Command("personas", "personas", "list the personas", admin=False, handler=self.list_personas),
            Command("reload", "reload", "reload persona files and lorebooks (admins)", admin=True,
                    handler=self.reload),
            Command("open", "open", "answer every message in this channel, not only mentions (admins)",
                    admin=True, handler=self.open_channel),
            Command("close", "close", "answer only mentions, replies and commands here (admins)", admin=True,
                    handler=self.close_channel),
            Command("cadence", "cadence SECONDS", "how often a streamed reply is updated here (admins)",
                    admin=True, handler=self.cadence),
            Command("settings", "settings", "this channel's effective settings (admins)", admin=True,
                    handler=self.show_settings),
            Command("forget", "forget USER", "erase everything remembered about a user (admins)", admin=True,
                    handler=self.forget_user),
            Command("on", "on", "switch me on in this channel (admins)", admin=True, handler=self.switch_on),
            Command("off", "off", "switch me off in this channel; commands still work (admins)", admin=True,
                    handler=self.switch_off),
            Command("optout", "optout", "forget me and never store anything about me again", admin=False,
                    handler=self.opt_out),
            Command("optin", "optin", "let me remember you again", admin=False, handler=self.opt_in),
            Command("memory", "memory", "what I remember about you", admin=False, handler=self.memory_of_me),
            Command("export", "export", "everything I keep about you, as JSON", admin=False, handler=self.export),
            Command("link", "link [CODE]", "link your accounts on two platforms (one memory)", admin=False,
                    handler=self.link),
            Command("unlink", "unlink", "split this account's memory from your other platform's", admin=False,
                    handler=self.unlink),
            Command("forgetme", "forgetme", "erase everything I remember about you", admin=False,
                    handler=self.forget_me),
        )}

    async def __call__(self, event: ChatEvent, sink: ReplySink) -> str:
        command = self.table.get(event.command or "")
        if command is None:
            known = ", ".join(sorted(self.table))
            raise UserFacingError(f"I don't know the command {event.command!r}. Commands: {known}.")
        if command.admin and not is_admin(event):
            raise UserFacingError(f"Only admins and moderators can use {command.name}.")
        text = await command.handler(event)
        await sink.start(BOT_SPEAKER)
        await sink.write(text)
        await sink.finish()
        return text

    async def persona(self, event: ChatEvent) -> str:
        name = event.args.strip()
        if not name:
            settings = await self.memory.channel_settings(event.platform, event.channel, event.space)
            current = self.personas.for_channel(settings.get("persona"))
            return f"This channel's persona is {current.persona.name} ({current.key})."
        if not is_admin(event):
            raise UserFacingError("Only admins and moderators can choose the persona.")
        # "NAME server" sets the server-wide default, which channels without their own choice inherit.
        server_wide = name.lower().endswith(" server") and event.space is not None
        if server_wide:
            name = name[: -len(" server")].strip()
        where = "this server" if server_wide else "this channel"
        if name.lower() == "default":
            await self._set(event, "persona", None, server_wide)
            return f"Back to the default persona in {where}."
        if len(name) > 100:
            raise UserFacingError("That persona name is too long.")
        try:
            loaded = self.personas.registry.get(name)
        except PersonaError as exc:
            raise UserFacingError(_short(str(exc))) from exc
        await self._set(event, "persona", slug(name), server_wide)
        return f"{loaded.persona.name} will speak in {where} from now on."

    async def list_personas(self, event: ChatEvent) -> str:
        names = self.personas.registry.names()
        return "Personas: " + ", ".join(names) + "."

    async def reload(self, event: ChatEvent) -> str:
        problems = self.personas.registry.reload()
        loaded = len(self.personas.registry.names()) - len(problems)
        if not problems:
            return f"Reloaded {loaded} personas."
        detail = "; ".join(f"{k}: {_short(v)}" for k, v in sorted(problems.items()))
        return f"Reloaded {loaded} personas; {len(problems)} failed (the last good version stays): {detail}"


    async def _set(self, event: ChatEvent, key: str, value: str | None, server_wide: bool = False) -> None:
        if server_wide and event.space is not None:
            await self.memory.set_space_setting(event.platform, event.space, key, value)
        else:
            await self.memory.set_channel_setting(event.platform, event.channel, key, value)
        self.on_settings_changed(event.platform, event.channel)

    async def open_channel(self, event: ChatEvent) -> str:
        await self._set(event, "free", "1")
        return "I'll join in on every message in this channel now."

    async def close_channel(self, event: ChatEvent) -> str:
        await self._set(event, "free", None)
        return "I'll only answer when I'm mentioned, replied to, or given a command here."

    async def cadence(self, event: ChatEvent) -> str:
        raw = event.args.strip()
        try:
            seconds = float(raw)
        except ValueError:
            raise UserFacingError(f"cadence needs a number of seconds, like `cadence 1.5` (got {raw!r}).") from None
        if not MIN_CADENCE <= seconds <= MAX_CADENCE:
            raise UserFacingError(f"cadence must be between {MIN_CADENCE} and {MAX_CADENCE} seconds.")
        await self._set(event, "cadence", f"{seconds:g}")
        return f"Streamed replies here will update every {seconds:g} s."

    async def show_settings(self, event: ChatEvent) -> str:
        settings = await self.memory.channel_settings(event.platform, event.channel, event.space)
        persona = self.personas.for_channel(settings.get("persona"))
        free = "every message" if settings.get("free") == "1" else "mentions, replies and commands"
        cadence = settings.get("cadence", "default")
        state = "off" if settings.get("enabled") == "0" else "on"
        return (f"Persona: {persona.persona.name} ({persona.key}). Switched {state}. Answers: {free}. "
                f"Reply cadence: {cadence}.")

    async def _forget(self, platform: str, account_id: str) -> int:
        uid = await self.memory.resolve_uid(platform, account_id)
        if uid is not None and self.on_forget is not None:
            self.on_forget(uid)  # nothing still queued for extraction may be stored afterwards
        return await self.memory.forget_account(platform, account_id)

    async def forget_user(self, event: ChatEvent) -> str:
        target = event.args.strip()
        if not target:
            raise UserFacingError("Whom should I forget? Name the user.")
        removed = await self._forget(event.platform, target)
        return f"Done: I've forgotten everything about that user ({removed} chat lines removed)."

    async def memory_of_me(self, event: ChatEvent) -> str:
        uid = await self.memory.resolve_uid(event.platform, event.author.id)
        profile = await self.memory.profile(uid) if uid else None
        if uid is None or profile is None:
            return "I don't remember anything about you yet."
        names = ", ".join(f"{name} on {platform}" for platform, name in sorted(profile.names.items()))
        text = f"I know you as {names}. We've talked {profile.turns} times."
        if self.facts is not None:
            facts, _ = await self.facts.facts(uid)
            if facts:
                text += " I remember: " + "; ".join(f.text for f in facts[-10:]) + "."
        return text + " Say forgetme to erase it all, or export to get a copy."

    async def export(self, event: ChatEvent) -> str:
        if self.identity is None:
            raise UserFacingError("Export isn't available here.")
        if event.platform == "twitch":
            raise UserFacingError("Twitch chat is public: use export on Discord (it answers privately) or the console.")
        data = await self.identity.export(event.platform, event.author.id)
        return json.dumps(data, ensure_ascii=False, indent=1)

    async def link(self, event: ChatEvent) -> str:
        if self.identity is None:
            raise UserFacingError("Linking isn't available here.")
        code = event.args.strip()
        if not code:
            made = await self.identity.create_code(event.platform, event.author.id)
            other = "!link" if event.platform != "twitch" else "/fireside link code:"
            return f"Your link code is {made}. Within 10 minutes, use {other} {made} on your other platform."
        try:
            await self.identity.redeem(code, event.platform, event.author.id)
        except LinkError as exc:
            raise UserFacingError(str(exc)) from exc
        return "Linked: both accounts now share one memory. Say unlink to split them again."

    async def unlink(self, event: ChatEvent) -> str:
        if self.identity is None:
            raise UserFacingError("Linking isn't available here.")
        if await self.identity.unlink(event.platform, event.author.id):
            return "Unlinked: this account starts a memory of its own."
        return "This account isn't linked to another one."

    async def switch_on(self, event: ChatEvent) -> str:
        await self._set(event, "enabled", None)
        return "I'm back on in this channel."

    async def switch_off(self, event: ChatEvent) -> str:
        await self._set(event, "enabled", "0")
        return "I'm off in this channel until a moderator says on."

    async def opt_out(self, event: ChatEvent) -> str:
        await self.optouts.set(event.platform, event.author.id, True)
        removed = await self._forget(event.platform, event.author.id)
        return (f"Done: I've forgotten you ({removed} chat lines removed) and won't store anything about you "
                "from now on. Say optin to undo.")

    async def opt_in(self, event: ChatEvent) -> str:
        await self.optouts.set(event.platform, event.author.id, False)
        return "Welcome back: I'll remember our chats again."

    async def forget_me(self, event: ChatEvent) -> str:
        removed = await self._forget(event.platform, event.author.id)
        return f"Done: I've forgotten everything about you ({removed} chat lines removed)."


MIN_CADENCE, MAX_CADENCE = 0.5, 10.0


def _short(text: str, limit: int = 300) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
