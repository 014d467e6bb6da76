"""The composition root: the only place that builds concrete classes from Settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.commands.runner import CommandRunner
from bot.commands.spec import Services
from bot.commands.table import CommandTable, command_table
from bot.engine.budget import Budget
from bot.engine.conversation import ConversationEngine
from bot.errors import ConfigError
from bot.events import ChatEvent, ReplySink
from bot.memory.base import MemoryStore, MemoryUnavailable, memory_deadline
from bot.memory.embedder import EmbedderMissing, StaticEmbedder
from bot.memory.extraction import Extractor
from bot.memory.fact_worker import FactWorker
from bot.memory.forget import Forgetter
from bot.memory.ingest import Ingestor
from bot.memory.moderation import ModeratorActions
from bot.memory.optouts import OptOuts
from bot.memory.pending_turns import PendingTurns
from bot.memory.recall import Recall
from bot.memory.redis.backend import open_redis_stores
from bot.memory.settings_cache import ChannelSettingsCache
from bot.memory.stores import Stores
from bot.memory.summary import Summariser
from bot.metrics import INFERENCE_QUEUE_WAIT, MODEL_ROUTES
from bot.ops_server import OpsServer
from bot.outlets import Outlets
from bot.persona_catalog import PersonaCatalog
from bot.recommend.in_chat import RecommendInChat
from bot.recommend.pitch import Pitcher
from bot.recommend.service import Recommender
from bot.recommend.starter import serve_starter
from bot.router import ChannelLocks, OpenChannels, ReplyDeadline, Router
from bot.safety.content_filter import ContentFilter, ContentGate
from bot.safety.floods import FloodGuard, FloodLimits
from bot.safety.links import LinkPolicy
from bot.services.model_server import embedder_dir, model_dir, start_embedded_vllm
from bot.services.redis_server import RedisServer
from bot.settings import Settings
from bot.story.director import StoryDirector
from bot.story.memory import StoryMemory
from bot.story.narrator import Narrator
from bot.supervise import supervised
from inference.client import ClientLimits, OpenAIChatClient
from inference.errors import InferenceError
from inference.routed_client import ChatClient, RoutedChatClient
from inference.token_count import ServedTokenCounter, estimate_tokens
from personas.loader import PersonaError
from personas.registry import PersonaRegistry, slug

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class Fireside:
    """A running bot core: hand events to `dispatch`."""

    settings: Settings
    stores: Stores
    llm: ChatClient
    engine: ConversationEngine
    router: Router
    commands: CommandRunner
    table: CommandTable
    personas: PersonaCatalog
    channel_settings: ChannelSettingsCache
    optouts: OptOuts
    ingestor: Ingestor
    forgetter: Forgetter
    fact_worker: FactWorker | None
    summariser: Summariser
    stories: StoryDirector
    outlets: Outlets
    moderation: ModeratorActions
    floods: FloodGuard
    ops: OpsServer | None = None  # the operator's endpoint, when FIRESIDE_OPS__PORT is set

    @property
    def memory(self) -> MemoryStore:
        return self.stores.memory

    async def dispatch(self, event: ChatEvent, sink: ReplySink) -> Any:
        return await self.router.dispatch(event, sink)


def load_embedder(settings: Settings) -> StaticEmbedder | None:
    """The memory embedder, if `fireside model prepare` built it; without it facts are neither extracted
    nor ranked by meaning (the bot still chats and keeps history)."""
    folder = embedder_dir(settings)
    try:
        return StaticEmbedder.load(folder)
    except EmbedderMissing:
        log.warning("no memory embedder at %s (run `fireside model prepare`): long-term facts are off", folder)
        return None


def persona_dirs(settings: Settings) -> list[Path]:
    """Where personas live: the configured folder, then the ones `fireside persona import` writes."""
    dirs = [settings.chat.persona_dir] if settings.chat.persona_dir else []
    return [*dirs, settings.data_dir / "personas"]


def lore_token_counter(settings: Settings) -> ServedTokenCounter:
    """Lorebook budgets counted with the served model's tokenizer: FIRESIDE_LLM__TOKENIZER, or the embedded
    model's own folder; about 4 characters a token when neither is there (a warning says so at start)."""
    chosen = settings.llm.tokenizer
    try:
        if chosen is not None:
            counter = ServedTokenCounter()
            if not counter.load(chosen):
                raise ConfigError(f"FIRESIDE_LLM__TOKENIZER={str(chosen)!r}: no tokenizer.json there")
            return counter
        return ServedTokenCounter(model_dir(settings) if settings.llm.base_url is None else None)
    except ValueError as exc:
        raise ConfigError(f"FIRESIDE_LLM__TOKENIZER: {exc}") from exc


