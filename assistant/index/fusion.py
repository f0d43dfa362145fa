"""How BM25 and dense scores are combined. Each function takes {chunk: score}
for the two retrievers and returns {chunk: fused score}; bench/fusion.py
measures them side by side (results in docs/results.md)."""

from __future__ import annotations


def rrf(bm25: dict[int, float], dense: dict[int, float], k: int = 60, dense_weight: float = 1.0) -> dict[int, float]:
    """(Weighted) reciprocal-rank fusion, Cormack et al. 2009."""
    out: dict[int, float] = {}
    for weight, scores in ((1.0, bm25), (dense_weight, dense)):
        for rank, i in enumerate(sorted(scores, key=scores.get, reverse=True), 1):
            out[i] = out.get(i, 0.0) + weight / (k + rank)
    return out


def _unit(scores: dict[int, float], keys) -> dict[int, float]:
    """Min-max to [0, 1] over `keys`; a key without a score gets the minimum."""
    if not scores:
        return {i: 0.0 for i in keys}
    lo, hi = min(scores.values()), max(scores.values())
    span = (hi - lo) or 1.0
    return {i: (scores[i] - lo) / span if i in scores else 0.0 for i in keys}


def minmax(bm25: dict[int, float], dense: dict[int, float], dense_weight: float) -> dict[int, float]:
    """Convex combination of min-max normalised scores over both candidate lists."""
    keys = set(bm25) | set(dense)
    b, d = _unit(bm25, keys), _unit(dense, keys)
    return {i: (1 - dense_weight) * b[i] + dense_weight * d[i] for i in keys}


def lexical_strength(bm25: dict[int, float], idf_mass: float) -> float:
    """How well the best passage matches the question's words: its BM25 score
    over the question's total idf (a term matched once in an average-length
    passage scores about its idf). Near 0 for an English question over Chinese
    text, about 0.5-1 for a question in the documents' own words."""
    if not bm25 or idf_mass <= 0:
        return 0.0
    return max(bm25.values()) / idf_mass


def adaptive(bm25: dict[int, float], dense: dict[int, float], idf_mass: float,
             low: float, weak: float, strong: float) -> dict[int, float]:
    """Min-max combination whose dense weight depends on the question: `weak`
    (lexical-leaning) when its words match a passage well, `strong` when they
    barely do (lexical strength below `low`): English or reworded questions."""
    weight = strong if lexical_strength(bm25, idf_mass) < low else weak
    return minmax(bm25, dense, weight)




def fuse(bm25: dict[int, float], dense: dict[int, float], idf_mass: float, config) -> dict[int, float]:
    """The configured fusion (setting `fusion`)."""
    if config.fusion == "adaptive":
        return adaptive(bm25, dense, idf_mass, config.fusion_low, config.fusion_weak, config.fusion_strong)
    if config.fusion == "rrf":
        return rrf(bm25, dense, config.rrf_k)
    return dict(bm25)
