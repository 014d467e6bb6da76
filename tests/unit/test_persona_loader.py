"""Persona files: the built-ins load, and malformed files fail naming the file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from personas.loader import PersonaError, builtin_names, load_builtin, load_persona_file
from personas.registry import PersonaRegistry


def test_three_builtins_load() -> None:
    assert set(builtin_names()) >= {"narrator", "sidekick", "critic"}
    for name in builtin_names():
        persona = load_builtin(name)
        assert persona.name and persona.system_prompt and persona.first_mes
        assert persona.fireside.sampling.max_tokens > 0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_field_names_file_field_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: Vex\ndescription: hi\ndescripton: typo\n")
    with pytest.raises(PersonaError) as err:
        load_persona_file(path)
    msg = str(err.value)
    assert str(path) in msg and "'descripton'" in msg and "line 3" in msg and "unknown field" in msg


def test_bad_nested_fireside_value(tmp_path: Path) -> None:
    text = "name: Vex\nextensions:\n  fireside:\n    sampling:\n      temperature: 9\n"
    with pytest.raises(PersonaError) as err:
        load_persona_file(_write(tmp_path, text))
    assert "temperature" in str(err.value) and "line 5" in str(err.value)


def test_missing_name(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="'name'"):
        load_persona_file(_write(tmp_path, "description: nobody\n"))


def test_blank_name(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="'name'"):
        load_persona_file(_write(tmp_path, "name: '   '\n"))


def test_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(PersonaError) as err:
        load_persona_file(_write(tmp_path, "name: Vex\nalternate_greetings: 5\n"))
    assert "alternate_greetings" in str(err.value) and "line 2" in str(err.value)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(PersonaError) as err:
        load_persona_file(_write(tmp_path, "name: Vex\ndescription: [oops\n"))
    assert "invalid YAML" in str(err.value) and "line" in str(err.value)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="mapping"):
        load_persona_file(_write(tmp_path, "- a\n- b\n"))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(PersonaError, match="UTF-8"):
        load_persona_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="cannot read"):
        load_persona_file(tmp_path / "nope.yaml")


def test_card_wrapper_is_accepted(tmp_path: Path) -> None:
    text = "spec: chara_card_v2\nspec_version: '2.0'\ndata:\n  name: Vex\n  bogus: 1\n"
    with pytest.raises(PersonaError) as err:
        load_persona_file(_write(tmp_path, text))
    assert "line 5" in str(err.value)


def test_resolve_unknown_name() -> None:
    with pytest.raises(PersonaError, match="no persona named"):
        PersonaRegistry().get("nobody-by-this-name")


def test_registry_reloads_when_a_persona_or_its_lorebook_changes(tmp_path: Path) -> None:
    import json
    import os

    now = [0.0]
    persons, books = tmp_path / "p", tmp_path / "lore"
    persons.mkdir()
    books.mkdir()
    (persons / "vex.yaml").write_text("name: Vex\nextensions:\n  fireside:\n    lorebooks: [sky]\n")
    (books / "sky.json").write_text(json.dumps({"entries": [{"keys": ["moon"], "content": "Moon one."}]}))
    registry = PersonaRegistry(dirs=[persons], lorebook_dir=books, clock=lambda: now[0])
    assert registry.get("vex").lore.scan(["moon"]) == ("Moon one.",)

    (books / "sky.json").write_text(json.dumps({"entries": [{"keys": ["moon"], "content": "Moon two."}]}))
    os.utime(books / "sky.json", (1e9, 1e9))
    assert registry.get("vex").lore.scan(["moon"]) == ("Moon one.",)  # checked at most every 2 s
    now[0] = 5.0
    assert registry.get("vex").lore.scan(["moon"]) == ("Moon two.",)

    (persons / "vex.yaml").write_text("name: Vexa\n")
    os.utime(persons / "vex.yaml", (2e9, 2e9))
    now[0] = 10.0
    assert registry.get("vex").persona.name == "Vexa"
