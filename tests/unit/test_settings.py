"""Settings: env names with FIRESIDE_ and __, the YAML file, and errors that name the key or line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings, masked_dump


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("FIRESIDE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_nested_env_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_REDIS__URL", "redis://example:6379/0")
    monkeypatch.setenv("FIRESIDE_LLM__BASE_URL", "http://vllm:8000/v1")
    monkeypatch.setenv("FIRESIDE_TWITCH__CHANNELS", '["a","b"]')
    s = load_settings()
    assert s.redis.url is not None and s.redis.url.get_secret_value() == "redis://example:6379/0"
    assert s.llm.base_url == "http://vllm:8000/v1"
    assert s.twitch.channels == ["a", "b"]


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_DISCORD__TOKEN", "super-secret-token")
    monkeypatch.setenv("FIRESIDE_LLM__API_KEY", "sk-12345")
    s = load_settings()
    dumped = str(masked_dump(s))
    assert "super-secret-token" not in dumped and "sk-12345" not in dumped
    assert "super-secret-token" not in repr(s)
    assert s.discord.token is not None and s.discord.token.get_secret_value() == "super-secret-token"


def test_invalid_values_name_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_LLM__MAX_CONCURRENCY", "0")
    monkeypatch.setenv("FIRESIDE_REDIS__HISTORY_MAX", "lots")
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert "FIRESIDE_LLM__MAX_CONCURRENCY" in text and "FIRESIDE_REDIS__HISTORY_MAX" in text


def test_yaml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "fireside.yaml"
    cfg.write_text("llm:\n  model: from-yaml\n  max_retries: 4\nchat:\n  persona: critic\n")
    monkeypatch.setenv("FIRESIDE_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("FIRESIDE_LLM__MODEL", "from-env")
    s = load_settings()
    assert s.llm.model == "from-env" and s.llm.max_retries == 4 and s.chat.persona == "critic"


def test_unknown_yaml_key_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "fireside.yaml"
    cfg.write_text("llm:\n  modle: typo\n")
    monkeypatch.setenv("FIRESIDE_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "llm.modle" in str(err.value) and "unknown setting" in str(err.value)


def test_malformed_yaml_names_the_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "fireside.yaml"
    cfg.write_text("llm:\n  model: ok\n  base_url: [unclosed\nredis: {}\n")
    monkeypatch.setenv("FIRESIDE_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(cfg) in str(err.value) and "line " in str(err.value)


def test_yaml_top_level_must_be_a_mapping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "fireside.yaml"
    cfg.write_text("- just\n- a list\n")
    monkeypatch.setenv("FIRESIDE_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError, match="mapping"):
        load_settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FIRESIDE_CONFIG_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="FIRESIDE_CONFIG_FILE"):
        load_settings()


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FIRESIDE_LLM__MODEL=dotenv-model\n")
    assert load_settings().llm.model == "dotenv-model"


def test_unknown_top_level_env_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_REDIS_URL", "redis://x")  # one underscore: a typo for REDIS__URL
    with pytest.raises(ConfigError, match="FIRESIDE_REDIS_URL: unknown setting"):
        load_settings()


def test_env_example_documents_every_setting() -> None:
    from pydantic import BaseModel

    from bot.settings import Settings

    root = Path(__file__).resolve().parents[2]
    example = (root / ".env.example").read_text()
    missing = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub in annotation.model_fields:
                env = f"FIRESIDE_{name.upper()}__{sub.upper()}"
                if env not in example:
                    missing.append(env)
        elif f"FIRESIDE_{name.upper()}" not in example:
            missing.append(f"FIRESIDE_{name.upper()}")
    assert missing == []


@pytest.mark.parametrize(("discord", "named"), [
    ({"replica": 0, "shard_count": 4}, "FIRESIDE_DISCORD__REPLICA needs FIRESIDE_DISCORD__REPLICAS"),
    ({"replica": 2, "replicas": 2, "shard_count": 4}, "FIRESIDE_DISCORD__REPLICA=2 is not below"),
    ({"replica": 0, "replicas": 5, "shard_count": 4}, "a replica would run no shard"),
    ({"replica": 0, "replicas": 2, "shard_count": 4, "shard_ids": [0]}, "not both"),
])
def test_a_replica_ordinal_that_cannot_work_is_named(discord: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings(discord=discord)


def test_a_replica_runs_every_replicas_th_shard_from_its_ordinal() -> None:
    assert load_settings(discord={"replica": 1, "replicas": 2, "shard_count": 5}).discord.shard_ids == [1, 3]
