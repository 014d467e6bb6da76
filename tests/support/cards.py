"""Build Character Card fixtures in code (our own, not copies of anyone's cards)."""

from __future__ import annotations

import base64
import json
from typing import Any

from personas.png_chunks import blank_png, write_text_chunks


def v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": data}


def v3(data: dict[str, Any]) -> dict[str, Any]:
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": data}


def b64(card: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8")).decode("ascii")


def png_with(**chunks: str) -> bytes:
    return write_text_chunks(blank_png(), chunks, drop=set())


def full_card(name: str = "Lyra") -> dict[str, Any]:
    return {
        "name": name, "description": "{{char}} is a lighthouse keeper who talks to {{user}}.",
        "personality": "calm, dry", "scenario": "A storm night.", "first_mes": "Come in out of the rain, {{user}}.",
        "mes_example": "<START>\n{{user}}: hi\n{{char}}: Mind the wet floor.", "creator_notes": "NOTES-NEVER-PROMPT",
        "system_prompt": "{{original}} Keep it short.", "post_history_instructions": "{{original}} Stay gloomy.",
        "alternate_greetings": ["The lamp is lit."], "tags": ["TAG-NEVER-PROMPT"], "creator": "CREATOR-NEVER",
        "character_version": "VERSION-NEVER",
        "extensions": {"depth_prompt": {"prompt": "x", "depth": 4}, "somebody_else": {"a": [1, 2]}},
        "character_book": {"name": "Coast", "scan_depth": 2, "extensions": {"x": 1}, "entries": [
            {"keys": ["storm"], "content": "Storms here last three days.", "extensions": {"custom": True},
             "enabled": True, "insertion_order": 10, "id": 1},
        ]},
    }


# A persona that speaks only in channels marked for adults (extensions.fireside.adult_only).
ADULT_ONLY_PERSONA = ("name: Velvet\ndescription: A late-night host for grown-up chat.\n"
                      "system_prompt: You are {{char}}, a late-night host.\n"
                      "extensions:\n  fireside:\n    adult_only: true\n")
