"""Starting the server: uvicorn with one or more worker processes, each
creating the app from the options `assistant serve` puts in the environment."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Config
from ..errors import AssistantError
from .app import OPTIONS_ENV

_LOOPBACK = ("127.", "localhost", "::1")


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with Nagle's algorithm off on every connection.
    With --workers > 1 uvicorn binds the socket itself with proto=0, and asyncio
    sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP: every response
    then waited ~40 ms for the client's delayed ACK (bench/serve_load.py measured
    44 ms p50 on /v1/health with 2 workers against 1.3 ms with 1; uvicorn #3149).
    The workers load it by name: "assistant.server.launch:NoDelayH11Protocol"."""

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def read_api_keys(key: str | None, key_file: str | None) -> list[str]:
    keys = [key] if key else []
    if key_file:
        try:
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AssistantError(f"cannot read --api-key-file {key_file}: {exc.strerror}") from exc
        keys += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if not keys:
            raise AssistantError(f"--api-key-file {key_file}: no keys in it (one per line)")
    return keys


def check_public_bind(host: str, api_keys: list[str], no_auth: bool) -> None:
    """A non-loopback bind exposes the API: it needs keys, or an explicit --no-auth."""
    if host.startswith(_LOOPBACK) or api_keys or no_auth:
        return
    raise AssistantError(
        f"binding {host} exposes the API to the network: give --api-key KEY (or --api-key-file), "
        "or --no-auth if that is really intended"
    )


def serve(config: Config, host: str, port: int, workers: int = 1, api_keys: list[str] | None = None,
          ui: bool = True, ui_auth=None, index_path: str | None = None, update: bool = True) -> None:
    """Run the HTTP server until interrupted. `update`: each worker brings the
    index up to date before serving (one at a time, on the build lock; the API
    answers 503 meanwhile); False when the caller has just done it."""
    import uvicorn

    if workers < 1:
        raise AssistantError(f"--workers must be >= 1, got {workers}")
    if workers > 1 and config.embedding_threads == 0:
        # One embedding thread per core in each of N workers oversubscribes the
        # cores N times (hybrid, 2 workers on 2 cores: 33 -> 15 requests/s at
        # concurrency 4, bench/serve_load.py): the workers share the cores instead.
        from ..system import physical_cores

        config = config.replace(embedding_threads=max(1, physical_cores() // workers))
    os.environ[OPTIONS_ENV] = json.dumps({
        "config": config.to_dict(), "index_path": index_path, "api_keys": api_keys or [],
        "ui": ui, "ui_auth": ui_auth, "update": update,
    })
    try:
        uvicorn.run("assistant.server.app:create_app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", timeout_graceful_shutdown=5,
                    http="assistant.server.launch:NoDelayH11Protocol")
    except OSError as exc:  # port taken, address not available, ...
        raise AssistantError(f"cannot serve on {host}:{port}: {exc}") from exc
