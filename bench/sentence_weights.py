"""Fit the evidence-sentence scorer (assistant/relevance/scoring.py).

For a fixed sample of CMRC 2018 dev questions (fit) and DRCD dev questions
(check), the clauses `find_evidence` proposes from the retrieved passages are
recorded with the scorer's features (`scoring.FEATURES`); a clause is a hit
when its sentence holds a gold answer. The weights maximise the listwise
softmax likelihood of the hits (numpy, L2-regularised), and the script prints
how often the top clause's sentence holds the answer before (lexical order)
and after (fitted order).

    .venv/bin/python bench/sentence_weights.py [--n 600] [--mode hybrid|lexical]

~5 min per set and mode on 2 cores (sentence embeddings are the cost).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT.parent / "shared" / "benchmarks"
DATA = ROOT / "bench" / "data"


def collect(name: str, n: int, config: str) -> list[dict]:
    """Per question: the candidates' features and which candidates are hits."""
    from assistant import Config
    from assistant.relevance.evidence import find_evidence
    from assistant.relevance.scoring import POOL, candidate_features, unique_sentences
    from assistant.evaluation.questions import load_questions, norm
    from assistant.evaluation.runner import get_config, prepare
    from assistant.question import analyze

    assistant, index = prepare(get_config(config), Config(index_root=str(ROOT / "index")), str(BENCH / name / "docs"))
    questions = load_questions(BENCH / name / "qa.jsonl")
    random.Random(0).shuffle(questions)
    rows = []
    for q in questions[:n]:
        info = analyze(q.question)
        found = find_evidence(info, assistant.retrieve(q.question, info), assistant.gate.idf,
                              known=assistant.gate.known, limit=POOL)
        found = unique_sentences(found)
        if not found:
            continue
        gold = [norm(a) for a in q.answers]
        feats = candidate_features(info, found, index.embedder)
        hits = [any(g in norm(ev.quote[ev.sentence[0]:ev.sentence[1]]) for g in gold) for ev in found]
        rows.append({"id": q.id, "question": q.question, "expects": info.expects, "features": feats, "hits": hits,
                     "sentences": [ev.quote[ev.sentence[0]:ev.sentence[1]] for ev in found]})
    return rows


def fit(rows: list[dict], names: tuple[str, ...], l2: float = 0.01, steps: int = 2000, rate: float = 2.0) -> list[float]:
    """Listwise softmax over each question's candidates; gradient ascent on the
    log-probability of its hits, on standardised features (cosines differ by
    hundredths, bigram shares by tenths). Questions without a hit carry no signal."""
    import numpy as np

    scale = np.array([[f[n] for n in names] for r in rows for f in r["features"]]).std(0) + 1e-9
    sets = [(np.array([[f[n] for n in names] for f in r["features"]]) / scale, np.array(r["hits"], float))
            for r in rows if any(r["hits"])]
    w = np.zeros(len(names))
    for _ in range(steps):
        grad = -l2 * w
        for x, y in sets:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y / (p * y).sum()  # posterior over the hits
            grad += x.T @ (q - p)
        w += rate * grad / len(sets)
    return [round(float(v), 2) for v in w / scale]


def top1(rows: list[dict], weights: dict[str, float] | None) -> float:
    """Share of questions whose best candidate's sentence holds the answer."""
    right = 0
    for r in rows:
        if weights is None:
            best = 0  # find_evidence's own (lexical) order
        else:
            scores = [sum(weights[k] * f[k] for k in weights) for f in r["features"]]
            best = max(range(len(scores)), key=scores.__getitem__)
        right += r["hits"][best]
    return round(right / max(1, len(rows)), 4)


def main() -> int:
    from assistant.relevance.scoring import FEATURES

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--mode", choices=("hybrid", "lexical"), default="hybrid")
    args = parser.parse_args()
    config = "extractive" if args.mode == "hybrid" else "bm25"
    names = FEATURES if args.mode == "hybrid" else tuple(f for f in FEATURES if f != "semantic")
    data = {}
    for name in ("cmrc2018_dev", "drcd_dev"):
        cache = DATA / f"sentences-{name}-{args.mode}-{args.n}.json"
        if not cache.exists():
            cache.write_text(json.dumps(collect(name, args.n, config)))
        data[name] = json.loads(cache.read_text())
    weights = dict(zip(names, fit(data["cmrc2018_dev"], names)))
    print(f"{args.mode} weights (fitted on CMRC): {weights}")
    for name, rows in data.items():
        print(f"{name}: {len(rows)} questions with candidates; top clause holds the answer: "
              f"lexical order {top1(rows, None)}, fitted {top1(rows, weights)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
