"""Deterministic retrieval metrics over question sets (no LLM judge).

Reads the project's question format ({"id","type","question","answers",
"answers_all","doc_ids"}) and the external one used by the CMRC/DRCD sets
({"id","question","answers","doc_id"}) without conversion."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .textnorm import normalize


@dataclass
class Question:
    id: str
    question: str
    type: str = "factoid"
    answers: list[str] = field(default_factory=list)
    answers_all: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.answers or self.answers_all)


def load_questions(path: str | Path) -> list[Question]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            doc_ids = d.get("doc_ids") or ([d["doc_id"]] if d.get("doc_id") else [])
            out.append(
                Question(
                    id=str(d["id"]), question=d["question"], type=d.get("type", "factoid"),
                    answers=list(d.get("answers", [])), answers_all=list(d.get("answers_all", [])),
                    doc_ids=list(doc_ids),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{n}: not a question record ({exc})") from exc
    return out


_WS_RE = re.compile(r"\s+")


def norm(text: str) -> str:
    """Matching form: NFKC, lower case, Simplified script, no whitespace."""
    return _WS_RE.sub("", normalize(text))


def contains_answer(text: str, q: Question) -> bool:
    t = norm(text)
    if q.answers_all and not all(norm(a) in t for a in q.answers_all):
        return False
    return not q.answers or any(norm(a) in t for a in q.answers)


def first_gold_rank(doc_ids: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first gold document in a ranked list of distinct docs."""
    seen: list[str] = []
    for d in doc_ids:
        if d not in seen:
            seen.append(d)
            if d in gold:
                return len(seen)
    return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def retrieval_report(index, questions: list[Question], ks=(1, 5, 10)) -> dict:
    """answer-in-context@k per type, gold-doc recall@k and MRR@10, latency."""
    depth = max(ks)
    by_type: dict[str, list[dict]] = defaultdict(list)
    latencies = []
    for q in questions:
        started = time.perf_counter()
        hits = index.search(q.question, depth)
        latencies.append((time.perf_counter() - started) * 1000)
        if not q.answerable:
            continue
        row = {}
        for k in ks:
            context = "\n".join(h.chunk.quote for h in hits[:k])
            row[f"aic@{k}"] = contains_answer(context, q)
        rank = first_gold_rank([h.chunk.doc_id for h in hits], q.doc_ids) if q.doc_ids else None
        for k in ks:
            row[f"doc_r@{k}"] = rank is not None and rank <= k
        row["mrr@10"] = 1.0 / rank if rank and rank <= 10 else 0.0
        by_type[q.type].append(row)
        by_type["all"].append(row)
    summary = {
        t: {"n": len(rows), **{key: round(statistics.fmean(r[key] for r in rows), 4) for key in rows[0]}}
        for t, rows in sorted(by_type.items())
    }
    return {
        "types": summary,
        "latency_ms": {"p50": round(percentile(latencies, 50), 2), "p95": round(percentile(latencies, 95), 2)},
    }


def answer_report(assistant, questions: list[Question]) -> dict:
    """Answer quality of an Assistant on a question set: accuracy (a gold answer in
    the answer text and in a cited passage), abstention precision/recall on the
    unanswerable questions, wrong abstentions, answer length, latency."""
    by_type: dict[str, list[dict]] = defaultdict(list)
    latencies, lengths, rows = [], [], []
    for q in questions:
        answer = assistant.ask(q.question)
        latencies.append(answer.timings.get("total_ms", 0.0))
        cited = "\n".join(c.quote for c in answer.citations)
        row = {
            "id": q.id, "type": q.type, "answerable": q.answerable, "abstained": answer.abstained,
            "correct": q.answerable and not answer.abstained
            and contains_answer(answer.text, q) and contains_answer(cited, q),
            "length": len(answer.text), "text": answer.text,
        }
        rows.append(row)
        by_type[q.type].append(row)
        if q.answerable and not answer.abstained:
            lengths.append(len(answer.text))
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    summary = {
        "types": {
            t: {"n": len(rs), "accuracy": round(statistics.fmean(r["correct"] for r in rs), 4) if rs[0]["answerable"] else None,
                "abstained": sum(r["abstained"] for r in rs)}
            for t, rs in sorted(by_type.items())
        },
        "answerable": len(answerable),
        "accuracy": round(statistics.fmean(r["correct"] for r in answerable), 4) if answerable else None,
        "wrongly_abstained": sum(r["abstained"] for r in answerable),
        "unanswerable": len(unanswerable),
        "abstention_recall": round(sum(r["abstained"] for r in unanswerable) / len(unanswerable), 4) if unanswerable else None,
        "abstention_precision": round(sum(not r["answerable"] for r in abstained) / len(abstained), 4) if abstained else None,
        "median_answer_chars": statistics.median(lengths) if lengths else None,
        "latency_ms": {"p50": round(percentile(latencies, 50), 2), "p95": round(percentile(latencies, 95), 2)},
    }
    return {"summary": summary, "results": rows}
