"""`assistant serve --no-ui` on a free loopback port, in its own process group."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .corpus import assistant_command, server_env

# Ready = this many /v1/health 200s in a row per worker (+ READY_STREAK_EXTRA),
# each on a fresh connection: a choice that makes it likely every worker, which
# builds or loads its index on start, has answered at least once.
READY_STREAK_PER_WORKER = 4
READY_STREAK_EXTRA = 2
# Seconds between readiness polls: quick while a streak runs, slower before;
# readiness takes 1.4-2.5 s here (bench/results/serve_load.json, ready_s).
READY_POLL_S, NOT_READY_POLL_S = 0.05, 0.25
# Seconds to wait for the server group after SIGTERM, then after SIGKILL.
STOP_WAIT_S, KILL_WAIT_S = 20, 10


def require_loopback(url: str) -> str:
    """Refuse to send load anywhere but this machine's loopback address."""
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"refusing to load {url}: only http://127.0.0.1 is allowed")
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`assistant serve --no-ui` in its own process group, stopped on exit."""

    def __init__(self, mode: str, workers: int, corpus: Path, index_root: Path, index_path: Path, cwd: Path):
        self.mode, self.workers = mode, workers
        self.port = free_port()
        self.url = require_loopback(f"http://127.0.0.1:{self.port}")
        self.cmd = [*assistant_command(), "serve", "--no-ui", "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(workers), "--index", str(index_path)] + (["--lexical"] if mode == "lexical" else [])
        self.env = server_env(corpus, index_root)
        self.cwd = cwd
        self.log_path = cwd / f"serve-{mode}-{workers}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own group: the server and its workers
            self.proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=KILL_WAIT_S)
        except ProcessLookupError:
            pass
        self._log.close()

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    async def wait_ready(self, timeout: float) -> float:
        """Until /v1/health answers 200 on fresh connections enough times in a row
        that every worker has most likely answered (each worker builds/loads on start)."""
        t0 = time.perf_counter()
        streak, need = 0, READY_STREAK_PER_WORKER * self.workers + READY_STREAK_EXTRA
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=5) as client:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise SystemExit(f"server exited ({self.proc.returncode}): {self.log_tail()}")
                try:
                    r = await client.get("/v1/health", headers={"Connection": "close"})
                    streak = streak + 1 if r.status_code == 200 else 0
                except httpx.TransportError:
                    streak = 0
                if streak >= need:
                    return time.perf_counter() - t0
                await asyncio.sleep(READY_POLL_S if streak else NOT_READY_POLL_S)
        raise SystemExit(f"server not ready after {timeout:.0f} s: {self.log_tail()}")
