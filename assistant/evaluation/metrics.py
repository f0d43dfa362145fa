"""Deterministic metrics, as pure functions of per-question records."""

from __future__ import annotations

import statistics
from collections import defaultdict

from .questions import Question, contains_answer, mentions_any_answer

KS = (1, 5, 10)


def first_gold_rank(doc_ids: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first gold document among the distinct documents."""
    seen: list[str] = []
    for d in doc_ids:
        if d not in seen:
            seen.append(d)
            if d in gold:
                return len(seen)
    return None


def answer_in_context(passages: list[str], q: Question, k: int) -> bool:
    return contains_answer("\n".join(passages[:k]), q)


def citation_precision(cited_quotes: list[str], q: Question) -> float | None:
    """Share of citations whose passage contains a gold answer (None: no citations)."""
    if not cited_quotes:
        return None
    return sum(mentions_any_answer(quote, q) for quote in cited_quotes) / len(cited_quotes)


def citation_recall(cited_doc_ids: list[str], q: Question) -> float | None:
    """Share of the gold documents that are cited (None: no gold documents)."""
    if not q.doc_ids:
        return None
    return len(set(cited_doc_ids) & set(q.doc_ids)) / len(set(q.doc_ids))


def is_correct(answer_text: str, cited_quotes: list[str], abstained: bool, q: Question) -> bool:
    """Correct: not abstained, gold answer in the answer text and in the cited
    passages (each part of a comparison in some cited passage)."""
    if not q.answerable or abstained or not answer_text.strip():
        return False
    return contains_answer(answer_text, q) and contains_answer("\n".join(cited_quotes), q)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def summarize(records: list[dict]) -> dict:
    """Metrics over records (one config): see eval/README.md for definitions."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in records if "abstained" in r]
    abstained = [r for r in answered if r["abstained"]]
    out: dict = {"n": len(records), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for k in KS:
        out[f"aic@{k}"] = _mean(r.get(f"aic@{k}") for r in answerable)
    for k in KS:
        out[f"doc_r@{k}"] = _mean(
            (r["doc_rank"] is not None and r["doc_rank"] <= k) for r in answerable if r.get("has_gold_docs")
        )
    out["mrr@10"] = _mean(
        (1 / r["doc_rank"] if r["doc_rank"] and r["doc_rank"] <= 10 else 0.0) for r in answerable if r.get("has_gold_docs")
    )
    if answered:
        a_answered = [r for r in answerable if "abstained" in r]
        out["accuracy"] = _mean(r["correct"] for r in a_answered)
        out["citation_precision"] = _mean(r["citation_precision"] for r in a_answered if not r["abstained"])
        out["citation_recall"] = _mean(r["citation_recall"] for r in a_answered if not r["abstained"])
        u_answered = [r for r in unanswerable if "abstained" in r]
        out["abstention_recall"] = _mean(r["abstained"] for r in u_answered)
        out["abstention_precision"] = _mean((not r["answerable"]) for r in abstained)
        out["wrong_abstentions"] = sum(r["abstained"] for r in a_answered)
        out["script_invariance"] = _mean(r.get("script_invariant") for r in answered)
        lengths = [len(r["answer"]) for r in a_answered if not r["abstained"]]
        out["median_answer_chars"] = statistics.median(lengths) if lengths else None
    latencies = [r["latency_ms"] for r in records]
    out["latency_ms"] = {"p50": round(percentile(latencies, 50), 2), "p95": round(percentile(latencies, 95), 2)}
    return out


def summarize_by_type(records: list[dict]) -> dict:
    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_type[r["type"]].append(r)
    return {"all": summarize(records), **{t: summarize(rs) for t, rs in sorted(by_type.items())}}
