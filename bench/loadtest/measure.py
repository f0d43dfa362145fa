"""What a pass measured: latency percentiles, failures, and answers that
differ from the reference (text or cited chunk ids)."""

from __future__ import annotations

import os
import statistics

from assistant.evaluation.metrics import percentile

# Failure and mismatch examples kept per pass: enough to see the pattern.
EXAMPLES = 5


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def latency_summary(values_ms: list[float]) -> dict:
    return {"p50": round(percentile(values_ms, 50), 2), "p95": round(percentile(values_ms, 95), 2),
            "p99": round(percentile(values_ms, 99), 2),
            "mean": round(statistics.fmean(values_ms), 2) if values_ms else 0.0,
            "max": round(max(values_ms), 2) if values_ms else 0.0}


def signature(answer: dict) -> tuple[str, tuple[str, ...]]:
    """What must not change between two answers to one question."""
    return answer.get("text", ""), tuple(c.get("chunk_id", "") for c in answer.get("citations", []))


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def failure_examples(failures: list[dict]) -> list[dict]:
    return [{k: r.get(k) for k in ("question", "status", "error")} for r in failures[:EXAMPLES]]


def summarize(records: list[dict], wall: float, reference: dict) -> dict:
    ok = [r for r in records if r["status"] == 200]
    failures = [r for r in records if r["status"] != 200]
    mismatches = [r for r in ok if r["question"] in reference and r["sig"] != reference[r["question"]]]
    no_reference = [r for r in ok if r["question"] not in reference]
    return {
        "requests": len(records), "wall_s": round(wall, 3),
        "req_per_s": round(len(records) / wall, 2) if wall else 0.0,
        "latency_ms": latency_summary([r["latency_ms"] for r in records]),
        "failures": len(failures), "mismatches": len(mismatches), "without_reference": len(no_reference),
        "failure_examples": failure_examples(failures),
        "mismatch_examples": [{"question": r["question"], "got": list(r["sig"]), "reference": list(reference[r["question"]])}
                              for r in mismatches[:EXAMPLES]],
    }
