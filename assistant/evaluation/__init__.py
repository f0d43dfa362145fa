"""Evaluation: question sets, deterministic metrics, side-by-side configs, reports."""

from .metrics import citation_precision, citation_recall, first_gold_rank, is_correct, summarize
from .questions import Question, canonical_answer, contains_answer, load_questions, norm
from .runner import CONFIGS, EvalConfig, run_eval

__all__ = [
    "CONFIGS", "EvalConfig", "Question", "canonical_answer", "citation_precision", "citation_recall",
    "contains_answer", "first_gold_rank", "is_correct", "load_questions", "norm", "run_eval", "summarize",
]
