"""Runs a command from the table, with the cross-cutting steps in one place and one order: who may run it,
its arguments, its cooldown, its confirmation, the handler, the audit log, and where the answer goes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.commands.cooldowns import Cooldowns
from bot.commands.parse import CONFIRM_WORD, check_values, parse_text
from bot.commands.spec import Answer, CommandContext, CommandSpec, Services, is_moderator
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.events import PRIVATE_ANSWERS, ChatEvent, ReplySink
from bot.memory.audit import AuditEntry
from bot.memory.base import MemoryUnavailable, account_key
from bot.metrics import COMMANDS

log = logging.getLogger(__name__)

BOT_SPEAKER = "Fireside"


class Refused(Exception):
    """Not allowed now (not a moderator, cooling down). Said only where the answer is private: in public chat a
    bot that answers every refusal floods it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CommandRunner:
    def __init__(self, table: CommandTable, services: Services, cooldowns: Cooldowns | None = None,
                 cooldown_overrides: Mapping[str, float] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.services = services
        self.cooldowns = cooldowns or Cooldowns()
        self.cooldown_overrides = dict(cooldown_overrides or {})
        self.clock = clock

    async def __call__(self, event: ChatEvent, sink: ReplySink) -> Any:
        spec = self.table.get(event.command or "")
        if spec is not None and not spec.on(event.platform):
            reason = {str(k): v for k, v in spec.not_on.items()}.get(event.platform, "")
            raise UserFacingError(f"{spec.name} isn't on {event.platform.title()}: {reason}.")
        if spec is None:
            helper = self.table.get("help")
            listing = self.services.invocation(event.platform, helper) if helper else "help"
            raise UserFacingError(f"I don't know the command {(event.command or '')[:40]!r}. {listing} lists them.")
        ctx = CommandContext(event, sink, self.services, spec, is_moderator(event))
        outcome = "failed"
        try:
            answer = await self._run(ctx)
            outcome = "ok" if answer is not None else "not_done"
            return answer
        finally:
            COMMANDS.labels(spec.name, event.platform, outcome).inc()

    async def _run(self, ctx: CommandContext) -> Answer | None:
        spec, event, sink = ctx.spec, ctx.event, ctx.sink
        values: dict[str, Any] = {}
        try:
            if spec.access == "moderator" and not ctx.moderator:
                raise Refused(f"Only moderators and admins can use {self.services.invocation(event.platform, spec)}.")
            # The cooldown comes before parsing, so a viewer repeating a malformed command gets silence, not a
            # usage line each time. Asking to confirm and confirming are separate steps with their own cooldown.
            cooldown_key = self._cool_down(ctx, event.confirmed or event.args.lower().split()[-1:] == [CONFIRM_WORD])
            values, confirmed = self._arguments(spec, event)
            given = [p for p in spec.params if p.moderator and values.get(p.name)]
            if given and not ctx.moderator:
                raise Refused(f"Only moderators and admins can change that ({spec.name} {given[0].name.upper()}).")
            if spec.confirm and not confirmed and not await sink.confirm(spec.confirm, f"{spec.name} confirm"):
                if cooldown_key is not None and event.can(PRIVATE_ANSWERS):
                    self.cooldowns.refund(cooldown_key)  # declined in private: nothing was done or said
                return None
            answer = await spec.handler(ctx, **values)
        except Refused as exc:
            await self._audit(ctx, values, "refused")
            if ctx.private:
                await sink.fail(exc.reason)  # a refusal, not an answer: private even for a public command
            else:
                log.debug("refused %s for %s: %s", spec.name, event.author_key, exc.reason)
            return None
        except BaseException as exc:
            await self._audit(ctx, values, "failed" if isinstance(exc, Exception) else "cancelled")
            raise
        await self._audit(ctx, values, "ok", answer.audit_args)
        if not answer.spoken:
            await self._say(sink, self._visible(ctx, answer))
        return answer

    def _arguments(self, spec: CommandSpec, event: ChatEvent) -> tuple[dict[str, Any], bool]:
        usage = spec.usage(self.services.invocation(event.platform, spec).removesuffix(spec.name))
        if event.options is not None:
            return check_values(spec, event.options, usage), event.confirmed
        if spec.confirm:  # typed commands are confirmed by typing them again with the word
            prefix = self.services.invocation(event.platform, spec).removesuffix(spec.name)
            usage += f", then {prefix}{spec.name} {CONFIRM_WORD} to go ahead"
        values, confirmed = parse_text(spec, event.args, event.mentions, event.platform, usage)
        return values, confirmed or event.confirmed

    def _cool_down(self, ctx: CommandContext, confirmed: bool) -> tuple[Any, ...] | None:
        spec, event = ctx.spec, ctx.event
        seconds = self.cooldown_overrides.get(spec.name, spec.cooldown)
        if ctx.moderator or seconds <= 0:
            return None
        key = (spec.name, confirmed, event.platform, event.channel, event.author.id)
        left = self.cooldowns.wait(key, seconds)
        if left > 0:
            raise Refused(f"Give it {left:.0f} more seconds before {spec.name} again.")
        return key

    def _visible(self, ctx: CommandContext, answer: Answer) -> str:
        """A private answer never goes to public chat: there, only what the handler offered for it."""
        if not ctx.spec.private or ctx.private:
            return answer.text
        if answer.public is not None:  # "" means: say nothing in public (a vote)
            return answer.public
        return (f"I answer {ctx.spec.name} privately: use "
                f"{self.services.invocation('discord', ctx.spec)} on Discord, or the console.")

    async def _audit(self, ctx: CommandContext, values: Mapping[str, Any], outcome: str,
                     args_given: str | None = None) -> None:
        spec, event = ctx.spec, ctx.event
        moderated = spec.access == "moderator" or any(p.moderator and values.get(p.name) for p in spec.params)
        if not moderated:
            return
        args = args_given if args_given is not None else " ".join(
            f"{k}={v}" for k, v in values.items() if v not in (None, False))
        entry = AuditEntry(at=self.clock(), platform=event.platform, scope=event.space or event.channel,
                           channel=event.channel, actor=account_key(event.platform, event.author.id),
                           actor_name=event.author.name, command=spec.name, args=args[:200], outcome=outcome)
        try:
            await self.services.audit.record(entry)
        except MemoryUnavailable as exc:
            log.warning("audit entry not stored (%s %s by %s): %s", spec.name, outcome, entry.actor, exc)

    @staticmethod
    async def _say(sink: ReplySink, text: str) -> None:
        if not text:
            return
        await sink.start(BOT_SPEAKER)
        await sink.write(text)
        await sink.finish()
