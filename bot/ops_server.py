"""The operator's HTTP endpoint on FIRESIDE_OPS__PORT: Prometheus metrics at /metrics, liveness at /healthz (the
process answers) and readiness at /readyz (Redis and the model server both answer, checked at most every few
seconds so a scraping load balancer can't add load to either)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.errors import ConfigError
from bot.metrics import READY

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT = 2.0  # seconds each dependency has to answer the readiness check
CHECK_EVERY = 3.0  # seconds a verdict is reused


class OpsServer:
    def __init__(self, host: str, port: int, checks: dict[str, Check],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.host = host
        self.port = port
        self.checks = checks
        self.clock = clock
        self._runner: web.AppRunner | None = None
        self._verdict: tuple[float, dict[str, str]] | None = None
        self._checking = asyncio.Lock()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(f"FIRESIDE_OPS__PORT={self.port}: can't listen on {self.host}:{self.port} "
                              f"({exc.strerror or exc}); another process (another Fireside?) has that port. Choose "
                              "a free one, or leave FIRESIDE_OPS__PORT unset to run without the endpoint.") from None
        self._runner = runner
        log.info("metrics at http://%s:%d/metrics, health at /healthz and /readyz", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def forget_verdict(self) -> None:
        """The next probe checks again at once."""
        self._verdict = None

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state ("ok", or why not), fresh at most CHECK_EVERY seconds ago."""
        async with self._checking:
            if self._verdict is not None and self.clock() - self._verdict[0] < CHECK_EVERY:
                return self._verdict[1]
            names = list(self.checks)
            results = await asyncio.gather(*(self._one(self.checks[n]) for n in names))
            verdict = dict(zip(names, results, strict=True))
            self._verdict = (self.clock(), verdict)
            READY.set(1 if all(v == "ok" for v in verdict.values()) else 0)
            return verdict

    @staticmethod
    async def _one(check: Check) -> str:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await check()
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT:.0f} s"
        except Exception as exc:  # any failure means "not ready"; the reason goes to the probe's body
            return f"{type(exc).__name__}: {exc}"[:200]
        return "ok"

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        verdict = await self.readiness()
        ready = all(v == "ok" for v in verdict.values())
        return web.json_response({"ready": ready, **verdict}, status=200 if ready else 503)
