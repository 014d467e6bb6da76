"""Shared fixtures: a real redis-server and (for `vllm` tests) a real vLLM, started once per session;
the scripted model server; and a guard that fails any test reaching past loopback."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from bot.app import Fireside
from bot.memory.embedder import EmbedderMissing, StaticEmbedder
from bot.memory.inmemory import World
from bot.memory.redis.backend import open_redis_stores
from bot.memory.stores import Stores
from bot.services.redis_server import RedisServer
from inference.server import VLLMServer
from tests.support.app import fireside_app
from tests.support.redis_cluster import RedisClusterServers, RedisTarget
from tests.support.scripted_llm import ScriptedLLM
from tests.support.services import missing, prepared_embedder_dir, prepared_model_dir, redis_available, vllm_python

SERVED_NAME = "smollm2-135m-instruct"

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host: Any) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    # Name lookups leave the machine too (a DNS query for api.twitch.tv is already a leak).
    if not _is_local(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if (ip is None or not ip.is_loopback) and host != "localhost":
            raise ConnectionRefusedError(f"test tried to reach {address}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _offline_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not redis_available():
        missing("redis-server is not installed (apt-get install -y redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    if redis_server.proc is None or redis_server.proc.poll() is not None:
        redis_server.start()  # a fault test may have killed it
    client = redis.Redis(port=redis_server.port)
    client.flushall()
    client.close()
    yield redis_server.url


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A real three-node Redis Cluster, started once for the tests that ask for it."""
    if not redis_available():
        missing("redis-server is not installed (apt-get install -y redis-server)")
    cluster = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def redis_cluster_url(redis_cluster: RedisClusterServers) -> Iterator[str]:
    if not redis_cluster.alive():
        # A fault test took a node down: a fresh cluster for whoever comes next.
        redis_cluster.stop()
        for node in redis_cluster.nodes:
            shutil.rmtree(node.data_dir, ignore_errors=True)
        redis_cluster.start()
    redis_cluster.flush()
    yield redis_cluster.url


@pytest.fixture(params=["redis", "cluster"])
async def redis_target(request: pytest.FixtureRequest) -> AsyncIterator[RedisTarget]:
    """For the tests that run on a single redis-server and on the three-node cluster alike."""
    cluster = request.param == "cluster"
    target = RedisTarget(request.getfixturevalue("redis_cluster_url" if cluster else "redis_url"), cluster)
    yield target
    await target.aclose()


@pytest.fixture
async def redis_stores(redis_url: str) -> AsyncIterator[Stores]:
    """Every Redis store on the suite's redis-server, with a short history (8 lines) for trim tests."""
    s = open_redis_stores(redis_url, history_max=8)
    await s.ping()
    yield s
    await s.aclose()


@pytest.fixture
async def raw_redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def scripted_server() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM().start()
    yield server
    server.stop()


@pytest.fixture
def scripted(scripted_server: ScriptedLLM) -> ScriptedLLM:
    scripted_server.reset()
    return scripted_server


@pytest.fixture
def world() -> World:
    """The data behind the in-memory stores, for tests that look inside or switch it off (world.down)."""
    return World()


@pytest.fixture
async def memory_app(scripted: ScriptedLLM, world: World) -> AsyncIterator[Fireside]:
    """A running core on the in-memory stores and the scripted model: fast, no Redis."""
    async with fireside_app(scripted.base_url, world=world) as core:
        yield core


@pytest.fixture(scope="session")
def embedder() -> StaticEmbedder:
    """The real memory embedder, prepared by `fireside model prepare` (scripts/test does it)."""
    try:
        return StaticEmbedder.load(prepared_embedder_dir())
    except EmbedderMissing as exc:
        missing(str(exc))
        raise


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VLLMServer | None]:
    """One real vLLM for the whole session; None with FIRESIDE_TEST_LLM_URL (a running one, reused)."""
    if os.environ.get("FIRESIDE_TEST_LLM_URL"):
        yield None
        return
    from bot.services.model_server import has_vllm
    from inference.prepare import verify
    from inference.profiles import CPU
    from inference.server import ServerConfig

    python = vllm_python()
    if not has_vllm(python):
        missing(f"vllm is not installed for {python}; run ./scripts/test, which installs it")
    folder = prepared_model_dir()
    if not verify(folder):
        missing(f"no prepared model at {folder}; run `fireside model prepare`")
    from bot.services.redis_server import free_port

    cache = Path(os.environ.get("FIRESIDE_DATA_DIR", tmp_path_factory.mktemp("vllm"))) / "cache"
    cfg = ServerConfig(model_dir=folder, served_name=SERVED_NAME, port=free_port(), eager=True, python=python,
                       log_path=tmp_path_factory.mktemp("vllm-log") / "vllm.log")
    server = VLLMServer(cfg, CPU, cache_dir=cache)
    server.start()
    try:
        server.wait_healthy(timeout=600)
        yield server
    finally:
        server.stop()  # the process a fault test restarted, if it did


@pytest.fixture(scope="session")
def vllm_url(vllm_server: VLLMServer | None) -> str:
    return vllm_server.base_url if vllm_server is not None else os.environ["FIRESIDE_TEST_LLM_URL"]
