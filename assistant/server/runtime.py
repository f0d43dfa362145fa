"""Per-process server state: the `AssistantService`, started in the background
so the API answers 503 (not a refused connection) while a first index is built,
and the error a route raises for a JSON error body."""

from __future__ import annotations

import threading

from ..config import Config
from ..errors import AssistantError
from ..service import AssistantService


class NotReady(AssistantError):
    """The index is still being prepared (HTTP 503)."""


class ApiError(Exception):
    """An HTTP error with a JSON body naming the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class ServiceHolder:
    """Creates the service once, in a thread; `get()` returns it or raises NotReady."""

    def __init__(self, config: Config, corpus=None, index_path=None, update: bool = True):
        self._args = (config, corpus, index_path, update)
        self._service = None
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None

    def start(self, wait: bool = False) -> None:
        self._thread = threading.Thread(target=self._create, name="assistant-start", daemon=True)
        self._thread.start()
        if wait:
            self._thread.join()
            self.get()  # raises the startup error, if any

    def _create(self) -> None:
        config, corpus, index_path, update = self._args
        try:
            self._service = AssistantService(config, corpus, index_path, update=update)
        except Exception as exc:  # reported on every request: the process stays up to say why
            self._error = exc

    @property
    def ready(self) -> bool:
        return self._service is not None

    def get(self):
        if self._service is not None:
            return self._service
        if self._error is not None:
            raise NotReady(f"the assistant could not start: {self._error}")
        raise NotReady("the index is being built for the first time; retry in a few seconds")

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
