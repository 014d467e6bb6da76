"""The command table: CommandSpecs declared once with a decorator beside their handlers, one table per area,
merged into the bot's table by `command_table()`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from bot.commands.spec import Access, CommandSpec, Handler, Param, Platform, Visibility


class CommandTable:
    def __init__(self, area: str = "chat") -> None:
        self.area = area
        self._specs: dict[str, CommandSpec] = {}

    def command(self, name: str, description: str, *, params: tuple[Param, ...] = (), access: Access = "everyone",
                cooldown: float = 0.0, visibility: Visibility = "public", confirm: str | None = None,
                not_on: Mapping[Platform, str] | None = None) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(CommandSpec(name=name, description=description, handler=handler, params=params, access=access,
                                 cooldown=cooldown, visibility=visibility, confirm=confirm, area=self.area,
                                 not_on=dict(not_on or {})))
            return handler

        return register

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"command {spec.name!r} is declared twice")
        if len(spec.description) > 100:
            raise ValueError(f"command {spec.name!r}: description over Discord's 100 characters")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def on(self, platform: str) -> list[CommandSpec]:
        return [spec for spec in self if spec.on(platform)]

    @classmethod
    def merge(cls, *tables: CommandTable) -> CommandTable:
        merged = cls("all")
        for table in tables:
            for spec in table:
                merged.add(spec)
        return merged


def command_table() -> CommandTable:
    """Every command of the bot."""
    from bot.commands import admin, chat, persona, privacy, recommend, safety, story

    return CommandTable.merge(chat.TABLE, persona.TABLE, privacy.TABLE, story.TABLE, recommend.TABLE, admin.TABLE,
                              safety.TABLE)
