"""Chunks on disk: `chunks.jsonl` (one JSON object per line) and
`chunks.offsets.npy` (the byte offset of each line), so any chunk is read
without parsing the others."""

from __future__ import annotations

import json
import mmap
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..chunking.chunker import Chunk


class ChunkStore:
    """Read-only sequence of the chunks in chunks.jsonl, parsed on access (with a
    small cache): a search touches a few dozen chunks, not all of them."""

    def __init__(self, path: Path, cache_size: int = 4096):
        self._offsets = np.load(Path(path) / "chunks.offsets.npy", mmap_mode="r")
        self._map = None
        if len(self._offsets) > 1:
            with open(Path(path) / "chunks.jsonl", "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> Chunk:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"chunk {i} out of range (0..{n - 1})")
        chunk = self._cache.get(i)
        if chunk is None:
            chunk = Chunk.from_dict(json.loads(self.raw(i, i + 1)))
            self._cache[i] = chunk
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return chunk

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets

    def release(self) -> None:
        """Drop the file's pages from this process's resident memory (a build
        copies a whole previous index's chunks once)."""
        if self._map is not None:
            self._map.madvise(mmap.MADV_DONTNEED)

    def raw(self, start: int, end: int) -> bytes:
        """The JSON lines of chunks start:end, as stored."""
        if start >= end:
            return b""
        return self._map[int(self._offsets[start]) : int(self._offsets[end])]
