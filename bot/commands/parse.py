"""Arguments, typed once: text as typed on Twitch or the console is parsed by the table's parameters, typed
values from Discord are checked against the same rules; every error names the parameter and the usage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.spec import CommandSpec, Param
from bot.errors import UserFacingError

CONFIRM_WORD = "confirm"


class ArgumentError(UserFacingError):
    """A bad or missing argument; the reason says which and shows the usage."""


def parse_text(spec: CommandSpec, args: str, mentions: tuple[tuple[str, str], ...], platform: str,
               usage: str) -> tuple[dict[str, Any], bool]:
    """Values by parameter name, and whether the trailing word `confirm` was given."""
    tokens = args.split()
    confirmed = False
    if spec.confirm and tokens and tokens[-1].lower() == CONFIRM_WORD:
        tokens.pop()
        confirmed = True
    values: dict[str, Any] = {}
    for param in (p for p in spec.params if p.kind == "flag"):
        hit = next((i for i, t in enumerate(tokens) if t.lower() == param.name), None)
        values[param.name] = hit is not None
        if hit is not None:
            tokens.pop(hit)
    positional = [p for p in spec.params if p.kind != "flag"]
    for i, param in enumerate(positional):
        if not tokens:
            break
        if param.kind == "text" and i == len(positional) - 1:
            raw, tokens = " ".join(tokens), []
        else:
            raw = tokens.pop(0)
        values[param.name] = convert(param, raw, mentions, platform, usage)
    if tokens:
        raise ArgumentError(f"Too many words for {spec.name}: {' '.join(tokens)!r}. Usage: {usage}")
    return check_values(spec, values, usage), confirmed


def check_values(spec: CommandSpec, values: Mapping[str, Any], usage: str) -> dict[str, Any]:
    """The same rules for values that arrive typed (Discord); fills in the absent optional ones."""
    known = {p.name for p in spec.params}
    unknown = set(values) - known
    if unknown:
        raise ArgumentError(f"{spec.name} has no option {sorted(unknown)[0]!r}. Usage: {usage}")
    out: dict[str, Any] = {}
    for param in spec.params:
        value = values.get(param.name)
        if value is None or (param.kind != "flag" and value == ""):
            if param.required:
                raise ArgumentError(f"{spec.name} needs {param.name.upper()}: {param.description}. Usage: {usage}")
            out[param.name] = False if param.kind == "flag" else None
            continue
        out[param.name] = _check(param, value, usage)
    return out


def convert(param: Param, raw: str, mentions: tuple[tuple[str, str], ...], platform: str, usage: str) -> Any:
    if param.kind == "number":
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            raise ArgumentError(f"{param.name.upper()} must be a number (got {raw[:40]!r}). Usage: {usage}") from None
    if param.kind == "integer":
        try:
            return int(raw.lstrip("#"))
        except ValueError:
            raise ArgumentError(f"{param.name.upper()} must be a whole number (got {raw[:40]!r}). Usage: {usage}") \
                from None
    if param.kind == "user":
        return resolve_user(raw, mentions, platform, usage)
    return raw


def resolve_user(raw: str, mentions: tuple[tuple[str, str], ...], platform: str, usage: str) -> str:
    """An account id from "@name" (looked up in the message's mentions), a bare id, or a console name."""
    name = raw.lstrip("@").lower()
    for mentioned, account_id in mentions:
        if mentioned.lstrip("@").lower() == name:
            return account_id
    if platform == "console":
        return name  # console accounts are the names typed with /as
    if raw.isdigit():
        return raw
    raise ArgumentError(f"I can't tell who {raw[:40]!r} is: mention them with @. Usage: {usage}")


def _check(param: Param, value: Any, usage: str) -> Any:
    if param.kind == "flag":
        return bool(value)
    if param.kind in ("number", "integer"):
        number = int(value) if param.kind == "integer" else float(value)
        low = param.minimum if param.minimum is not None else float("-inf")
        high = param.maximum if param.maximum is not None else float("inf")
        if not low <= number <= high:
            raise ArgumentError(f"{param.name.upper()} must be between {param.minimum:g} and {param.maximum:g} "
                                f"(got {number:g}).")
        return number
    text = str(value).strip()
    if len(text) > param.max_length:
        raise ArgumentError(f"{param.name.upper()} is too long (at most {param.max_length} characters).")
    if param.choices and text.lower() not in param.choices:
        raise ArgumentError(f"{param.name.upper()} must be one of: {', '.join(param.choices)}. Usage: {usage}")
    return text.lower() if param.choices else text
