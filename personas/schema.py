"""The persona schema: Character Card V2 `data` fields, with Fireside's own settings under extensions.fireside."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from personas.lorebook import Lorebook

Feature = Literal["chat", "story", "recommend"]


class SamplingDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    max_tokens: int = Field(200, ge=1, le=4096)
    repetition_penalty: float = Field(1.1, ge=0.5, le=2.0)


def _default_features() -> list[Feature]:
    return ["chat"]


class FiresideExtension(BaseModel):
    """Fireside's own persona settings, stored where a card keeps extensions so that export is lossless."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampling: SamplingDefaults = SamplingDefaults()
    style_notes: list[str] = Field(default_factory=list, max_length=20)
    features: list[Feature] = Field(default_factory=_default_features)
    # Other names chat may use to address the character (besides `name`).
    nicknames: list[str] = Field(default_factory=list, max_length=10)
    # Standalone lorebooks (names in the lorebook folder) this persona always uses.
    lorebooks: list[str] = Field(default_factory=list, max_length=20)
    # Speaks only where a channel is marked for adults (Discord's age-restricted channels; `adult on` elsewhere).
    adult_only: bool = False
    # A chat reply ends after this many sentences: generation stops there (small models ignore "one to three
    # sentences" in the instructions). None: as long as the token limit allows.
    max_sentences: int | None = Field(None, ge=1, le=20)


class Extensions(BaseModel):
    """A card's `extensions`: ours under `fireside`; every other key is kept as it came, for export."""

    model_config = ConfigDict(extra="allow", frozen=True)

    fireside: FiresideExtension = FiresideExtension()


class Persona(BaseModel):
    """One character. A YAML persona and an imported Character Card are the same object.

    Field names are the Character Card V2 `data` fields plus the optional V3 ones. Unknown fields are kept
    (cards from newer specs must survive export); hand-written YAML files are linted against typos.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: list[str] = Field(default_factory=list)
    character_book: Lorebook | None = None
    tags: list[str] = Field(default_factory=list)
    creator: str = ""
    creator_notes: str = ""
    character_version: str = ""
    extensions: Extensions = Extensions()
    # Character Card V3 additions.
    nickname: str = ""
    creator_notes_multilingual: dict[str, str] = Field(default_factory=dict)
    source: list[str] = Field(default_factory=list)
    group_only_greetings: list[str] = Field(default_factory=list)
    creation_date: int | None = None
    modification_date: int | None = None
    assets: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("description", "personality", "scenario", "first_mes", "mes_example", "system_prompt",
                     "post_history_instructions", "creator", "creator_notes", "character_version", "nickname",
                     mode="before")
    @classmethod
    def _null_is_empty_text(cls, value: Any) -> Any:
        # Cards in the wild carry null for fields they never filled in.
        return "" if value is None else value

    @field_validator("alternate_greetings", "tags", "group_only_greetings", "source", mode="before")
    @classmethod
    def _null_is_empty_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("extensions", mode="before")
    @classmethod
    def _null_is_empty_dict(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @property
    def fireside(self) -> FiresideExtension:
        return self.extensions.fireside

    @property
    def unknown_fields(self) -> list[str]:
        return sorted(self.model_extra or {})
