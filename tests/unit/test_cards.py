"""Character Card import/export: V1/V2/V3 as JSON, PNG and CHARX; round trips; malformed cards."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from personas.cards import CardError, card_from_json, export_card, export_png, parse_card_bytes
from personas.png_chunks import blank_png, read_text_chunks
from tests.support.cards import b64, full_card, png_with, v2, v3

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "cards"


def test_v2_json_round_trip_keeps_every_field_and_unknown_extensions() -> None:
    card = v2(full_card())
    persona = card_from_json(card, "t")
    again = export_card(persona, 2)
    assert again == card  # lossless: nothing dropped, nothing invented
    assert card_from_json(again, "t2") == persona


def test_v3_json_round_trip_with_v3_fields() -> None:
    data = {**full_card(), "nickname": "Ly", "group_only_greetings": ["Hello all."], "source": ["x"],
            "creation_date": 1700000000, "creator_notes_multilingual": {"fr": "notes"},
            "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]}
    persona = card_from_json(v3(data), "t")
    assert persona.nickname == "Ly" and persona.group_only_greetings == ["Hello all."]
    assert export_card(persona, 3) == v3(data)
    assert "nickname" not in export_card(persona, 2)["data"]


def test_png_round_trip_v2_and_v3() -> None:
    persona = card_from_json(v3({**full_card(), "group_only_greetings": []}), "t")
    png = export_png(persona)
    chunks = read_text_chunks(png)
    assert {"chara", "ccv3"} <= set(chunks)
    assert parse_card_bytes(png, "t.png") == persona


def test_v3_chunk_wins_over_chara() -> None:
    png = png_with(chara=b64(v2({"name": "Old"})), ccv3=b64(v3({"name": "New"})))
    assert parse_card_bytes(png, "t.png").name == "New"


def test_unicode_card() -> None:
    data = {"name": "Ωmega 狐 🦊", "description": "Speaks 日本語 and émojis 🔥", "first_mes": "«Bonjour» — hi"}
    persona = parse_card_bytes(png_with(chara=b64(v2(data))), "t.png")
    assert persona.name == "Ωmega 狐 🦊"
    assert parse_card_bytes(export_png(persona), "t.png") == persona


def test_big_lorebook_round_trip() -> None:
    entries = [{"keys": [f"key{i}", f"alt{i}"], "content": f"Entry {i}: " + "lore " * 40, "extensions": {},
                "enabled": True, "insertion_order": i} for i in range(2000)]
    persona = card_from_json(v2({"name": "Big", "character_book": {"entries": entries, "extensions": {}}}), "t")
    assert persona.character_book is not None and len(persona.character_book.entries) == 2000
    assert parse_card_bytes(export_png(persona), "big.png") == persona


def test_missing_optional_fields_get_defaults() -> None:
    persona = card_from_json(v2({"name": "Bare"}), "t")
    assert persona.description == "" and persona.alternate_greetings == [] and persona.character_book is None
    exported = export_card(persona, 2)["data"]
    for key in ("description", "personality", "scenario", "first_mes", "mes_example", "creator_notes",
                "system_prompt", "post_history_instructions", "alternate_greetings", "tags", "creator",
                "character_version", "extensions"):
        assert key in exported


def test_nulls_in_the_wild_are_empty() -> None:
    persona = card_from_json(v2({"name": "N", "personality": None, "tags": None, "extensions": None}), "t")
    assert persona.personality == "" and persona.tags == []


def test_v1_card() -> None:
    persona = card_from_json({"name": "Old", "description": "d", "first_mes": "hi", "chat": "x"}, "t")
    assert persona.name == "Old" and persona.first_mes == "hi"


def test_charx_reads_card_json() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("card.json", json.dumps(v3({"name": "Zipped", "group_only_greetings": []})))
        zf.writestr("assets/icon/images/main.png", blank_png())
    assert parse_card_bytes(buf.getvalue(), "x.charx").name == "Zipped"


def test_unknown_data_fields_survive_export() -> None:
    persona = card_from_json(v3({"name": "F", "future_field": {"x": 1}}), "t")
    assert export_card(persona, 3)["data"]["future_field"] == {"x": 1}


# --- malformed cards: the error names the file and the field

def test_bad_base64_names_file_and_chunk() -> None:
    with pytest.raises(CardError) as err:
        parse_card_bytes(png_with(chara="!!!not base64!!!"), "bad.png")
    assert "bad.png" in str(err.value) and "'chara' chunk" in str(err.value) and "base64" in str(err.value)


def test_base64_of_garbage() -> None:
    with pytest.raises(CardError, match="not to UTF-8 JSON"):
        parse_card_bytes(png_with(chara="aGVsbG8gd29ybGQ="), "bad.png")


def test_wrong_spec() -> None:
    with pytest.raises(CardError) as err:
        card_from_json({"spec": "chara_card_v9", "data": {"name": "x"}}, "w.json")
    assert "w.json" in str(err.value) and "'spec'" in str(err.value)


def test_missing_name() -> None:
    with pytest.raises(CardError, match=r"field 'data\.name'"):
        card_from_json(v2({"description": "no name"}), "m.json")


def test_missing_data() -> None:
    with pytest.raises(CardError, match="field 'data'"):
        card_from_json({"spec": "chara_card_v2"}, "m.json")


def test_wrong_field_type_names_the_field() -> None:
    with pytest.raises(CardError) as err:
        card_from_json(v2({"name": "x", "alternate_greetings": 5}), "t.json")
    assert "data.alternate_greetings" in str(err.value)


def test_bad_lorebook_entry_names_the_path() -> None:
    with pytest.raises(CardError) as err:
        card_from_json(v2({"name": "x", "character_book": {"entries": [{"keys": ["a"], "enabled": "maybe"}]}}), "t")
    assert "data.character_book.entries.0.enabled" in str(err.value)


def test_png_without_card() -> None:
    with pytest.raises(CardError, match="no character card"):
        parse_card_bytes(blank_png(), "plain.png")


def test_truncated_png() -> None:
    png = png_with(chara=b64(v2({"name": "x"})))
    with pytest.raises(CardError, match="truncated"):
        parse_card_bytes(png[: len(png) // 2], "cut.png")


def test_corrupted_png_crc() -> None:
    png = bytearray(png_with(chara=b64(v2({"name": "x"}))))
    png[40] ^= 0xFF
    with pytest.raises(CardError, match=r"CRC|truncated"):
        parse_card_bytes(bytes(png), "crc.png")


def test_invalid_json_names_line() -> None:
    with pytest.raises(CardError, match="line 2"):
        parse_card_bytes(b'{"spec": "chara_card_v2",\n "data": {,}}', "j.json")


def test_charx_without_card_json() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(CardError, match=r"card\.json"):
        parse_card_bytes(buf.getvalue(), "x.charx")


# --- real cards nobody here wrote

@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not present")
def test_realworld_seraphina_loads() -> None:
    persona = parse_card_bytes((REALWORLD / "default_Seraphina.png").read_bytes(), "Seraphina.png")
    assert persona.name == "Seraphina" and persona.first_mes
    assert persona.character_book is not None and len(persona.character_book.entries) == 4
    assert (persona.extensions.model_extra or {}).get("world") == "Eldoria"
    assert parse_card_bytes(export_png(persona), "again.png") == persona


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not present")
def test_realworld_eldoria_world_book_loads() -> None:
    from personas.lorebook import load_lorebook_file

    book = load_lorebook_file(REALWORLD / "Eldoria.worldbook.json")
    assert len(book.entries) == 4 and "eldoria" in book.entries[0].keys
