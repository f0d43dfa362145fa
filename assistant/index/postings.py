"""BM25 postings in a compact, memory-mapped layout (an impact index, as in
Lucene-family engines): per term, the chunks containing it as delta-coded
numbers and a quantised BM25 score per chunk.

    postings/vocab.*       the vocabulary (vocab.py)
    postings/ptr.npy       int64 [T+1]  where a term's postings start in impact.bin and tf.z
    postings/first.npy     int32 [T]    its first chunk number
    postings/width.npy     uint8 [T]    bytes per gap to the next chunk: 1, 2, 4 (0: one posting)
    postings/gap_at.npy    int64 [T]    where its gaps start in gaps<width>.bin
    postings/scale.npy     float32 [T]  score = quantised impact * scale (the term's max / 255)
    postings/gaps{1,2,4}.bin            chunk-number gaps: uint8, uint16, uint32
    postings/impact.bin    uint8 [P]    quantised BM25 score of each posting
    postings/tf.z          uint8 [P]    term frequency (capped at 255), zlib blocks: only
                                        incremental builds read it, to recompute scores
    postings/tf.index.npy  int64 [B+1, 2] first posting and first byte of each block
    postings/doclen.npy    uint32 [N]   tokens per chunk
    postings/skips.npy     int32        every SKIP-th chunk number of each term with more
                                        than SKIP postings: a lookup decodes only its block

Scores are the Lucene BM25 variant (Kamphuis et al. 2020). A posting costs
about 2.8 bytes (gaps 1-2, impact 1, tf 0.2: mostly 1s, compressed) where
float scores, int32 chunk numbers and a second chunk-major copy of the counts
cost 14."""

from __future__ import annotations

import mmap
import zlib
from pathlib import Path

import numpy as np

from .vocab import Vocabulary, write_vocabulary

# 8-bit impacts with a per-term scale: seed questions rank the same as with
# float32 scores at k = 1, 5, 50 (tests/test_index_storage.py).
IMPACT_LEVELS = 255
TF_MAX = 255  # a term 255 times in one chunk scores as if there (BM25 saturates long before)
GAP_WIDTHS = {1: np.uint8, 2: np.uint16, 4: np.uint32}
# Postings per skip entry: Lucene's block size. At 1M chunks, looking pruned
# candidates up block by block instead of decoding whole lists took BM25 p50
# from 8.9 to 7.1-7.8 ms (200 questions, 3 runs); the entries cost 16 MB.
SKIP = 128
# Blocks are decoded only when they are under 1/8 of the list: gathering them
# costs several passes, a whole-list cumsum one (1M chunks, p50: 1/4 7.5 ms,
# 1/8 7.1-7.8, 1/16 7.3-8.1, always blocks 9.4-10.8).
BLOCK_LOOKUP_SHARE = 8
_TERM_ARRAYS = ("ptr", "first", "width", "gap_at", "scale")


def _bin(path: Path, dtype) -> np.ndarray:
    """A raw little-endian array file, memory-mapped (an empty file: empty array)."""
    if not path.exists() or path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.asarray(np.memmap(path, dtype=dtype, mode="r"))


def release_pages(*arrays: np.ndarray) -> None:
    """Unmap the pages of memory-mapped arrays from this process (the kernel
    keeps them cached): a build that reads a whole previous index once would
    otherwise count all of it in its resident memory."""
    for array_ in arrays:
        base = array_
        while base is not None and not isinstance(base, np.memmap):
            base = base.base
        if base is not None and getattr(base, "_mmap", None) is not None:
            base._mmap.madvise(mmap.MADV_DONTNEED)


def bm25_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def bm25_norm(doclen: np.ndarray, k1: float, b: float) -> np.ndarray:
    """k1 * (1 - b + b * |d| / avg|d|) per chunk."""
    avg = max(float(doclen.mean()), 1e-9) if len(doclen) else 1.0
    return (k1 * ((1.0 - b) + b * doclen / avg)).astype(np.float32)


