"""The retriever interface: what `Index` (and everything above it: answers,
checks, UI, CLI, HTTP) reads from an index engine. The engines are picked by
name in backends.py.

Chunks are numbered 0..n-1 by the engine; `lexical_top` and `dense_top`
return those numbers with their scores, best first."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, ClassVar, Sequence

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config


class Engine(ABC):
    name: ClassVar[str]

    manifest: dict  # format and index settings, embedding identity, documents
    chunks: Sequence[Chunk]  # chunks[i]: the chunk numbered i

    @classmethod
    @abstractmethod
    def open(cls, path: Path, config: Config, verify: bool | None = None,
             wants_dense: Callable[[dict], bool] = lambda manifest: False) -> "Engine":
        """Open for reading: the manifest must match `config` (IndexMismatchError);
        dense search is readied when `wants_dense(manifest)`."""

    @staticmethod
    @abstractmethod
    def generation(path: Path, config: Config):
        """Which index is current, cheaply (compared on every request by the
        HTTP/UI service, which reloads when it changes); None: no index."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the index lives (a folder, or a Milvus URI and collection)."""

    @property
    @abstractmethod
    def has_dense(self) -> bool: ...

    @property
    @abstractmethod
    def size(self) -> int:
        """Chunks in the lexical index."""

    @abstractmethod
    def lexical_top(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25 over the tokenizer's terms (a repeated term weighs more)."""

    @abstractmethod
    def dense_top(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity to the passage vectors."""

    @abstractmethod
    def doc_freq(self, token: str) -> int | None:
        """Chunks containing `token` (None: not in the vocabulary)."""

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})

    def idf(self, token: str) -> float:
        """BM25 (Lucene) idf; a term the corpus never contains gets the highest."""
        n = max(1, self.size)
        df = self.doc_freq(token) or 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def known(self, token: str) -> bool:
        return self.doc_freq(token) is not None