def build_personas(settings: Settings, count_tokens: Callable[[str], int] | None = None) -> PersonaCatalog:
    dirs = persona_dirs(settings)
    default = settings.chat.persona
    path = Path(default)
    if path.suffix.lower() in (".yaml", ".yml", ".json", ".png", ".charx"):
        # A file path: serve its folder too, and use the file as the default.
        dirs.insert(0, path.parent)
        default = slug(path.stem)
    registry = PersonaRegistry(dirs=dirs, lorebook_dir=settings.data_dir / "lorebooks",
                               count_tokens=count_tokens or estimate_tokens)
    try:
        return PersonaCatalog(registry, default)
    except PersonaError as exc:
        raise ConfigError(f"FIRESIDE_CHAT__PERSONA={settings.chat.persona!r}: {exc}") from exc


@asynccontextmanager
async def running(settings: Settings, progress: Progress = print,
                  stores: Stores | None = None) -> AsyncIterator[Fireside]:
    """Start (or connect to) Redis and the model server, build the core, and tear it all down after. Tests may
    pass `stores` (the in-memory twin) instead of Redis."""
    counter = lore_token_counter(settings)
    personas = build_personas(settings, counter)
    async with AsyncExitStack() as stack:
        if stores is None:
            stores = await stack.enter_async_context(redis_stores(settings, progress))
        llm = await stack.enter_async_context(_llm(settings, progress))
        if not counter.exact and settings.llm.base_url is None and counter.load(model_dir(settings)):
            personas.registry.reload()  # the first start: the model was only just prepared
        if not counter.exact:
            log.warning("lorebook budgets are counted at about 4 characters a token: set FIRESIDE_LLM__TOKENIZER "
                        "to the served model's tokenizer.json for exact counts")
        memory = stores.memory
        optouts = OptOuts(memory)
        await optouts.refresh()
        channel_settings = ChannelSettingsCache(memory)
        ingestor = Ingestor(memory, optouts, ignored=channel_settings.ignores)
        embedder = load_embedder(settings)
        m = settings.memory
        extractor = Extractor(llm, embedder, m.extraction) if embedder is not None else None
        worker = (FactWorker(stores.facts, extractor, batch=m.fact_batch, max_wait=m.fact_wait)
                  if extractor is not None and m.facts else None)
        summariser = Summariser(memory, llm)
        memory.on_trim = summariser.submit
        forgetter = Forgetter(memory, stores.audit, stores.stories)
        if worker is not None:
            forgetter.listeners.append(worker.discard)  # nothing queued for them may be stored afterwards
        mod = settings.moderation
        content = ContentFilter(mod.blocked_words, mod.strictness, classifier=mod.classifier)
        journal = settings.redis.journal or settings.data_dir / "journal" / "pending-turns.jsonl"
        pending = PendingTurns(memory.record_turn, journal, limit=settings.redis.pending_limit)
        forgetter.account_listeners.append(pending.purge_account)  # waiting turns of theirs are never written
        forgetter.listeners.append(pending.purge_uid)
        forgetter.settle.append(pending.settle)
        forgetter.account_listeners.append(summariser.forget_account)  # nor folded into a channel summary
        forgetter.listeners.append(summariser.forget_uid)
        engine = ConversationEngine(memory, llm, personas, optouts, max_message_chars=settings.chat.max_message_chars,
                                    pending=pending, link_allowlist=settings.chat.link_allowlist, content=content,
                                    max_tokens=settings.llm.max_tokens, placement=settings.chat.context_placement,
                                    recall=Recall(embedder, k=m.recall_facts),
                                    after_turn=worker.submit if worker is not None else None,
                                    budget=Budget(llm, settings.llm.context_tokens), overheard=ingestor,
                                    daily_tokens=settings.limits.user_daily_tokens)
        outlets = Outlets()
        s = settings.story
        narrator = Narrator(llm, personas.for_channel, personas.registry.world, scene_tokens=s.scene_tokens,
                            links=LinkPolicy.of(settings.chat.link_allowlist))
        # Story deeds go into viewers' memories where long-term facts are kept at all.
        deeds = StoryMemory(memory, stores.facts, embedder) if m.facts else None
        if deeds is not None:
            forgetter.account_listeners.append(deeds.forget)
        stories = StoryDirector(stores.stories, narrator, outlets, window=s.vote_window, max_scenes=s.max_scenes,
                                memory=deeds)
        if embedder is not None and await serve_starter(stores.catalogs):
            progress("no catalog in service: recommending from the built-in starter catalog")
        recommender = Recommender(stores.catalogs, memory, stores.facts, stores.recommended, embedder,
                                  cache_dir=settings.data_dir / "cache" / "catalog-vectors", pitcher=Pitcher(llm))
        if worker is not None:
            recommender.settle = worker.process  # likes said just before an ask are heard by it
        table = command_table()
        services = Services(memory=memory, personas=personas, optouts=optouts, identity=stores.identity,
                            audit=stores.audit, forgetter=forgetter, facts=stores.facts, table=table,
                            settings_changed=channel_settings.invalidate, stories=stories, recommender=recommender,
                            prefixes={"twitch": settings.twitch.prefix, "console": "/"})
        commands = CommandRunner(table, services, cooldown_overrides={"ask": settings.twitch.ask_cooldown})
        in_chat = RecommendInChat(recommender, engine, personas, channel_settings.get, optouts)
        # Limits shared with every other process through Redis, once a second, off the reply path.
        floods = FloodGuard(FloodLimits(**settings.limits.model_dump(exclude={"user_daily_tokens"})),
                            shared=stores.floods)
        forgetter.account_listeners.append(floods.forget)
        router = Router(engine.respond, commands, settings_for=channel_settings.get,
                        chat_middlewares=[ReplyDeadline(settings.redis.reply_deadline),
                                          OpenChannels(channel_settings.get),
                                          floods,
                                          ContentGate(content, channel_settings.get), ChannelLocks(),
                                          in_chat])
        services.chat = router.run_chat
        app = Fireside(settings, stores, llm, engine, router, commands, table, personas, channel_settings, optouts,
                       ingestor, forgetter, worker, summariser, stories, outlets,
                       ModeratorActions(memory, ingestor, summariser, pending), floods)
        stop = asyncio.Event()
        loops = {"summaries": lambda: summariser.run(stop), "stories": lambda: stories.run(stop),
                 "pending-writes": lambda: pending.run(stop), "flood-counts": lambda: floods.run(stop)}
        if worker is not None:
            loops["facts"] = lambda: worker.run(stop)
        if settings.ops.port is not None:
            ops = OpsServer(settings.ops.host, settings.ops.port, {"redis": memory.ping, "model": llm.served_models})
            await ops.start()
            stack.push_async_callback(ops.stop)
            app.ops = ops
        background = [asyncio.ensure_future(supervised(name, loop, stop)) for name, loop in loops.items()]
        background.append(asyncio.ensure_future(content.start()))  # the classifier loads beside the first turns
        try:
            yield app
        finally:
            await router.drain(settings.shutdown_grace)
            stop.set()
            # Bounded even with Redis hung or the model slow: what can't be written in time stays journaled.
            with memory_deadline(1.0):
                try:
                    async with asyncio.timeout(settings.shutdown_grace):
                        await asyncio.gather(*background, return_exceptions=True)
                        await stories.drain()
                        if worker is not None:
                            await worker.drain()
                        await summariser.drain()
                        await ingestor.flush()
                        await engine.flush_pending()
                except TimeoutError:
                    log.warning("shutting down: background work cut after %.0f s", settings.shutdown_grace)
            if engine.pending_writes:
                log.error("%d turns could not be written to Redis before exit; they are journaled in %s and "
                          "written at the next start", engine.pending_writes, pending.journal)


