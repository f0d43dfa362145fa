"""The BM25 vocabulary as plain binary files that open memory-mapped, with
nothing parsed: a million-term vocabulary costs no load time.

    vocab.blob         the terms' UTF-8 bytes, concatenated in term-id order
    vocab.offsets.npy  int64, n_terms + 1: term i is blob[offsets[i]:offsets[i+1]]
    vocab.hash.npy     uint64 hash of every term, sorted
    vocab.order.npy    int32 term id of each sorted hash

A lookup hashes the term, binary-searches the hashes and confirms the match by
comparing bytes, so a hash collision can never return the wrong term."""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path

import numpy as np


def term_hash(term: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(term, digest_size=8).digest(), "little")


def write_vocabulary(directory: Path, terms: list[str]) -> None:
    """Write `terms` (term id = position) into `directory`."""
    directory = Path(directory)
    encoded = [t.encode("utf-8") for t in terms]
    (directory / "vocab.blob").write_bytes(b"".join(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    np.save(directory / "vocab.offsets.npy", offsets)
    hashes = np.fromiter((term_hash(b) for b in encoded), dtype=np.uint64, count=len(encoded))
    order = np.argsort(hashes, kind="stable").astype(np.int32)
    np.save(directory / "vocab.hash.npy", hashes[order])
    np.save(directory / "vocab.order.npy", order)


class Vocabulary:
    """Read-only term -> id mapping over the files `write_vocabulary` wrote."""

    def __init__(self, directory: Path):
        directory = Path(directory)
        # plain ndarray views of the memory maps: np.memmap indexing runs Python code
        self._offsets = np.asarray(np.load(directory / "vocab.offsets.npy", mmap_mode="r"))
        self._hashes = np.asarray(np.load(directory / "vocab.hash.npy", mmap_mode="r"))
        self._order = np.asarray(np.load(directory / "vocab.order.npy", mmap_mode="r"))
        self._blob = b""
        if self._offsets[-1] > 0:
            with open(directory / "vocab.blob", "rb") as f:
                self._blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def term(self, term_id: int) -> str:
        return bytes(self._blob[int(self._offsets[term_id]) : int(self._offsets[term_id + 1])]).decode("utf-8")

    def get(self, term: str) -> int | None:
        encoded = term.encode("utf-8")
        h = np.uint64(term_hash(encoded))
        i = int(np.searchsorted(self._hashes, h))
        while i < len(self._hashes) and self._hashes[i] == h:
            tid = int(self._order[i])
            if self._blob[int(self._offsets[tid]) : int(self._offsets[tid + 1])] == encoded:
                return tid
            i += 1
        return None

    def __contains__(self, term: str) -> bool:
        return self.get(term) is not None

    def terms(self) -> list[str]:
        """Every term in id order (incremental builds seed their vocabulary with it)."""
        blob, offsets = bytes(self._blob), self._offsets.tolist()
        return [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(self))]

    def to_dict(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.terms())}
