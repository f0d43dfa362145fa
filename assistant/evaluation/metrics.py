"""Deterministic metrics, as pure functions of per-question records."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict

from .questions import MARKER_RE, Question, contains_answer, gold_form, mentions_any_answer, norm

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
    passages (each part of a comparison in some cited passage). A list question
    is correct when the answer names at least half of its key points."""
    if not q.answerable or abstained or not answer_text.strip():
        return False
    if q.key_points:
        return key_point_recall(answer_text, q) >= KEY_POINTS_CORRECT
    # The system's "[n]" sits inside a sentence ("…半月形[1]。"): it is not answer text.
    return contains_answer(MARKER_RE.sub("", answer_text), q) and contains_answer("\n".join(cited_quotes), q)


KEY_POINTS_CORRECT = 0.5  # share of key points a list answer must name to count as correct


def key_point_recall(answer_text: str, q: Question) -> float | None:
    """Share of a list question's key points the answer mentions."""
    if not q.key_points:
        return None
    t = norm(answer_text)
    return sum(gold_form(k) in t for k in q.key_points) / len(q.key_points)


_DIRECT_PREFIX_RE = re.compile(r"^According to [^:]*:\s*")
_PUNCT_RE = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
                       r"!-/:-@\[-`{-~“”‘’…—·]")


def direct_answer(answer_text: str) -> str:
    """The answer's first line without citations, quotes or the English lead:
    what CMRC's F1 and EM score."""
    first = answer_text.strip().splitlines()[0] if answer_text.strip() else ""
    first = _DIRECT_PREFIX_RE.sub("", MARKER_RE.sub("", first)).strip().removeprefix("- ")
    return first.strip("“”\"' …")


def _segments(text: str) -> list[str]:
    """CMRC 2018's mixed segmentation: each CJK character a token, Latin words
    and numbers whole; punctuation dropped (lower-cased, script-normalised)."""
    return re.findall(r"[a-z0-9.%]+|[^\sa-z0-9.%]", _PUNCT_RE.sub(" ", norm(text)))


def _longest_common_substring(a: list[str], b: list[str]) -> int:
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def char_f1(prediction: str, golds: list[str]) -> float:
    """CMRC 2018's F1: precision and recall of the longest common substring of
    the segmented texts, best over the gold answers."""
    pred = _segments(prediction)
    best = 0.0
    for gold in golds:
        ref = _segments(gold)
        lcs = _longest_common_substring(pred, ref)
        if lcs:
            p, r = lcs / len(pred), lcs / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def direct_answer_scores(answer_text: str, abstained: bool, q: Question) -> dict:
    """Per-record F1 / EM of the direct answer (0 when refused), and key-point
    recall for list questions; nothing for unanswerable questions."""
    if not q.answerable:
        return {}
    if q.key_points:
        return {"key_point_recall": 0.0 if abstained else key_point_recall(answer_text, q)}
    golds = q.answers or ["".join(q.answers_all)]
    if abstained:
        return {"f1": 0.0, "em": 0.0, "direct": ""}
    direct = direct_answer(answer_text)
    return {"f1": round(char_f1(direct, golds), 4), "em": exact_match(direct, golds), "direct": direct}


def exact_match(prediction: str, golds: list[str]) -> float:
    pred = "".join(_segments(prediction))
    return float(any(pred == "".join(_segments(g)) for g in golds))


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
        out["refused"] = _mean(r["abstained"] for r in a_answered)
        out["f1"] = _mean(r.get("f1") for r in a_answered)
        out["em"] = _mean(r.get("em") for r in a_answered)
        out["key_point_recall"] = _mean(r.get("key_point_recall") for r in a_answered)
        generated = [r for r in answered if "fallback_reason" in r and not r["abstained"]]
        # Model answers: the share shown as the model wrote them (not replaced by
        # the extractive answer), and the items left out for want of support.
        out["model_shown"] = _mean(r["fallback_reason"] is None for r in generated)
        out["dropped_items"] = sum(r.get("dropped_items", 0) for r in generated) if generated else None
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
