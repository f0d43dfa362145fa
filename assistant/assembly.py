"""The one place an `Assistant` is put together: the CLI, the chat UI service,
the HTTP server and `assistant eval` all open the index and pick the answerer
here, so they answer the same question the same way."""

from __future__ import annotations

import threading
from pathlib import Path

from .answerers import Answerer, answerer_for, create_answerer, default_answerer
from .config import Config
from .errors import IndexMismatchError, IndexNotFoundError
from .index import Index, IndexReport, build_index, default_index_path
from .index.store import only_code_changed
from .pipeline import Assistant


def index_location(config: Config, corpus: str | Path | None = None, index_path: str | Path | None = None) -> tuple[Path, Path]:
    """(corpus folder, index folder) for these settings."""
    corpus = Path(corpus or config.corpus_dir)
    return corpus, Path(index_path) if index_path else default_index_path([str(corpus)], config)


def open_index(config: Config, corpus: str | Path | None = None, index_path: str | Path | None = None,
               update: bool = False, progress=None) -> tuple[Index, IndexReport | None]:
    """The index of `corpus`, built when missing or written by an older version
    of this code (a layout change, not a user setting: those are the user's to
    resolve with `assistant index --rebuild`). `update`: bring it up to date
    with the corpus first (incremental), as the UI and the server do."""
    corpus, path = index_location(config, corpus, index_path)
    report = None
    if update:
        report = build_index([str(corpus)], path, config, progress=progress)
        return Index.load(path, config), report
    try:
        return Index.load(path, config), None
    except (IndexNotFoundError, IndexMismatchError) as exc:
        if isinstance(exc, IndexMismatchError) and not only_code_changed(exc):
            raise
        report = build_index([str(corpus)], path, config, progress=progress)
        return Index.load(path, config), report


class AnswererPool:
    """LLM answerers created once per process (a GGUF loads once) and shared by
    every request; the extractive one is cheap and reads the statistics of the
    index it is given, so it is made per index snapshot."""

    def __init__(self, config: Config):
        self.config = config
        self._shared: dict[str, object] = {}
        self._lock = threading.Lock()

    def get(self, name: str, index: Index):
        if name == "extractive":
            return answerer_for(index, self.config, name)
        with self._lock:
            if name not in self._shared:
                self._shared[name] = create_answerer(self.config, name)
            return self._shared[name]

    def close(self) -> None:
        for answerer in self._shared.values():
            answerer.close()


def assemble(index: Index, config: Config, answerer: str | Answerer | None = None,
             pool: AnswererPool | None = None) -> Assistant:
    """An Assistant over `index` with the named answerer (default: the
    configured one, `auto` resolved by `answerers.default_answerer`), or the
    Answerer given. A generative answerer gets the extractive answerer of the
    same index as its reference: shown first, checked against, and shown
    instead when the model's answer fails the checks."""
    if isinstance(answerer, Answerer):
        chosen = answerer
    else:
        name = answerer or default_answerer(config)
        chosen = pool.get(name, index) if pool is not None else answerer_for(index, config, name)
    reference = answerer_for(index, config, "extractive") if chosen.generative else None
    return Assistant(index, chosen, config, reference)


def open_assistant(config: Config | None = None, *, corpus: str | Path | None = None,
                   index_path: str | Path | None = None, answerer: str | None = None) -> Assistant:
    """An Assistant over the index of `corpus` (default `config.corpus_dir`),
    built first if it does not exist, with the configured (or named) answerer."""
    config = config or Config.load()
    index, _ = open_index(config, corpus, index_path)
    return assemble(index, config, answerer)


__all__ = ["AnswererPool", "assemble", "index_location", "open_assistant", "open_index"]
