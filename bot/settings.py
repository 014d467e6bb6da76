"""Fireside's settings: environment (FIRESIDE_*, nested with __), .env, and an optional YAML file."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import ConfigError
from bot.safety.links import check_link_entry


class RedisSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SecretStr | None = Field(
        None, description="Redis URL (may carry a password). Empty: Fireside starts its own redis-server."
    )
    cluster: bool = Field(False, description="The URL names one node of a Redis Cluster: the client learns the "
                          "others from it, and every node must answer at start.")
    history_max: int = Field(
        40, ge=4, le=2000,
        description="Channel history lines kept (and put in the prompt); past this the oldest half goes.",
    )
    history_ttl_days: float = Field(30, gt=0, le=365, description="Raw channel history expires after this.")
    profile_ttl_days: float = Field(365, gt=0, description="A user's profile expires this long after last seen.")
    max_connections: int = Field(64, ge=2, le=10_000, description="Redis connections this process may open.")
    pending_limit: int = Field(1000, ge=1, le=1_000_000, description="Finished turns kept (and journaled) while "
                               "Redis is away; past it the oldest is dropped and counted.")
    reply_deadline: float = Field(0.8, gt=0, le=30, description="Seconds each Redis call of a chat turn may take; "
                                  "past it the turn goes on without memory and its write is journaled to retry.")
    journal: Path | None = Field(None, description="The file that keeps those turns across a restart (default "
                                 "DATA_DIR/journal/pending-turns.jsonl; one per bot process).")


class MemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: bool = Field(True, description="Extract long-term facts from what users say (needs the embedder).")
    fact_batch: int = Field(3, ge=1, le=50, description="A user's messages extracted together.")
    fact_wait: float = Field(15.0, gt=0, le=3600, description="Seconds a message waits for its batch at most.")
    recall_facts: int = Field(5, ge=0, le=50, description="The speaker's facts placed in a prompt at most.")
    extraction: Literal["hybrid", "model", "rules"] = Field(
        "hybrid", description="Who reads facts from messages: hybrid (rules for the common first-person shapes, the "
                              "model for the rest), model (the model alone), rules (no model call).")


class StorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vote_window: float = Field(60.0, ge=5, le=3600, description="Seconds each scene's vote stays open.")
    max_scenes: int = Field(6, ge=2, le=50, description="Scenes in a story; the last one ends it.")
    scene_tokens: int = Field(300, ge=50, le=2000, description="Tokens the narrator may write per scene.")


class LimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_burst: int = Field(3, ge=1, le=1000, description="Chat turns one user may start at once.")
    user_per_minute: float = Field(6.0, gt=0, le=6000, description="...and per minute after that.")
    channel_burst: int = Field(10, ge=1, le=10_000, description="Chat turns one channel may start at once.")
    channel_per_minute: float = Field(30.0, gt=0, le=60_000, description="...and per minute after that.")
    server_burst: int = Field(20, ge=1, le=100_000, description="Chat turns one server may start at once.")
    server_per_minute: float = Field(60.0, gt=0, le=600_000, description="...and per minute after that.")
    channel_queue: int = Field(8, ge=1, le=1000, description="Turns waiting or running in one channel at once.")
    user_daily_tokens: int = Field(
        20_000, ge=0, le=100_000_000,
        description="Tokens the model may write for one viewer a day (UTC), shared by every process; past it they "
                    "hear one in-character goodnight and no model call is made until tomorrow. 0: no limit.")


class ModerationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strictness: Literal["off", "lenient", "normal", "strict"] = Field(
        "normal", description="How hard messages in and replies out are screened (a channel or server may set its "
                              "own): off, lenient (blocked words, the classifier when very sure), normal (also the "
                              "stock list of slurs and swearing), strict (the classifier sooner).")
    blocked_words: list[str] = Field(default_factory=list, description="Words never let through, anywhere.")
    classifier: bool = Field(True, description="Load the abuse classifier (alt-profanity-check, about 1 s at "
                                               "start); off: word lists only.")


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL, e.g. http://vllm:8000/v1; several, comma-separated (or a "
                          "YAML list), spread the load across model servers. Empty: start vLLM locally."
    )
    model: str = Field("smollm2-135m-instruct", description="Served model name.")
    api_key: SecretStr | None = Field(None, description="API key for the model server, if it wants one.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect to the model server.")
    first_token_timeout: float = Field(90.0, gt=0, description="Seconds to wait for the first token.")
    inter_token_timeout: float = Field(30.0, gt=0, description="Seconds of silence between two tokens before a "
                                       "reply counts as stalled.")
    total_timeout: float = Field(240.0, gt=0, description="Seconds for a whole reply.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries before the first token only.")
    max_concurrency: int = Field(8, ge=1, le=1024, description="Replies generated at once by this process.")
    max_tokens: int | None = Field(None, ge=1, le=8192, description="Overrides the persona's reply length.")
    context_tokens: int = Field(2048, ge=256, le=1_000_000,
                                description="The model's context length (the server's own figure wins).")
    serve_port: int = Field(8011, ge=1, le=65535, description="Port for the embedded vLLM server.")
    serve_eager: bool = Field(True, description="Embedded vLLM: --enforce-eager (starts ~3x faster).")
    server_python: str | None = Field(None, description="Python with vllm installed, for the embedded server.")
    tokenizer: Path | None = Field(
        None, description="The served model's tokenizer.json (or its folder), to count lorebook budgets exactly. "
                          "Empty: the embedded model's own; with an external server, about 4 characters a token.")

    @field_validator("base_url", mode="before")
    @classmethod
    def _joined(cls, value: object) -> object:
        return ",".join(str(v) for v in value) if isinstance(value, list) else value

    @field_validator("base_url")
    @classmethod
    def _each_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        urls = [u.strip() for u in re.split(r"[,\s]+", value) if u.strip()]
        for url in urls:
            parsed = urlsplit(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"{url!r} is not a model server URL (want http://host:port/v1)")
            try:
                parsed.port  # noqa: B018  # raises on a port that is not a number
            except ValueError:
                raise ValueError(f"{url!r} has a port that is not a number") from None
        if len(set(urls)) != len(urls):
            raise ValueError("the same model server is listed twice")
        return ",".join(urls)

    @property
    def base_urls(self) -> list[str]:
        """Every model server, in the order given (empty: the embedded one)."""
        return self.base_url.split(",") if self.base_url else []


class DiscordSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = Field(None, description="Bot token. Empty: the Discord adapter is off.")
    dms: bool = Field(True, description="Answer direct messages.")
    respond_to_bots: bool = Field(False, description="Answer messages from other bots.")
    message_content: bool = Field(
        False, description="Request the privileged message-content intent (needed only for /fireside-admin open).")
    edit_interval: float = Field(1.0, ge=0.5, le=10, description="Seconds between edits of a streamed reply.")
    shard_ids: list[int] | None = Field(None, description="Shards this process runs, e.g. [0,1] (with shard_count).")
    shard_count: int | None = Field(None, ge=1, description="Total shards across all processes.")
    replica: int | None = Field(None, ge=0, description="This process's place among `replicas` bot processes (a "
                                "Kubernetes StatefulSet pod's ordinal): it runs shards replica, replica + replicas, "
                                "... below shard_count. Instead of shard_ids.")
    replicas: int | None = Field(None, ge=1, description="How many bot processes share the shards (with replica).")
    sync_guild: int | None = Field(None, description="Sync slash commands to this server only (instant; testing).")

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.replica is not None or self.replicas is not None:
            if self.replica is None or self.replicas is None or self.shard_count is None:
                raise ValueError("FIRESIDE_DISCORD__REPLICA needs FIRESIDE_DISCORD__REPLICAS and "
                                 "FIRESIDE_DISCORD__SHARD_COUNT (every one of them, or none)")
            if self.shard_ids is not None:
                raise ValueError("FIRESIDE_DISCORD__SHARD_IDS or FIRESIDE_DISCORD__REPLICA, not both")
            if self.replica >= self.replicas:
                raise ValueError(f"FIRESIDE_DISCORD__REPLICA={self.replica} is not below "
                                 f"FIRESIDE_DISCORD__REPLICAS={self.replicas} (ordinals count from 0)")
            if self.replicas > self.shard_count:
                raise ValueError(f"FIRESIDE_DISCORD__REPLICAS={self.replicas} is more than "
                                 f"FIRESIDE_DISCORD__SHARD_COUNT={self.shard_count}: a replica would run no shard")
            self.shard_ids = list(range(self.replica, self.shard_count, self.replicas))
        # discord.py raises at start for shard_ids without shard_count (shard.py, AutoShardedClient.__init__).
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("FIRESIDE_DISCORD__SHARD_IDS needs FIRESIDE_DISCORD__SHARD_COUNT (the total number "
                                 "of shards across every process)")
            wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if wrong:
                raise ValueError(f"FIRESIDE_DISCORD__SHARD_IDS: {wrong} outside 0..{self.shard_count - 1} "
                                 f"(FIRESIDE_DISCORD__SHARD_COUNT={self.shard_count})")
        return self


class TwitchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, description="Twitch application client id.")
    client_secret: SecretStr | None = Field(None, description="Twitch application client secret.")
    bot_id: str | None = Field(None, description="User id of the bot account.")
    channels: list[str] = Field(default_factory=list, description="Channel logins to join.")
    prefix: str = Field("!", min_length=1, max_length=3, description="Command prefix, as in !ask.")
    ask_cooldown: float = Field(15.0, ge=0, le=3600, description="Seconds between one viewer's !ask.")
    stale_after: float = Field(20.0, gt=0, le=300, description="A reply not sent by then is dropped.")
    token_file: Path | None = Field(None, description="Keep OAuth tokens in this file instead of Redis.")
    replica_id: str | None = Field(None, min_length=1, max_length=128, description="This bot process's name among "
                                   "the replicas that share the channels, in logs and leases (default: host name "
                                   "and process id; a random part is added either way).")
    lease_seconds: float = Field(15.0, ge=1, le=300, description="A replica's hold on a channel lasts this long "
                                 "unrenewed: after a crash, its channels wait this long for another replica.")


class ChatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona: str = Field("sidekick", description="Default persona: a built-in name or a YAML file path.")
    persona_dir: Path | None = Field(None, description="Extra folder of persona YAML files.")
    max_message_chars: int = Field(2000, ge=50, le=20000, description="Longer user messages are cut.")
    context_placement: Literal["system", "user"] = Field(
        "system", description="Per-turn context (lore, memory): a system message after the speaker's line, or "
                              "inside the user turn "
                              "for chat templates that allow only a leading system message.")
    link_allowlist: list[str] = Field(
        default_factory=list, description="Hosts (example.org) or link prefixes (discord.gg/yours) the bot's replies "
                                          "may link to; every other link the model writes is defanged.")

    @field_validator("link_allowlist")
    @classmethod
    def _hosts(cls, entries: list[str]) -> list[str]:
        return [check_link_entry(e) for e in entries]


class OpsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int | None = Field(None, ge=1, le=65535, description="Port of the operator's endpoint: Prometheus /metrics, "
                             "/healthz and /readyz. Unset: no endpoint.")
    host: str = Field("127.0.0.1", min_length=1, description="Address the endpoint listens on (0.0.0.0 in a "
                      "container, so Prometheus and the orchestrator's probes can reach it).")
    json_logs: bool = Field(False, description="Logs as one JSON object a line, each with the request id of the "
                            "turn it belongs to (the X-Request-Id the model server logs too).")


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Serve the dashboard inside `fireside run` too (`fireside web` always "
                          "serves it).")
    host: str = Field("127.0.0.1", min_length=1, description="Address the dashboard listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port of the dashboard.")
    public_url: str | None = Field(None, description="Where people reach the dashboard (https://... behind a proxy): "
                                   "its sign-in links, and Secure cookies when it is https.")
    session_secret: SecretStr | None = Field(None, description="Key that signs the dashboard's session cookies "
                                             "(default: made once, in DATA_DIR/web/session-secret).")

    @field_validator("public_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        return url.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRESIDE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_default=True,
    )

    config_file: Path | None = Field(None, description="YAML file with any of these settings.")
    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share" / "fireside",
        description="Embedded Redis data, prepared models and caches.",
    )
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Logging level.")
    redis: RedisSettings = RedisSettings()
    memory: MemorySettings = MemorySettings()
    story: StorySettings = StorySettings()
    limits: LimitSettings = LimitSettings()
    moderation: ModerationSettings = ModerationSettings()
    shutdown_grace: float = Field(10.0, ge=0, le=600, description="On SIGTERM: seconds replies in flight may take "
                                  "to finish, and then again for the pending writes and background work.")
    llm: LLMSettings = LLMSettings()
    chat: ChatSettings = ChatSettings()
    discord: DiscordSettings = DiscordSettings()
    twitch: TwitchSettings = TwitchSettings()
    ops: OpsSettings = OpsSettings()
    web: WebSettings = WebSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then environment, then .env, then the YAML file.
        return (init_settings, env_settings, dotenv_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    """Reads FIRESIDE_CONFIG_FILE; syntax errors name the file and line."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("FIRESIDE_CONFIG_FILE") or _dotenv_value("FIRESIDE_CONFIG_FILE")
        return load_yaml_config(Path(path)) if path else {}


