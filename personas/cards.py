"""Character Card import and export: V1/V2/V3 as JSON, as PNG (`chara` / `ccv3` chunks) and as CHARX (zip)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personas.png_chunks import MAX_PNG_BYTES, PngError, blank_png, read_text_chunks, write_text_chunks
from personas.schema import Persona

V2_SPEC, V3_SPEC = "chara_card_v2", "chara_card_v3"
V1_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
V3_ONLY = ("nickname", "creator_notes_multilingual", "source", "group_only_greetings", "creation_date",
           "modification_date", "assets")
REQUIRED_V2 = ("name", "description", "personality", "scenario", "first_mes", "mes_example", "creator_notes",
               "system_prompt", "post_history_instructions", "alternate_greetings", "tags", "creator",
               "character_version", "extensions")
MAX_CARD_BYTES = 20_000_000
MAX_CHARX_MEMBERS = 10_000


class CardError(ValueError):
    """A card can't be read; the message names the file and, where it can, the field."""


def load_card(path: Path) -> Persona:
    """Read a card file by its content: PNG, CHARX (zip) or JSON."""
    try:
        size = path.stat().st_size
        if size > MAX_PNG_BYTES:
            raise CardError(f"{path}: {size} bytes is larger than the {MAX_PNG_BYTES}-byte limit for cards")
        data = path.read_bytes()
    except OSError as exc:
        raise CardError(f"{path}: cannot read it ({exc.strerror})") from exc
    return parse_card_bytes(data, str(path))


def parse_card_bytes(data: bytes, source: str) -> Persona:
    if data.startswith(b"\x89PNG"):
        return card_from_png(data, source)
    if data.startswith(b"PK\x03\x04"):
        return card_from_charx(data, source)
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CardError(f"{source}: not a PNG, CHARX or UTF-8 JSON card") from exc
    except json.JSONDecodeError as exc:
        raise CardError(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    return card_from_json(obj, source)


def card_from_png(data: bytes, source: str) -> Persona:
    try:
        texts = read_text_chunks(data)
    except PngError as exc:
        raise CardError(f"{source}: {exc}") from exc
    # V3 wins when both are present (the V3 spec); keys are matched case-insensitively as editors vary.
    lowered = {k.lower(): v for k, v in texts.items()}
    for chunk in ("ccv3", "chara"):
        if chunk in lowered:
            obj = _decode_chunk(lowered[chunk], f"{source}: '{chunk}' chunk")
            return card_from_json(obj, f"{source} ({chunk} chunk)")
    raise CardError(f"{source}: this PNG carries no character card (no 'chara' or 'ccv3' text chunk)")


def card_from_charx(data: bytes, source: str) -> Persona:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if len(names) > MAX_CHARX_MEMBERS:
                raise CardError(f"{source}: CHARX holds {len(names)} files; the limit is {MAX_CHARX_MEMBERS}")
            if "card.json" not in names:
                raise CardError(f"{source}: CHARX file has no card.json at its root")
            info = zf.getinfo("card.json")
            if info.file_size > MAX_CARD_BYTES:
                raise CardError(f"{source}: card.json is larger than {MAX_CARD_BYTES} bytes")
            raw = zf.read("card.json")
    except zipfile.BadZipFile as exc:
        raise CardError(f"{source}: not a valid CHARX (zip) file: {exc}") from exc
    except RuntimeError as exc:  # encrypted members
        raise CardError(f"{source}: CHARX can't be read: {exc}") from exc
    try:
        obj = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CardError(f"{source}: card.json is not valid UTF-8 JSON ({exc})") from exc
    return card_from_json(obj, f"{source} (card.json)")


def card_from_json(obj: Any, source: str) -> Persona:
    if not isinstance(obj, dict):
        raise CardError(f"{source}: a card must be a JSON object")
    spec = obj.get("spec")
    if spec is None:
        # V1: the fields sit at the top level.
        if "name" not in obj:
            raise CardError(f"{source}: field 'name': required (no 'spec', and not a V1 card either)")
        data: dict[str, Any] = {k: obj.get(k, "") for k in V1_FIELDS}
        prefix = ""
    elif spec in (V2_SPEC, V3_SPEC):
        inner = obj.get("data")
        if not isinstance(inner, dict):
            raise CardError(f"{source}: field 'data': required for a {spec} card, and must be an object")
        data = inner
        prefix = "data."
        if "name" not in data:
            raise CardError(f"{source}: field 'data.name': required")
    else:
        raise CardError(f"{source}: field 'spec': {spec!r} is not a card spec this version reads "
                        f"({V2_SPEC!r} or {V3_SPEC!r})")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: field '{prefix}{'.'.join(str(p) for p in e['loc'])}': {e['msg']}"
                    for e in exc.errors()]
        raise CardError("\n".join(problems)) from exc


def _decode_chunk(text: str, where: str) -> Any:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CardError(f"{where}: not valid base64 ({exc})") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CardError(f"{where}: base64 decodes, but not to UTF-8 JSON ({exc})") from exc


def card_data(persona: Persona, version: int) -> dict[str, Any]:
    """The card's `data`: what the source had (unknown fields and extensions included, nothing invented),
    plus every field the spec requires."""
    data: dict[str, Any] = persona.model_dump(mode="json", exclude_unset=True)
    full = persona.model_dump(mode="json", include=set(REQUIRED_V2))
    for key in REQUIRED_V2:
        data.setdefault(key, full[key])
    if version == 2:
        for key in V3_ONLY:
            data.pop(key, None)
    else:
        data.setdefault("group_only_greetings", [])
    return data


def export_card(persona: Persona, version: int = 3) -> dict[str, Any]:
    if version == 2:
        return {"spec": V2_SPEC, "spec_version": "2.0", "data": card_data(persona, 2)}
    return {"spec": V3_SPEC, "spec_version": "3.0", "data": card_data(persona, 3)}


def export_png(persona: Persona, avatar: bytes | None = None) -> bytes:
    """A PNG carrying both chunks: `ccv3` (V3) and `chara` (V2, for older readers)."""
    def b64(card: dict[str, Any]) -> str:
        return base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8")).decode("ascii")

    texts = {"chara": b64(export_card(persona, 2)), "ccv3": b64(export_card(persona, 3))}
    return write_text_chunks(avatar or blank_png(), texts, drop={"chara", "ccv3"})
