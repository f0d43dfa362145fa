"""Which evidence clause answers the question: the lexical candidates of
`find_evidence` re-ordered by a linear score over four signals (`FEATURES`):

- lexical: find_evidence's idf-weighted match of the question's terms (with
  its bonus for the passage's retrieval rank);
- coverage: the share of the question's term weight around the clause;
- semantic: the embedder's cosine similarity of question and sentence (only
  when the index has vectors);
- bigrams: the share of the question's character pairs in the sentence
  (benchmark questions reuse the passage's wording where jieba splits it
  differently).

The weights are fitted on CMRC 2018 dev and checked on DRCD dev by
bench/sentence_weights.py (listwise softmax over each question's candidates,
a candidate being right when its sentence holds the gold answer).

The answer-type match was a fifth signal (the direct-answer span's confidence,
a figure, a causal or method cue). Fitted, it raised the top sentence's hit
rate (CMRC 0.757 -> 0.777) but cost answers end to end on 400-question samples
(DRCD 0.690 -> 0.668, CMRC 0.658 -> 0.650, lexical): a span of the expected
kind in a sentence from another passage pulled that sentence first. Type acts
where the answer is cut instead: the surest span among the best candidates
(extractive._best_span), and the figure next to its metric."""

from __future__ import annotations

import re

from ..textnorm import CJK, normalize
from .evidence import Evidence
from .spans import WH_RE

FEATURES = ("lexical", "coverage", "semantic", "bigrams")
# Clauses find_evidence proposes before repeats of a sentence are dropped.
POOL = 60
# Distinct sentences re-scored per question: the lexical order's top 12 hold the
# answer for 0.943 of CMRC and 0.970 of DRCD dev questions (bench/sentence_weights.py).
CANDIDATES = 12
# Fitted by bench/sentence_weights.py --n 600 on CMRC dev. The top clause's
# sentence holds the answer for 0.748 -> 0.757 of CMRC questions and 0.794 ->
# 0.813 of DRCD ones (hybrid); lexical: 0.745 -> 0.745 and 0.793 -> 0.808.
# Coverage is negative given the others: it counts the subject, which the
# answer sentence often leaves out ("本鱼分布于…").
WEIGHTS = {
    "hybrid": {"lexical": 6.12, "coverage": -5.4, "semantic": 38.86, "bigrams": 4.96},
    "lexical": {"lexical": 6.06, "coverage": -2.03, "semantic": 0.0, "bigrams": 5.34},
}
_PAIR_RE = re.compile(f"[{CJK}a-z0-9]{{2}}")
# Answer types whose direct answer is a span of the evidence sentence.
SPAN_TYPES = ("person", "organization", "place", "date", "alias", "definition", "entity", "other", "reason")


def unique_sentences(evidence: list[Evidence], limit: int = CANDIDATES) -> list[Evidence]:
    """The best clause of each distinct sentence (overlapping chunks and a
    sentence's several clauses repeat it), at most `limit`."""
    seen, out = set(), []
    for ev in evidence:
        key = ev.quote[ev.sentence[0] : ev.sentence[1]].strip()
        if key not in seen:
            seen.add(key)
            out.append(ev)
            if len(out) == limit:
                break
    return out


def candidate_features(info, evidence: list[Evidence], embedder=None) -> list[dict[str, float]]:
    """The scorer's inputs for each candidate clause."""
    sentences = [ev.quote[ev.sentence[0] : ev.sentence[1]] for ev in evidence]
    sims = embedder.similarity(info.text, sentences) if embedder is not None and evidence else None
    question_bigrams = _bigrams(info.text)
    out = []
    for k, ev in enumerate(evidence):
        out.append({
            "lexical": ev.score,
            "coverage": ev.coverage,
            "semantic": float(sims[k]) if sims is not None else 0.0,
            "bigrams": _bigram_share(question_bigrams, normalize(sentences[k])),
        })
    return out


def _bigrams(question: str) -> set[str]:
    """The question's character pairs, its question words cut out."""
    text = WH_RE.sub("|", normalize(question))
    return {text[i : i + 2] for i in range(len(text) - 1) if _PAIR_RE.fullmatch(text[i : i + 2])}


def _bigram_share(pairs: set[str], sentence_norm: str) -> float:
    return sum(p in sentence_norm for p in pairs) / len(pairs) if pairs else 0.0


def rerank(info, evidence: list[Evidence], embedder=None, weights: dict[str, float] | None = None) -> list[Evidence]:
    """`evidence` (find_evidence's order) re-ordered by the fitted score; the
    clauses beyond the scored candidates keep their place after them."""
    if len(evidence) < 2:
        return evidence
    weights = weights or WEIGHTS["hybrid" if embedder is not None else "lexical"]
    head = evidence[:CANDIDATES]
    features = candidate_features(info, head, embedder)
    scores = [sum(w * f[name] for name, w in weights.items()) for f in features]
    for ev, score in zip(head, scores):
        ev.rank_score = score
    order = sorted(range(len(head)), key=lambda k: -scores[k])
    return [head[k] for k in order] + evidence[CANDIDATES:]

