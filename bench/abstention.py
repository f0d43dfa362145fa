"""Abstention probe: calibrate the relevance gate (assistant/relevance.py).

CMRC 2018 dev and DRCD dev with one article in five removed from the corpus
(chosen by a hash of its id, so the split is fixed): questions about a removed
article must be refused, the others answered. The seed questions add their
unanswerable and near-miss questions (a year, province or metric the reports
do not cover). For every question the gate's score is recorded once; the
script then sweeps the threshold and plots refusals of unanswerable against
refusals of answerable questions (eval/results/abstention.png).

    .venv/bin/python bench/abstention.py            # ~15 min the first time (embeds the probe corpora)
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


def scores(docs: Path, questions, removed_ids=frozenset()) -> list[dict]:
    from assistant import Config
    from assistant.evaluation.runner import get_config, prepare
    from assistant.question import analyze

    assistant, _ = prepare(get_config("extractive"), Config(index_root=str(ROOT / "index")), str(docs))
    rows = []
    for q in questions:
        answerable = q.answerable and not (set(q.doc_ids) & removed_ids)
        info = analyze(q.question)
        relevance = assistant.gate.assess(info, assistant.retrieve(q.question, info))
        rows.append({"id": q.id, "answerable": answerable, "score": round(relevance.score, 4)})
    return rows


def curve(rows: list[dict]) -> list[dict]:
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    out = []
    for t in THRESHOLDS:
        out.append({
            "threshold": t,
            "unanswerable_refused": round(sum(r["score"] < t for r in neg) / max(1, len(neg)), 4),
            "answerable_refused": round(sum(r["score"] < t for r in pos) / max(1, len(pos)), 4),
        })
    return out


def main() -> int:
    from assistant.evaluation.questions import load_questions

    sets = {}
    for name in ("cmrc2018_dev", "drcd_dev"):
        questions = load_questions(BENCH / name / "qa.jsonl")
        gone = {q.doc_ids[0] for q in questions if removed(q.doc_ids[0])}
        cache = DATA / f"probe-{name}.json"
        if not cache.exists():
            cache.write_text(json.dumps(scores(probe_corpus(name), questions, gone)))
        sets[name] = json.loads(cache.read_text())
    seeds = load_questions(ROOT / "eval" / "seeds_qa.jsonl")
    from assistant.question import is_english

    # English questions go through the dictionary path (answerers/english.py), not this gate.
    sets["seeds"] = scores(ROOT / "seeds", [q for q in seeds if not is_english(q.question)])
    result = {name: {"n": len(rows), "unanswerable": sum(not r["answerable"] for r in rows), "curve": curve(rows)}
              for name, rows in sets.items()}
    (ROOT / "bench" / "results" / "abstention.json").write_text(json.dumps(result, indent=1))
    plot(result, ROOT / "eval" / "results" / "abstention.png")
    for name, r in result.items():
        print(f"\n{name}: {r['n']} questions, {r['unanswerable']} unanswerable")
        print("| threshold | unanswerable refused | answerable refused |\n|---|---|---|")
        for p in r["curve"]:
            print(f"| {p['threshold']:.2f} | {p['unanswerable_refused']:.3f} | {p['answerable_refused']:.3f} |")
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from assistant.relevance import MIN_RELEVANCE

    fig, ax = plt.subplots(figsize=(6.5, 5))
    for name, r in result.items():
        xs = [p["answerable_refused"] for p in r["curve"]]
        ys = [p["unanswerable_refused"] for p in r["curve"]]
        ax.plot(xs, ys, marker=".", label=name)
        chosen = min(r["curve"], key=lambda p: abs(p["threshold"] - MIN_RELEVANCE))
        ax.annotate(f"{MIN_RELEVANCE:.2f}", (chosen["answerable_refused"], chosen["unanswerable_refused"]))
    ax.set_xlabel("answerable questions refused")
    ax.set_ylabel("unanswerable questions refused")
    ax.set_title("Relevance gate: each point one threshold (shipped one labelled)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
