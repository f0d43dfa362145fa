"""BM25 over Chinese-aware tokens, stored with bm25s's own plain-file format.

The score matrix is computed here from per-chunk term counts (`terms.py`) in
blocks of numpy arithmetic, then handed to bm25s: building through bm25s's
token-list API would hold every token of the corpus as a Python string, which
does not fit in memory at a million chunks. Scores are the "lucene" BM25 variant
(Kamphuis et al. 2020), the one Lucene/Elasticsearch use, and match bm25s's own
`index()` (tested)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

_EMPTY = "EMPTY"  # marker file of an index with no documents (bm25s cannot store one)
_BLOCK = 1 << 24  # nonzeros scored per numpy step: bounds temporary memory


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

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (a repeated query token counts again)."""
        scores = np.zeros(self.size, dtype=np.float32)
        if self._bm25 is None:
            return scores
        vocab, s = self.vocab, self._bm25.scores
        data, indices, indptr = s["data"], s["indices"], s["indptr"]
        for token in query_tokens:
            tid = vocab.get(token)
            if tid is None:
                continue
            lo, hi = int(indptr[tid]), int(indptr[tid + 1])
            # A term's postings name each chunk once, so a fancy-indexed += is
            # exact here (and several times faster than np.add.at).
            scores[indices[lo:hi]] += data[lo:hi]
        return scores

    def top(self, query_tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the k best chunks with a positive score, best first."""
        scores = self.scores(query_tokens)
        k = min(k, scores.shape[0])
        if k <= 0:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        idx = np.argpartition(-scores, k - 1)[:k]
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        keep = scores[idx] > 0
        return idx[keep], scores[idx][keep]
