"""BM25 over Chinese-aware tokens, stored with bm25s's own plain-file format.

The score matrix is computed here from per-chunk term counts (`terms.py`) in
blocks of numpy arithmetic, then handed to bm25s: building through bm25s's
token-list API would hold every token of the corpus as a Python string, which
does not fit in memory at a million chunks. Scores are the "lucene" BM25 variant
(Kamphuis et al. 2020), the one Lucene/Elasticsearch use, and match bm25s's own
`index()` (tested)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

_EMPTY = "EMPTY"  # marker file of an index with no documents (bm25s cannot store one)
_BLOCK = 1 << 24  # nonzeros scored per numpy step: bounds temporary memory
# Below this many postings a query is scored exhaustively: pruning would not pay.
_EXHAUSTIVE_POSTINGS = 200_000
# A binary search of one chunk in a posting list costs about this many
# sequential posting additions (measured, numpy on one core).
_SEARCH_COST = 25


def bm25_matrix(indptr: np.ndarray, ids: np.ndarray, tf: np.ndarray, n_terms: int,
                k1: float = 1.2, b: float = 0.75):
    """Term-major (CSC) BM25 scores from chunk-major term counts:
    score(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avg|d|))."""
    from scipy import sparse

    n_docs = len(indptr) - 1
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(indptr))
    doc_len = np.zeros(n_docs)  # tokens per chunk, repeats included
    for lo in range(0, len(ids), _BLOCK):
        doc_len += np.bincount(rows[lo : lo + _BLOCK], weights=tf[lo : lo + _BLOCK], minlength=n_docs)
    avg_len = max(float(doc_len.mean()), 1e-9)
    df = np.bincount(ids, minlength=n_terms)
    idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (k1 * ((1.0 - b) + b * doc_len / avg_len)).astype(np.float32)
    data = np.empty(len(ids), dtype=np.float32)
    for lo in range(0, len(ids), _BLOCK):
        hi = min(lo + _BLOCK, len(ids))
        t = tf[lo:hi].astype(np.float32)
        data[lo:hi] = idf[ids[lo:hi]] * t / (t + norm[rows[lo:hi]])
    del rows
    csc = sparse.csr_matrix((data, ids, indptr), shape=(n_docs, n_terms)).tocsc()
    return csc.data.astype(np.float32, copy=False), csc.indices.astype(np.int32, copy=False), csc.indptr


class LexicalIndex:
    def __init__(self, bm25):
        self._bm25 = bm25  # None for an empty corpus
        if bm25 is not None:
            # Plain ndarray views of the memory maps: slicing an np.memmap runs
            # Python code per slice, and a query takes hundreds of slices.
            for key in ("data", "indices", "indptr"):
                bm25.scores[key] = np.asarray(bm25.scores[key])

    @classmethod
    def from_counts(cls, vocab: dict[str, int], indptr: np.ndarray, ids: np.ndarray, tf: np.ndarray,
                    k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        n_docs = len(indptr) - 1
        if n_docs == 0:
            return cls(None)
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        data, indices, term_ptr = bm25_matrix(indptr, ids, tf, len(vocab), k1, b)
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        bm25.scores = {"data": data, "indices": indices, "indptr": term_ptr, "num_docs": n_docs}
        bm25.vocab_dict = vocab
        bm25.nonoccurrence_array = None  # what bm25s's index() sets for "lucene"
        return cls(bm25)

    def save(self, directory: Path) -> None:
        if self._bm25 is None:
            Path(directory).mkdir(parents=True, exist_ok=True)
            (Path(directory) / _EMPTY).write_text("no documents\n")
            return
        self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        if (Path(directory) / _EMPTY).exists():
            return cls(None)
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        # Memory-mapped: pages load on demand, so opening a large index is quick and
        # several processes share one copy. Safe with the index swap: a replaced
        # file stays readable while mapped.
        return cls(bm25s.BM25.load(str(directory), mmap=True))

    @staticmethod
    def load_vocab(directory: Path) -> dict[str, int]:
        """Just the term -> id table (for incremental builds)."""
        import json

        file = Path(directory) / "vocab.index.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}

    @property
    def size(self) -> int:
        return 0 if self._bm25 is None else int(self._bm25.scores["num_docs"])

    @property
    def vocab(self) -> dict:
        return {} if self._bm25 is None else self._bm25.vocab_dict

    def doc_freq(self, token: str) -> int | None:
        """Number of chunks containing `token` (None: not in the vocabulary)."""
        tid = self.vocab.get(token)
        if tid is None:
            return None
        indptr = self._bm25.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid]) if tid + 1 < len(indptr) else None

    def idf(self, token: str) -> float:
        """BM25 (Lucene) idf; a term the corpus never contains gets the highest."""
        n = max(1, self.size)
        df = self.doc_freq(token) or 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _postings(self, query_tokens: list[str]) -> list[tuple[int, int, float]]:
        """(start, end, weight) of each distinct known query term's postings; a
        repeated query token weighs more, as in bm25s."""
        weights: dict[int, float] = {}
        for token in query_tokens:
            tid = self.vocab.get(token)
            if tid is not None:
                weights[tid] = weights.get(tid, 0.0) + 1.0
        indptr = self._bm25.scores["indptr"] if self._bm25 is not None else None
        return [(int(indptr[t]), int(indptr[t + 1]), w) for t, w in weights.items()]

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (exhaustive)."""
        n = self.size
        postings = self._postings(query_tokens) if n else []
        if not postings:
            return np.zeros(n, dtype=np.float32)
        s = self._bm25.scores
        # One C-level pass over all postings: faster than per-term np.add.at.
        docs = np.concatenate([s["indices"][lo:hi] for lo, hi, _ in postings])
        weights = np.concatenate([s["data"][lo:hi] * np.float32(w) for lo, hi, w in postings])
        return np.bincount(docs, weights=weights, minlength=n).astype(np.float32)

    def top(self, query_tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the k best chunks with a positive score, best first.

        Exact, but cheaper than scoring every chunk on large indexes (MaxScore,
        Turtle & Flood 1995): rare terms are scored exhaustively; once the k-th
        best partial score exceeds the most the remaining common terms could add
        (their largest posting values), no chunk they alone touch can make the
        top k, and their postings are only looked up for the candidates."""
        k = min(k, self.size)
        postings = self._postings(query_tokens) if k > 0 else []
        if not postings:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        if sum(hi - lo for lo, hi, _ in postings) <= _EXHAUSTIVE_POSTINGS:
            scores = self.scores(query_tokens)
            touched = np.flatnonzero(scores)
            return _best(scores[touched], touched, k)
        data, indices = self._bm25.scores["data"], self._bm25.scores["indices"]
        postings.sort(key=lambda p: p[1] - p[0])  # rarest first
        bound = [float(data[lo:hi].max()) * w for lo, hi, w in postings]
        scores = np.zeros(self.size, dtype=np.float32)
        # Deciding costs a pass over all chunks: first try after about as many
        # postings as chunks, then at each doubling.
        done, checkpoint, scored = 0, max(_EXHAUSTIVE_POSTINGS // 4, self.size // 2), 0
        candidates = None
        while done < len(postings):
            lo, hi, w = postings[done]
            np.add.at(scores, indices[lo:hi], data[lo:hi] * np.float32(w))
            done, scored = done + 1, scored + hi - lo
            if done == len(postings) or scored < checkpoint:
                continue
            checkpoint *= 2  # a handful of checks per query, each O(chunks)
            candidates = self._candidates(scores, k, sum(bound[done:]))
            remaining = postings[done:]
            # Switch when binary-searching the candidates in the remaining
            # postings costs less than adding those postings.
            if candidates is not None and _SEARCH_COST * len(candidates) * len(remaining) < sum(h - l for l, h, _ in remaining):
                break
            candidates = None
        if candidates is None:
            candidates = np.flatnonzero(scores)
        for lo, hi, w in postings[done:]:
            column = indices[lo:hi]
            pos = np.searchsorted(column, candidates)
            pos[pos == len(column)] = 0
            found = column[pos] == candidates
            scores[candidates[found]] += data[lo:hi][pos[found]] * np.float32(w)
        return _best(scores[candidates], candidates, k)

    @staticmethod
    def _candidates(scores: np.ndarray, k: int, rest: float) -> np.ndarray | None:
        """Chunks that can still reach the top k when the unscored terms add at
        most `rest`; None if that cannot be decided yet."""
        best = float(scores.max())
        # The k-th best partial score, found among the chunks above a falling
        # threshold: np.partition over all chunks is slow when most are zero.
        floor = best / 2
        while True:
            above = np.flatnonzero(scores >= floor)
            if len(above) >= k or floor <= 0:
                break
            floor = floor / 4 if floor > best * 1e-4 else 0.0
        if len(above) < k or best <= 0:
            return None
        theta = float(np.partition(scores[above], len(above) - k)[len(above) - k])
        if rest >= theta:  # an untouched chunk could still make it
            return None
        # (The slack absorbs float32 rounding.) A sparse selection: fast.
        return np.flatnonzero(scores >= theta - rest - 1e-5 * (1 + theta))

def _best(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest positive scores, best first (ties: lower chunk number first)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.lexsort((ids[part], -scores[part]))]
    keep = scores[order] > 0
    return ids[order][keep].astype(np.int64), scores[order][keep]
