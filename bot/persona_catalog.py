"""Which persona speaks in a channel: the channel's choice when it still loads, else the default."""

from __future__ import annotations

import logging

from personas.loader import PersonaError
from personas.registry import LoadedPersona, PersonaRegistry

log = logging.getLogger(__name__)


class PersonaCatalog:
    def __init__(self, registry: PersonaRegistry, default: str) -> None:
        self.registry = registry
        self.default_name = default
        self.default()  # fail at start, not at the first message, if the default is broken

    def default(self) -> LoadedPersona:
        return self.registry.get(self.default_name)

    def for_channel(self, chosen: str | None) -> LoadedPersona:
        if chosen:
            try:
                return self.registry.get(chosen)
            except PersonaError as exc:
                log.warning("channel persona %r is unavailable, using the default: %s", chosen, exc)
        return self.default()

    def avatar_url(self, name: str) -> str | None:
        """The web address of the avatar of the persona called `name` (a Character Card V3 "icon" asset), for
        a platform that shows a speaker's picture by URL (Discord webhooks); None where it has none."""
        for key in self.registry.names():
            try:
                persona = self.registry.get(key).persona
            except PersonaError:
                continue
            if name in (persona.name, persona.nickname):
                for asset in persona.assets:
                    uri = str(asset.get("uri", ""))
                    if asset.get("type") == "icon" and uri.startswith(("https://", "http://")):
                        return uri
        return None
