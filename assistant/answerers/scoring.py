"""Which evidence clause answers the question: the lexical candidates of
`find_evidence` re-ordered by a linear score over five signals (`FEATURES`):

- lexical: find_evidence's idf-weighted match of the question's terms (with
  its bonus for the passage's retrieval rank);
- coverage: the share of the question's term weight around the clause;
- semantic: the embedder's cosine similarity of question and sentence (only
  when the index has vectors);
- typed: does the sentence hold an answer of the expected type: the
  direct-answer span's confidence (spans.py) for names, dates and phrases, a
  figure for "how many", a causal or method cue for "why" / "how";
- bigrams: the share of the question's character pairs in the sentence
  (benchmark questions reuse the passage's wording where jieba splits it
  differently).

The weights are fitted on CMRC 2018 dev and checked on DRCD dev by
bench/sentence_weights.py (listwise softmax over each question's candidates,
a candidate being right when its sentence holds the gold answer)."""

from __future__ import annotations

import re

from ..textnorm import CJK, normalize
from .evidence import Evidence
from .spans import WH_RE, BOTH_ANCHORS, direct_span

FEATURES = ("lexical", "coverage", "semantic", "typed", "bigrams")
# Clauses find_evidence proposes before repeats of a sentence are dropped.
POOL = 60
# Distinct sentences re-scored per question: the lexical order's top 12 hold the
# answer for 0.943 of CMRC and 0.970 of DRCD dev questions (bench/sentence_weights.py).
CANDIDATES = 12
# Fitted by bench/sentence_weights.py --n 600 on CMRC dev. The top clause's
# sentence holds the answer for 0.748 -> 0.777 of CMRC questions and 0.794 ->
# 0.806 of DRCD ones (hybrid); lexical: 0.745 -> 0.755 and 0.793 -> 0.806.
# Coverage is negative given the others: it counts the subject, which the
# answer sentence often leaves out ("本鱼分布于…").
WEIGHTS = {
    "hybrid": {"lexical": 5.25, "coverage": -4.17, "semantic": 42.1, "typed": 2.86, "bigrams": 4.19},
    "lexical": {"lexical": 5.48, "coverage": -0.76, "semantic": 0.0, "typed": 2.18, "bigrams": 4.5},
}
# What a sentence giving a reason or a method says: the type match of why /
# how questions.
CUES = {
    "reason": re.compile(r"因为|由于|为了|旨在|目的|原因|导致|因此|所以|是[^，。；]{0,16}(?:关键|基础|前提|保障|抓手|需要|必然|要求)"),
    "method": re.compile(r"通过|采用|采取|利用|依托|借助|运用|以[^，。；]{1,12}为|模式|方式|机制|办法|手段"),
}
CUE_MATCH = 0.5  # a cue counts as much as a typed span (TYPED / BOTH_ANCHORS)
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
            "typed": _type_match(info, ev) if ev.value is None else 1.0,
            "bigrams": _bigram_share(question_bigrams, normalize(sentences[k])),
        })
    return out


def _bigrams(question: str) -> set[str]:
    """The question's character pairs, its question words cut out."""
    text = WH_RE.sub("|", normalize(question))
    return {text[i : i + 2] for i in range(len(text) - 1) if _PAIR_RE.fullmatch(text[i : i + 2])}


def _bigram_share(pairs: set[str], sentence_norm: str) -> float:
    return sum(p in sentence_norm for p in pairs) / len(pairs) if pairs else 0.0


def _type_match(info, ev: Evidence) -> float:
    cue = CUES.get(info.expects)
    if cue is not None:
        return CUE_MATCH if cue.search(normalize(ev.quote[ev.sentence[0] : ev.sentence[1]])) else 0.0
    if info.expects not in SPAN_TYPES or ev.chunk.kind == "table_row":
        return 0.0
    found = direct_span(info.expects, info.text, ev.quote, ev.sentence)
    return found[1] / BOTH_ANCHORS if found else 0.0


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

