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
from .auth import Credentials, Exposure


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


def read_credentials(key: str | None = None, key_file: str | None = None, login: str | None = None,
                     login_file: str | None = None) -> Credentials:
    """--api-key / --api-key-file and --auth / --auth-file: one set for the API and the UI."""
    keys = [key] if key else []
    if key_file:
        keys += _lines(key_file, "--api-key-file")
        if not keys:
            raise AssistantError(f"--api-key-file {key_file}: no keys in it (one per line)")
    logins = [login] if login else []
    if login_file:
        logins += _lines(login_file, "--auth-file")
        if not logins:
            raise AssistantError(f"--auth-file {login_file}: expected lines of USER:PASSWORD")
    pairs = [tuple(line.split(":", 1)) for line in logins]
    if any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise AssistantError(f"--auth{'-file ' + login_file if login_file else ''}: expected USER:PASSWORD")
    return Credentials(tuple(keys), tuple(pairs))


def _lines(path: str, option: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AssistantError(f"cannot read {option} {path}: {exc.strerror}") from exc
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def check_public_bind(exposure: Exposure, credentials: Credentials, no_auth: bool) -> None:
    """A bind that is not loopback exposes the server: it needs credentials
    (they protect the API and the UI alike), or an explicit --no-auth."""
    if exposure.loopback or credentials.required or no_auth:
        return
    raise AssistantError(
        f"binding {exposure.host} exposes the server to the network: give --api-key KEY (or --api-key-file) "
        "or --auth USER:PASSWORD (or --auth-file), or --no-auth if that is really intended"
    )


def serve(config: Config, exposure: Exposure, port: int, workers: int = 1, credentials: Credentials | None = None,
          ui: bool = True, index_path: str | None = None, update: bool = True) -> None:
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
        "config": config.to_dict(), "index_path": index_path, "ui": ui, "update": update,
        "credentials": (credentials or Credentials()).to_dict(),
        "exposure": {"host": exposure.host, "allowed_hosts": list(exposure.allowed_hosts),
                     "allowed_origins": list(exposure.allowed_origins)},
    })
    try:
        uvicorn.run("assistant.server.app:create_app_from_env", factory=True, host=exposure.host, port=port,
                    workers=workers, log_level="warning", timeout_graceful_shutdown=5,
                    http="assistant.server.launch:NoDelayH11Protocol")
    except OSError as exc:  # port taken, address not available, ...
        raise AssistantError(f"cannot serve on {exposure.host}:{port}: {exc}") from exc