class Postings:
    """Read-only postings of one index, memory-mapped (plain ndarray views:
    slicing an np.memmap runs Python code per slice)."""

    def __init__(self, directory: Path):
        directory = Path(directory)
        self.vocab = Vocabulary(directory)
        for name in _TERM_ARRAYS + ("doclen",):
            setattr(self, name, np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r")))
        self.gaps = {w: _bin(directory / f"gaps{w}.bin", dtype) for w, dtype in GAP_WIDTHS.items()}
        self.impact = _bin(directory / "impact.bin", np.uint8)
        self.skips = np.asarray(np.load(directory / "skips.npy", mmap_mode="r"))
        self._skip_ptr = None  # where each term's skips start, computed on first use
        self._tf_blocks = np.load(directory / "tf.index.npy")
        self._tf_z = _bin(directory / "tf.z", np.uint8)

    @property
    def n_docs(self) -> int:
        return len(self.doclen)

    @property
    def n_terms(self) -> int:
        return len(self.ptr) - 1

    def df(self, t: int) -> int:
        """Postings (chunks) of term `t`."""
        return int(self.ptr[t + 1] - self.ptr[t])

    def dfs(self, t0: int = 0, t1: int | None = None) -> np.ndarray:
        return np.diff(self.ptr[t0 : (self.n_terms if t1 is None else t1) + 1])

    def docs(self, t: int) -> np.ndarray:
        """The chunks containing term `t`, ascending."""
        n, first = self.df(t), int(self.first[t])
        if n <= 1:
            return np.full(n, first, dtype=np.int32)
        at = int(self.gap_at[t])
        gaps = self.gaps[int(self.width[t])][at : at + n - 1]
        out = np.empty(n, dtype=np.int32)
        out[0] = first
        np.cumsum(gaps, dtype=np.int32, out=out[1:])
        out[1:] += first
        return out

    def skip_ptr(self) -> np.ndarray:
        if self._skip_ptr is None:
            df = self.dfs()
            per_term = np.where(df > SKIP, (df + SKIP - 1) // SKIP, 0)
            self._skip_ptr = np.zeros(len(df) + 1, dtype=np.int64)
            np.cumsum(per_term, out=self._skip_ptr[1:])
        return self._skip_ptr

    def lookup(self, t: int, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of the ascending `chunks` contain term `t`, and their positions
        in its postings: only the blocks (SKIP postings) they fall in are decoded."""
        n = self.df(t)
        if n <= SKIP or len(chunks) * SKIP * BLOCK_LOOKUP_SHARE >= n:
            docs = self.docs(t)
            pos = np.searchsorted(docs, chunks)
            pos[pos == n] = 0
            found = docs[pos] == chunks
            return found, pos[found]
        ptr = self.skip_ptr()
        skips = self.skips[ptr[t] : ptr[t + 1]]
        block = np.searchsorted(skips, chunks, "right") - 1
        blocks = np.unique(block[block >= 0])
        starts = blocks * SKIP  # posting position of each block's first chunk
        sizes = np.minimum(starts + SKIP, n) - starts
        # the blocks' postings: first chunk from the skips, then the gaps after it
        position = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        values = np.empty(len(position), dtype=np.int64)
        heads = np.cumsum(sizes) - sizes
        is_head = np.zeros(len(position), dtype=bool)
        is_head[heads] = True
        at = int(self.gap_at[t])
        values[~is_head] = self.gaps[int(self.width[t])][at + position[~is_head] - 1]
        values[heads] = skips[blocks]
        running = np.cumsum(values)
        docs = running - np.repeat(running[heads] - values[heads], sizes)
        pos = np.searchsorted(docs, chunks)
        pos[pos == len(docs)] = 0
        found = docs[pos] == chunks
        return found, position[pos[found]]

    def scores(self, t: int) -> np.ndarray:
        """BM25 score of term `t` in each chunk of `docs(t)`."""
        lo, hi = int(self.ptr[t]), int(self.ptr[t + 1])
        return self.impact[lo:hi].astype(np.float32) * self.scale[t]

    def scores_at(self, t: int, positions: np.ndarray) -> np.ndarray:
        """`scores(t)[positions]` without decoding the whole list."""
        return self.impact[int(self.ptr[t]) + positions].astype(np.float32) * self.scale[t]

    def max_score(self, t: int) -> float:
        return float(self.scale[t]) * IMPACT_LEVELS

    def decode(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Terms t0:t1 at once: (postings per term, chunk numbers, term frequencies)."""
        df = self.dfs(t0, t1)
        lo = int(self.ptr[t0])
        starts = self.ptr[t0:t1] - lo
        n = int(df.sum())
        values = np.zeros(n, dtype=np.int64)
        has = df > 0
        values[starts[has]] = self.first[t0:t1][has]
        width = self.width[t0:t1]
        for w in GAP_WIDTHS:
            ts = np.flatnonzero(width == w)
            if len(ts) == 0:
                continue
            count = df[ts] - 1
            first_gap = int(self.gap_at[t0 + ts[0]])
            gaps = self.gaps[w][first_gap : first_gap + int(count.sum())]
            # each term's gaps go right after its first posting
            shift = np.repeat(starts[ts] + 1 - (np.cumsum(count) - count), count)
            values[shift + np.arange(len(gaps))] = gaps
        running = np.cumsum(values)
        base = np.repeat((running[starts[has]] - values[starts[has]]), df[has])
        docs = (running - base).astype(np.int32)
        return df, docs, self.tf(lo, lo + n)

    def release(self) -> None:
        """Drop the postings' pages from this process's resident memory."""
        release_pages(self.impact, self._tf_z, *self.gaps.values())

    def tf(self, lo: int, hi: int) -> np.ndarray:
        """Term frequencies of postings lo:hi (decompressing the blocks they span)."""
        if hi <= lo:
            return np.zeros(0, dtype=np.uint8)
        starts, offsets = self._tf_blocks[:, 0], self._tf_blocks[:, 1]
        b0 = int(np.searchsorted(starts, lo, "right")) - 1
        b1 = int(np.searchsorted(starts, hi, "left"))
        blocks = [zlib.decompress(self._tf_z[offsets[b] : offsets[b + 1]].tobytes()) for b in range(b0, b1)]
        whole = np.frombuffer(b"".join(blocks), dtype=np.uint8)
        return whole[lo - starts[b0] : hi - starts[b0]]
