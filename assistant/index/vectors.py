"""Passage vectors, row-aligned with chunks, written at the end of a build.

Rows carried over from the previous index are copied; rows of new or changed
chunks are embedded in one streamed pass at commit, reading the chunk texts
back from the new chunks.jsonl, so the total (and the ETA) is known and memory
stays bounded. A row of zeros is a chunk not embedded yet (`assistant index
--no-embed`): search skips it, and the next build with an embedder fills it."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Callable

import numpy as np

from .chunkstore import ChunkStore


class VectorWriter:
    def __init__(self, embedder=None, dim: int | None = None, batch: int = 256):
        self.embedder = embedder  # None: keep old vectors, leave new rows empty
        self.dim = embedder.dim if embedder is not None else dim
        self.batch = batch
        self._copies: list[tuple[int, np.ndarray]] = []  # (first row, old rows)
        self._missing = array("q")  # rows to embed
        self.embedded = 0
        self.empty_rows = 0  # rows left to embed by a later build

    def new_rows(self, first: int, count: int) -> None:
        self._missing.extend(range(first, first + count))

    def old_rows(self, first: int, rows: np.ndarray | None, count: int) -> None:
        if rows is None:  # the previous index had no vectors
            self.new_rows(first, count)
            return
        self._copies.append((first, rows))
        empty = np.flatnonzero(~np.any(np.asarray(rows) != 0, axis=1))
        self._missing.extend((empty + first).tolist())

    @property
    def pending(self) -> int:
        return len(self._missing) if self.embedder is not None else 0

    def write(self, directory: Path, n_rows: int, progress: Callable[[str, int, int], None] | None = None) -> np.ndarray:
        """Write directory/vectors.npy and return it (memory-mapped)."""
        out = np.lib.format.open_memmap(directory / "vectors.npy", mode="w+", dtype=np.float32, shape=(n_rows, self.dim))
        for first, rows in self._copies:
            out[first : first + len(rows)] = rows
        if self.embedder is not None and self._missing:
            chunks = ChunkStore(directory)
            missing = np.frombuffer(self._missing, dtype=np.int64)
            total = len(missing)
            for start in range(0, total, self.batch):
                rows = missing[start : start + self.batch]
                out[rows] = self.embedder.embed_passages([chunks[int(i)].index_text() for i in rows])
                self.embedded += len(rows)
                if progress:
                    progress("embedding", self.embedded, total)
        else:
            self.empty_rows = len(self._missing)
        out.flush()
        return out
