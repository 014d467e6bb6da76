"""A story scene on Discord told by its cast: the narrator's prose under the narrator's name and avatar, and each
line a character speaks ("Mira: Who goes there?") under that character's name, each through the channel's
webhook, each streamed like any reply. Where the bot may not manage webhooks, the scene is the bot's own
message, as before."""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.adapters.discord.sink import DiscordReplySink
from bot.adapters.discord.voices import Voices, WebhookVoice
from bot.events import RatingTarget
from bot.metrics import STORY_VOICES
from bot.story.speakers import SPEAKER, is_character

MAX_CAST = 4  # characters with a voice of their own in one scene; any more speak through the narrator
DECIDE_AFTER = 40  # characters into a line with no colon yet: it is prose, stream it

SinkFor = Callable[[discord.abc.Messageable | WebhookVoice], DiscordReplySink]


class CastSink:
    def __init__(self, channel: discord.abc.Messageable, voices: Voices, sink_for: SinkFor, bot_name: str,
                 avatar_for: Callable[[str], str | None] = lambda _name: None) -> None:
        self.channel = channel
        self.voices = voices
        self.sink_for = sink_for
        self.bot_name = bot_name
        self.avatar_for = avatar_for
        self.current: DiscordReplySink | None = None
        self.narrator = bot_name
        self.speaker = bot_name
        self.cadence: float | None = None
        self.voiced = False  # speaking through the webhook (else: the bot's own messages, no cast)
        self.pending = ""  # the start of a line not yet known to be prose or a character's
        self.decided = True
        self.cast: list[str] = []  # the characters who have spoken, in order

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        self.narrator, self.cadence = speaker, cadence
        voice = None
        if speaker != self.bot_name:  # the bot's own announcements stay the bot's
            voice = await self.voices.voice(self.channel, speaker, self.avatar_for(speaker))
        self.voiced = voice is not None
        if speaker != self.bot_name:
            STORY_VOICES.labels("narrator" if self.voiced else "bot").inc()
        self.current = self.sink_for(voice if voice is not None else self.channel)
        self.speaker, self.pending, self.decided = speaker, "", False
        await self.current.start(speaker, cadence)

    async def write(self, delta: str) -> None:
        assert self.current is not None, "start() first"
        if not self.voiced:
            await self.current.write(delta)
            return
        self.pending += delta
        await self._route(final=False)

    async def _route(self, final: bool) -> None:
        assert self.current is not None
        while self.pending:
            if not self.decided:
                newline = self.pending.find("\n")
                head = self.pending if newline < 0 else self.pending[:newline]
                if not head.strip():
                    if newline < 0 and not final:
                        return  # blank so far: wait for the line to say something
                    # A blank line: a paragraph break for whoever speaks now.
                    await self.current.write(self.pending[:newline + 1] if newline >= 0 else self.pending)
                    self.pending = self.pending[newline + 1:] if newline >= 0 else ""
                    continue
                colon = head.find(":")
                if colon < 0 and newline < 0 and len(head) < DECIDE_AFTER and not final:
                    return  # who speaks is not known yet
                match = SPEAKER.match(head) if 0 <= colon <= DECIDE_AFTER else None
                speaker, named = self._speaker_of(match["name"] if match is not None else None)
                await self._switch(speaker)
                if match is not None and named and self.speaker == speaker:  # else the name stays in the line
                    self.pending = self.pending[match.end():]
                self.decided = True
                continue
            newline = self.pending.find("\n")
            if newline < 0:
                await self.current.write(self.pending)
                self.pending = ""
                return
            await self.current.write(self.pending[:newline + 1])
            self.pending, self.decided = self.pending[newline + 1:], False

    def _speaker_of(self, name: str | None) -> tuple[str, bool]:
        """Who speaks a line that opens with `name:` (None: prose), and whether that opening is a speaker's name
        to leave out of the text."""
        if name is None:
            return self.narrator, False
        if name == self.narrator or name.lower() == "narrator":
            return self.narrator, True
        if not is_character(name, self.narrator) or name == self.bot_name:
            return self.narrator, False  # "Scene 2: ...", "Note: ..." are prose
        if name in self.cast or len(self.cast) < MAX_CAST:
            return name, True
        return self.narrator, False  # a crowded scene: the narrator says the line, name and all

    async def _switch(self, name: str) -> None:
        assert self.current is not None
        if name == self.speaker:
            return
        voice = await self.voices.voice(self.channel, name, self.avatar_for(name))
        if voice is None:  # the webhook went away mid-scene: carry on in the current voice
            return
        await self.current.finish()
        if name != self.narrator and name not in self.cast:
            self.cast.append(name)
        self.current, self.speaker = self.sink_for(voice), name
        STORY_VOICES.labels("narrator" if name == self.narrator else "character").inc()
        await self.current.start(name, self.cadence)

    async def finish(self) -> None:
        assert self.current is not None
        if self.voiced:
            await self._route(final=True)
        await self.current.finish()

    async def fail(self, message: str) -> None:
        assert self.current is not None
        await self.current.fail(message)

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        """The buttons go under the narrator's last words (the numbered choices), never under a character's."""
        assert self.current is not None
        if self.voiced:
            await self._route(final=True)
            await self._switch(self.narrator)
        await self.current.offer_choices(labels, scene)

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        assert self.current is not None
        return await self.current.offer_ratings(for_account, picks)

    async def attach(self, filename: str, content: str) -> bool:
        return False

    async def confirm(self, question: str, command_hint: str) -> bool:
        return False
