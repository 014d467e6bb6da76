"""Run a private redis-server (persistence on) in a folder, for embedded defaults and for tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from bot.errors import ConfigError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, data_dir: Path, port: int | None = None, appendonly: bool = True,
                 cluster: bool = False) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.appendonly = appendonly
        self.cluster = cluster
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ConfigError(
                "FIRESIDE_REDIS__URL is not set, so Fireside wants to start its own redis-server, but none is "
                "installed. Install it (apt-get install -y redis-server) or set FIRESIDE_REDIS__URL."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--save", "", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        if self.cluster:
            # One node of a Redis Cluster (tests and benches); its slots are assigned by `redis-cli --cluster
            # create`. A short node timeout, so a killed node is seen as down within seconds.
            # The bus port is picked free too: the default (port + 10000) is past 65535 for most free ports.
            args += ["--cluster-enabled", "yes", "--cluster-config-file", str(self.data_dir / "nodes.conf"),
                     "--cluster-node-timeout", "2000", "--cluster-port", str(free_port())]
        if self.appendonly:
            # always: Redis writes and fsyncs the AOF before it answers, so a write it acknowledged survives a
            # crash. With everysec a busy background fsync postpones the write (up to 2 s) while answers go out.
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise ConfigError(f"redis-server exited at start (code {self.proc.returncode}); "
                                      f"see {self.data_dir / 'redis.log'}")
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise ConfigError(f"redis-server did not answer within {timeout:.0f}s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # SIGTERM: redis flushes the append-only file and exits
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def pause(self) -> None:
        """SIGSTOP: the server hangs, connections stay open and nothing answers (for fault tests)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Simulate a crash (for fault tests)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