@asynccontextmanager
async def redis_stores(settings: Settings, progress: Progress) -> AsyncIterator[Stores]:
    server: RedisServer | None = None
    if settings.redis.url is None:
        server = RedisServer(settings.data_dir / "redis")
        progress(f"starting the embedded redis-server (data in {server.data_dir})")
        await asyncio.to_thread(server.start)
        url = server.url
    else:
        url = settings.redis.url.get_secret_value()
    r = settings.redis
    stores = open_redis_stores(url, cluster=r.cluster, max_connections=r.max_connections, history_max=r.history_max,
                               history_ttl=r.history_ttl_days * 86400, profile_ttl=r.profile_ttl_days * 86400)
    try:
        try:
            await stores.ping()
        except MemoryUnavailable as exc:
            raise ConfigError(
                f"FIRESIDE_REDIS__URL: cannot reach Redis at {_redact(url)} ({exc}). Check that the server "
                "runs and the URL is right, or unset FIRESIDE_REDIS__URL to use the embedded redis-server."
            ) from exc
        await stores.facts.upgrade(progress)
        yield stores
    finally:
        await stores.aclose()
        if server is not None:
            await asyncio.to_thread(server.stop)


@asynccontextmanager
async def _llm(settings: Settings, progress: Progress) -> AsyncIterator[ChatClient]:
    s = settings.llm
    server = None
    if s.base_url is None:
        server = await asyncio.to_thread(start_embedded_vllm, settings, progress)
        urls = [server.base_url]
    else:
        urls = s.base_urls
    limits = ClientLimits(connect_timeout=s.connect_timeout, first_token_timeout=s.first_token_timeout,
                          total_timeout=s.total_timeout, inter_token_timeout=s.inter_token_timeout,
                          max_retries=s.max_retries,
                          max_concurrency=s.max_concurrency)
    api_key = s.api_key.get_secret_value() if s.api_key else None
    clients = [(url, OpenAIChatClient(url, s.model, api_key=api_key, limits=limits, on_queue_wait=_queue_wait))
               for url in urls]
    client: ChatClient = clients[0][1] if len(clients) == 1 else RoutedChatClient(
        clients, on_route=lambda url, why: MODEL_ROUTES.labels(_redact(url), why).inc())
    try:
        if s.base_url is not None:
            await check_model_servers(clients, s.model, client)
        yield client
    finally:
        await client.aclose()
        if server is not None:
            await asyncio.to_thread(server.stop)