def _dotenv_value(name: str) -> str | None:
    env = Path(".env")
    if not env.is_file():
        return None
    for line in env.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip("'\"") or None
    return None


def load_yaml_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"FIRESIDE_CONFIG_FILE={path}: cannot read it ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: invalid YAML at {where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings, not {type(data).__name__}")
    return data


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning validation errors into one ConfigError that names every bad field."""
    unknown = unknown_env_names(os.environ)
    if unknown:
        raise ConfigError("invalid settings:\n" + "\n".join(f"  - {n}: unknown setting" for n in unknown))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from exc


# Read by scripts/setup, not by the bot.
_SCRIPT_ENV = frozenset({"FIRESIDE_CACHE"})


def unknown_env_names(environ: Mapping[str, str]) -> list[str]:
    """FIRESIDE_* variables naming no setting: pydantic-settings ignores top-level ones silently."""
    known = set(Settings.model_fields)
    names = []
    for name in environ:
        if not name.startswith("FIRESIDE_") or name.startswith("FIRESIDE_TEST_") or name in _SCRIPT_ENV:
            continue
        head = name.removeprefix("FIRESIDE_").split("__", 1)[0].lower()
        if head not in known:
            names.append(name)
    return sorted(names)


def describe_validation_error(exc: ValidationError) -> str:
    lines = ["invalid settings:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        env_name = "FIRESIDE_" + "__".join(str(p).upper() for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {loc} ({env_name}): unknown setting")
        else:
            lines.append(f"  - {loc} ({env_name}): {err['msg']}")
    return "\n".join(lines)


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, with every secret shown as '**********'."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    return data
