"""Load persona YAML files (and the built-ins), with errors that name the file, the field and the line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from personas.schema import Persona

MAX_PERSONA_BYTES = 1_000_000


class PersonaError(ValueError):
    """A persona file is unreadable or invalid; the message names the file, field and line."""


def builtin_names() -> list[str]:
    folder = resources.files("personas") / "builtin"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_builtin(name: str) -> Persona:
    resource = resources.files("personas") / "builtin" / f"{name}.yaml"
    if not resource.is_file():
        raise PersonaError(f"no built-in persona named {name!r}; built-ins: {', '.join(builtin_names())}")
    return parse_persona(resource.read_text(encoding="utf-8"), source=f"built-in:{name}")


def load_persona_file(path: Path) -> Persona:
    try:
        size = path.stat().st_size
        if size > MAX_PERSONA_BYTES:
            raise PersonaError(f"{path}: file is {size} bytes; persona files are limited to {MAX_PERSONA_BYTES}")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PersonaError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise PersonaError(f"{path}: cannot read it ({exc.strerror})") from exc
    return parse_persona(text, source=str(path))


def parse_persona(text: str, source: str) -> Persona:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise PersonaError(f"{source}: invalid YAML at {where}: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise PersonaError(f"{source}: a persona file must be a mapping with at least a 'name' field")
    # A full card ({spec, spec_version, data}) is accepted too: the persona is its `data`.
    prefix: tuple[str, ...] = ()
    if isinstance(data.get("data"), dict) and "spec" in data:
        data, prefix = data["data"], ("data",)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(str(p) for p in err["loc"])
            line = _line_of(node, prefix + path)
            at = f" (line {line})" if line else ""
            field = ".".join(path) or "(top level)"
            msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{source}: field '{field}'{at}: {msg}")
        raise PersonaError("\n".join(problems)) from exc
    # Hand-written files: an unknown field is almost always a typo, so it is an error here.
    unknown = persona.unknown_fields
    if unknown:
        problems = []
        for name in unknown:
            line = _line_of(node, (*prefix, name))
            at = f" (line {line})" if line else ""
            problems.append(f"{source}: field '{name}'{at}: unknown field")
        raise PersonaError("\n".join(problems))
    return persona


def _line_of(node: Any, path: tuple[str, ...]) -> int | None:
    """1-based line of the YAML node at `path`, or of its nearest existing parent."""
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                break
            line = (key.start_mark.line + 1) if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    return line