def _queue_wait(group: str, waited: float) -> None:
    INFERENCE_QUEUE_WAIT.labels(group).observe(waited)


async def check_model_servers(clients: list[tuple[str, OpenAIChatClient]], model: str, router: ChatClient) -> None:
    """Every listed server must serve the model; one that can't be reached at start is left out of rotation
    (and asked again later) as long as another one answers."""
    failures: list[tuple[str, InferenceError]] = []
    for url, client in clients:
        try:
            served = await client.served_models()
        except InferenceError as error:
            failures.append((url, error))
            continue
        if model not in served:
            raise ConfigError(f"FIRESIDE_LLM__MODEL={model!r} is not served at {_redact(url)}; it serves: "
                              f"{', '.join(served) or 'nothing'}")
    if len(failures) == len(clients):
        first, why = failures[0]
        raise ConfigError(
            f"FIRESIDE_LLM__BASE_URL: cannot reach the model server at {_redact(first)} ({why.__class__.__name__}: "
            f"{why}). Start it (fireside model serve), fix the URL, or unset FIRESIDE_LLM__BASE_URL to let "
            "Fireside start vLLM itself."
        ) from why
    for down, why in failures:
        log.warning("model server %s is not answering at start (%s): left out until it does", _redact(down), why)
        if isinstance(router, RoutedChatClient):
            router.take_out(down, why)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
