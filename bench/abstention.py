"""Abstention probe: calibrate the relevance gate (assistant/relevance.py).

CMRC 2018 dev and DRCD dev with one article in five removed from the corpus
(chosen by a hash of its id, so the split is fixed): questions about a removed
article must be refused, the others answered. The seed questions add their
unanswerable and near-miss questions (a year, province or metric the reports
do not cover). For every question the gate's score is recorded once; the
script then sweeps the threshold and plots refusals of unanswerable against
refusals of answerable questions (eval/results/abstention.png).

    .venv/bin/python bench/abstention.py   # ~20 min the first time (embeds the probe corpora), then ~3 min

Coverage alone (the share of the question's terms near the best clause) is
shown next to the fitted model for comparison.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT.parent / "shared" / "benchmarks"
DATA = ROOT / "bench" / "data"
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 21)]


def removed(doc_id: str) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 5 == 0


def probe_corpus(name: str) -> Path:
    """bench/data/probe-<name>/: links to the kept articles (derived from CC BY-SA text; git-ignored)."""
    out = DATA / f"probe-{name}"
    out.mkdir(parents=True, exist_ok=True)
    for doc in sorted((BENCH / name / "docs").glob("*.txt")):
        link = out / doc.name
        if not removed(doc.stem) and not link.exists():
            link.symlink_to(doc)
    return out


def features(docs: Path, questions, removed_ids=frozenset(), config: str = "extractive") -> list[dict]:
    """The gate's features for every question (and whether it is answerable here)."""
    from assistant import Config
    from assistant.evaluation.runner import get_config, prepare
    from assistant.question import analyze

    assistant, _ = prepare(get_config(config), Config(index_root=str(ROOT / "index")), str(docs))
    rows = []
    for q in questions:
        info = analyze(q.question)
        relevance = assistant.gate.assess(info, assistant.retrieve(q.question, info))
        rows.append({"id": q.id, "answerable": q.answerable and not (set(q.doc_ids) & removed_ids),
                     "evidence": bool(relevance.evidence) and relevance.score > 0, **relevance.features})
    return rows


def curve(rows: list[dict]) -> list[dict]:
    """Refusal rates of unanswerable and answerable questions per threshold."""
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    return [{"threshold": t,
             "unanswerable_refused": round(sum(r["score"] < t for r in neg) / max(1, len(neg)), 4),
             "answerable_refused": round(sum(r["score"] < t for r in pos) / max(1, len(pos)), 4)}
            for t in THRESHOLDS]


def fit(rows: list[dict], names: tuple[str, ...], l2: float = 0.01, steps: int = 50) -> list[float]:
    """Logistic regression by Newton's method (numpy only): weights, then intercept."""
    import numpy as np

    rows = [r for r in rows if r["evidence"]]
    x = np.array([[r[n] for n in names] + [1.0] for r in rows])
    y = np.array([float(r["answerable"]) for r in rows])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return [round(float(v), 2) for v in w]


def model_scores(rows: list[dict], weights: list[float], names: tuple[str, ...]) -> list[dict]:
    import math

    out = []
    for r in rows:
        z = weights[-1] + sum(wi * r.get(n, 0.0) for wi, n in zip(weights, names))
        out.append({"answerable": r["answerable"], "score": 1 / (1 + math.exp(-z)) if r["evidence"] else 0.0})
    return out


def main() -> int:
    from assistant.evaluation.questions import load_questions
    from assistant.question import is_english
    from assistant.relevance import FEATURES

    result = {}
    for mode, config, names in (("hybrid", "extractive", FEATURES),
                                ("lexical", "bm25", tuple(n for n in FEATURES if n != "dense"))):
        sets = {}
        for name in ("cmrc2018_dev", "drcd_dev"):
            questions = load_questions(BENCH / name / "qa.jsonl")
            gone = {q.doc_ids[0] for q in questions if removed(q.doc_ids[0])}
            cache = DATA / f"probe-{name}-{mode}.json"
            if not cache.exists():
                cache.write_text(json.dumps(features(probe_corpus(name), questions, gone, config)))
            sets[name] = json.loads(cache.read_text())
        seeds = load_questions(ROOT / "eval" / "seeds_qa.jsonl")
        # English questions go through the dictionary path (answerers/english.py), not this gate.
        sets["seeds"] = features(ROOT / "seeds", [q for q in seeds if not is_english(q.question)], config=config)
        weights = fit(sets["cmrc2018_dev"], names)  # fitted on CMRC; DRCD and the seeds are the check
        coverage_only = {n: [{"answerable": r["answerable"], "score": r.get("coverage", 0.0) if r["evidence"] else 0.0}
                             for r in rows] for n, rows in sets.items()}
        result[mode] = {
            "weights": dict(zip(names + ("intercept",), weights)),
            "sets": {n: {"n": len(rows), "unanswerable": sum(not r["answerable"] for r in rows),
                         "model": curve(model_scores(rows, weights, names)), "coverage": curve(coverage_only[n])}
                     for n, rows in sets.items()},
        }
    (ROOT / "bench" / "results" / "abstention.json").write_text(json.dumps(result, indent=1))
    plot(result, ROOT / "eval" / "results" / "abstention.png")
    for mode, r in result.items():
        print(f"\n## {mode}: weights {r['weights']}")
        for name, s in r["sets"].items():
            print(f"\n{name}: {s['n']} questions, {s['unanswerable']} unanswerable")
            print("| threshold | model: unanswerable refused | model: answerable refused | coverage: unanswerable | coverage: answerable |")
            print("|---|---|---|---|---|")
            for m, c in zip(s["model"], s["coverage"]):
                print(f"| {m['threshold']:.2f} | {m['unanswerable_refused']:.3f} | {m['answerable_refused']:.3f} "
                      f"| {c['unanswerable_refused']:.3f} | {c['answerable_refused']:.3f} |")
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from assistant.relevance import MIN_RELEVANCE

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    for ax, (mode, r) in zip(axes, result.items()):
        for name, s in r["sets"].items():
            for kind, style in (("model", "-"), ("coverage", ":")):
                xs = [p["answerable_refused"] for p in s[kind]]
                ys = [p["unanswerable_refused"] for p in s[kind]]
                ax.plot(xs, ys, style, marker=".", label=f"{name} ({kind})")
            chosen = min(s["model"], key=lambda p: abs(p["threshold"] - MIN_RELEVANCE))
            ax.annotate(f"{MIN_RELEVANCE:.2f}", (chosen["answerable_refused"], chosen["unanswerable_refused"]))
        ax.set_title(f"{mode}: one point per threshold (shipped one labelled)")
        ax.set_xlabel("answerable questions refused")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("unanswerable questions refused")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
