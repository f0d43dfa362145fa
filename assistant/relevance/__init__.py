"""Do the passages answer the question, and where: the evidence finder
(evidence.py: clauses matching the question, their figures, years and places),
the sentence scorer (scoring.py), direct-answer spans (spans.py) and the one
relevance gate (gate.py). Below the answerers: every answerer, and the pipeline
for model answers, reads the same verdict from here."""

from .gate import FEATURES, MIN_RELEVANCE, Relevance, RelevanceGate

__all__ = ["FEATURES", "MIN_RELEVANCE", "Relevance", "RelevanceGate"]
