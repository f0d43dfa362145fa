"""BM25 over Chinese-aware tokens, stored with bm25s's own plain-file format."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np


_EMPTY = "EMPTY"  # marker file of an index with no documents (bm25s cannot build one)


class LexicalIndex:
    def __init__(self, bm25):
        self._bm25 = bm25  # None for an empty corpus

    @classmethod
    def build(cls, token_lists: list[list[str]], k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        if not token_lists:
            return cls(None)
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        # "lucene" is the BM25 variant of Lucene/Elasticsearch (Kamphuis et al. 2020).
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        # bm25s needs at least one token per document; an empty chunk gets "".
        bm25.index([tokens or [""] for tokens in token_lists], show_progress=False)
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
        known = [t for t in query_tokens if t in self.vocab and t]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return self._bm25.get_scores(known)

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
