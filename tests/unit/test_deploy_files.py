"""The deploy files parse, and every FIRESIDE_* name in them is a real setting (a typo there would be a bot
that ignores its configuration). The containers themselves are not built here: no Docker engine."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import unknown_env_names

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _names(text: str) -> set[str]:
    return set(re.findall(r"\bFIRESIDE_[A-Z0-9_]+", text))


def test_yaml_files_parse() -> None:
    yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "fireside.yaml").read_text()))
    assert {d["kind"] for d in docs} == {"Secret", "ConfigMap", "Deployment"}


def test_every_setting_named_in_deploy_is_real() -> None:
    names: set[str] = set()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            names |= _names(path.read_text())
    assert names, "the deploy files name no settings at all?"
    assert unknown_env_names({n: "" for n in names}) == []
    assert "FIRESIDE_DISCORD__TOKEN" in names and "FIRESIDE_LLM__BASE_URL" in names


def test_secrets_are_not_committed() -> None:
    example = (DEPLOY / "fireside.env.example").read_text()
    assert re.search(r"FIRESIDE_DISCORD__TOKEN=\S", example) is None
    assert not (DEPLOY / "fireside.env").exists()
