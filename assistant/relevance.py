"""Do the retrieved passages answer the question? The one relevance gate every
answerer goes through (the extractive answerer asks it for its evidence; the
pipeline asks it before a generative answerer is invited to write).

The score is the share of the question's idf-weighted terms found in or near
the best clause (answerers/evidence.py); a question asking for a figure whose
best clause holds none scores 0. The threshold is calibrated with the
abstention probe (bench/abstention.py, chart eval/results/abstention.png):
CMRC/DRCD dev with one article in five removed, plus the seed near misses."""

from __future__ import annotations

from dataclasses import dataclass, field

from .answerers.evidence import Evidence, find_evidence, idf_from, known_from
from .config import Config
from .question import QuestionInfo

# The operating point chosen from the probe's curve: setting `min_relevance`.
MIN_RELEVANCE = Config.min_relevance


@dataclass
class Relevance:
    score: float
    threshold: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.evidence) and self.score >= self.threshold

    def to_dict(self) -> dict:
        return {"score": round(self.score, 4), "threshold": self.threshold, "answerable": self.answerable}


class RelevanceGate:
    def __init__(self, idf=None, known=None, threshold: float = MIN_RELEVANCE):
        self.idf = idf or (lambda term: 1.0)
        self.known = known  # term -> bool: does the corpus contain it
        self.threshold = threshold

    @classmethod
    def for_index(cls, index, config) -> "RelevanceGate":
        return cls(idf_from(index.lexical), known_from(index.lexical), config.min_relevance)

    def assess(self, info: QuestionInfo, passages: list) -> Relevance:
        found = find_evidence(info, passages, self.idf, known=self.known)
        if not found:
            return Relevance(0.0, self.threshold)
        score = found[0].coverage
        if info.kind in ("quantity", "rank") and found[0].value is None:
            score = 0.0  # a figure was asked for and the best clause has none
        return Relevance(score, self.threshold, found)
