"""The local engine: the index directory written by store.py, searched with
the BM25 postings (lexical.py) and FAISS (dense.py), memory-mapped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Config
from . import store
from .dense import DenseIndex
from .engine import Engine
from .lexical import LexicalIndex


class LocalEngine(Engine):
    name = "local"

    def __init__(self, data: store.IndexData, lexical: LexicalIndex, dense: DenseIndex | None = None):
        self.data = data
        self.lexical = lexical
        self.dense = dense
        self.manifest = data.manifest
        self.chunks = data.chunks

    @classmethod
    def open(cls, path: Path, config: Config, verify: bool | None = None,
             wants_dense: Callable[[dict], bool] = lambda manifest: False) -> "LocalEngine":
        path = Path(path)
        # Files are opened under the read lock: a concurrent build swaps only
        # between loads, and once open (memory-mapped) they outlive a swap.
        with store.reading(path):
            data = store.load_data(path, config, verify)
            lexical = LexicalIndex.load(path / "postings")
            dense = DenseIndex.load(path / "dense.faiss") if wants_dense(data.manifest) else None
        return cls(data, lexical, dense)

    @staticmethod
    def generation(path: Path, config: Config):
        """The manifest's inode and modification time: a build swaps a whole
        new directory in, so both change; a stat costs ~2 µs."""
        try:
            st = os.stat(Path(path) / "manifest.json")
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    @property
    def location(self) -> str:
        return str(self.data.path)

    @property
    def has_dense(self) -> bool:
        return self.dense is not None

    @property
    def size(self) -> int:
        return self.lexical.size

    def lexical_top(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.lexical.top(tokens, k)

    def dense_top(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.dense.top(vector, k)

    def doc_freq(self, token: str) -> int | None:
        return self.lexical.doc_freq(token)
