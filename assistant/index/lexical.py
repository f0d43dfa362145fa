"""BM25 search over the compact postings (postings.py): exhaustive for
small queries, MaxScore pruning for large ones. Scores are the "lucene" BM25
variant (Kamphuis et al. 2020), computed at build time (terms.py) and stored
as 8-bit impacts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .postings import Postings

_EMPTY = "EMPTY"  # marker file of an index with no documents
# Below this many postings a query is scored exhaustively: pruning would not pay.
EXHAUSTIVE_POSTINGS = 200_000
# A binary search of one chunk in a posting list costs about this many
# sequential posting additions (measured, numpy on one core).
SEARCH_COST = 25


class LexicalIndex:
    def __init__(self, postings: Postings | None, exhaustive_postings: int = EXHAUSTIVE_POSTINGS,
                 search_cost: float = SEARCH_COST):
        """`exhaustive_postings` and `search_cost` decide when top() prunes
        (0 and 0: as early as its bound allows, which is how a small index
        exercises the pruning path)."""
        self.postings = postings  # None for an empty corpus
        self.exhaustive_postings = exhaustive_postings
        self.search_cost = search_cost

    @classmethod
    def load(cls, directory: Path, **pruning) -> "LexicalIndex":
        """`pruning`: exhaustive_postings, search_cost (see __init__)."""
        # Memory-mapped: pages load on demand, so opening a large index is quick and
        # several processes share one copy. Safe with the index swap: a replaced
        # file stays readable while mapped.
        if (Path(directory) / _EMPTY).exists():
            return cls(None, **pruning)
        return cls(Postings(directory), **pruning)

    @staticmethod
    def save_empty(directory: Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / _EMPTY).write_text("no documents\n")

    @property
    def size(self) -> int:
        return 0 if self.postings is None else self.postings.n_docs

    def term_id(self, token: str) -> int | None:
        return None if self.postings is None else self.postings.vocab.get(token)

    def doc_freq(self, token: str) -> int | None:
        """Number of chunks containing `token` (None: not in the vocabulary)."""
        tid = self.term_id(token)
        return None if tid is None else self.postings.df(tid)

    def _terms(self, query_tokens: list[str]) -> list[tuple[int, float]]:
        """(term id, weight) of each distinct known query term; a repeated query
        token weighs more, as in bm25s."""
        weights: dict[int, float] = {}
        for token in query_tokens:
            tid = self.term_id(token)
            if tid is not None:
                weights[tid] = weights.get(tid, 0.0) + 1.0
        return list(weights.items())

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (exhaustive)."""
        n = self.size
        terms = self._terms(query_tokens) if n else []
        if not terms:
            return np.zeros(n, dtype=np.float32)
        p = self.postings
        # One C-level pass over all postings: faster than per-term np.add.at.
        docs = np.concatenate([p.docs(t) for t, _ in terms])
        weights = np.concatenate([p.scores(t) * np.float32(w) for t, w in terms])
        return np.bincount(docs, weights=weights, minlength=n).astype(np.float32)

    def top(self, query_tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the k best chunks with a positive score, best first.

        Exact, but cheaper than scoring every chunk on large indexes (MaxScore,
        Turtle & Flood 1995): rare terms are scored exhaustively; once the k-th
        best partial score exceeds the most the remaining common terms could add
        (their largest posting values), no chunk they alone touch can make the
        top k, and their postings are only looked up for the candidates."""
        k = min(k, self.size)
        terms = self._terms(query_tokens) if k > 0 else []
        if not terms:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        p = self.postings
        # (term, weight, number of postings), rarest first
        postings = sorted(((t, w, p.df(t)) for t, w in terms), key=lambda x: x[2])
        if sum(n for _, _, n in postings) <= self.exhaustive_postings:
            scores = self.scores(query_tokens)
            touched = np.flatnonzero(scores)
            return _best(scores[touched], touched, k)
        bound = [p.max_score(t) * w for t, w, _ in postings]
        scores = np.zeros(self.size, dtype=np.float32)
        # Deciding costs a pass over all chunks: first try after about as many
        # postings as chunks, then at each doubling.
        done, checkpoint, scored = 0, max(self.exhaustive_postings // 4, self.size // 2), 0
        candidates = None
        while done < len(postings):
            t, w, n = postings[done]
            np.add.at(scores, p.docs(t), p.scores(t) * np.float32(w))
            done, scored = done + 1, scored + n
            if done == len(postings) or scored < checkpoint:
                continue
            checkpoint *= 2  # a handful of checks per query, each O(chunks)
            candidates = self._candidates(scores, k, sum(bound[done:]))
            remaining = postings[done:]
            # Switch when binary-searching the candidates in the remaining
            # postings costs less than adding those postings.
            left = sum(n for _, _, n in remaining)
            if candidates is not None and self.search_cost * len(candidates) * len(remaining) < left:
                break
            candidates = None
        if candidates is None:
            candidates = np.flatnonzero(scores)
        for t, w, _ in postings[done:]:
            found, positions = p.lookup(t, candidates)
            scores[candidates[found]] += p.scores_at(t, positions) * np.float32(w)
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
