"""Recommendations asked in plain chat ("I love Zelda, can you recommend something?"): a chat middleware that
finds the ask, answers it from the catalogs in the persona's voice, and stores the turn like any other, so the
model never invents titles there. Everything else goes on to the conversation engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.errors import UserFacingError
from bot.events import ChatEvent, ReplySink
from bot.memory.base import ChannelSettings
from bot.metrics import RECOMMENDATION_ASKS
from bot.recommend.intent import find_ask
from bot.recommend.service import Place, Recommender, Viewer, rating_targets
from personas.registry import LoadedPersona

Handler = Callable[[ChatEvent, ReplySink], Awaitable[Any]]
SettingsFor = Callable[[str, str, str | None], Awaitable[ChannelSettings]]


class Remember(Protocol):
    async def remember(self, event: ChatEvent, reply: str, persona: str) -> bool: ...


class OptOuts(Protocol):
    async def is_out(self, platform: str, account_id: str) -> bool: ...


class Personas(Protocol):
    def for_channel(self, chosen: str | None) -> LoadedPersona: ...


@dataclass(frozen=True)
class Answered:
    reply: str
    stored: bool  # Redis acknowledged the turn's write (False: journaled to retry, or the viewer opted out)


class RecommendInChat:
    def __init__(self, recommender: Recommender, turns: Remember, personas: Personas, settings_for: SettingsFor,
                 optouts: OptOuts) -> None:
        self.recommender = recommender
        self.turns = turns
        self.personas = personas
        self.settings_for = settings_for
        self.optouts = optouts

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        ask = find_ask(event.text) if event.command is None and self.recommender.embedder is not None else None
        if ask is None:
            return await handler(event, sink)
        settings = await self.settings_for(event.platform, event.channel, event.space)
        if not settings.enabled or not (await self.recommender.index()).items:
            return await handler(event, sink)  # switched off here, or no catalog: plain chat as before
        RECOMMENDATION_ASKS.labels(event.platform).inc()
        persona = self.personas.for_channel(settings.persona).persona
        viewer = Viewer(event.platform, event.author.id, event.author.name,
                        await self.optouts.is_out(event.platform, event.author.id), event.channel)
        pitched = None
        try:
            pitched = await self.recommender.offer(viewer, ask.request, persona,
                                                   Place.of(settings))
            text = pitched.text if pitched is not None else (
                f"{event.author.name}, I've nothing new to offer you there: try another kind or mood.")
        except UserFacingError as exc:  # a kind the catalogs lack: say which there are
            text = str(exc)
        await sink.start(persona.name, settings.cadence)
        await sink.write(text)
        if pitched is not None and not viewer.opted_out:
            await sink.offer_ratings(event.author.id, rating_targets(pitched.picks))
        await sink.finish()
        return Answered(text, await self.turns.remember(event, text, persona.name))
