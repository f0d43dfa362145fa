"""Fit the citation-support threshold (answerers/attribution.py: SUPPORT_THRESHOLD).

A model restates what a passage says in its own words; an annotator's question
does the same. Each benchmark question is turned into a claim by putting its
gold answer where the question word was ("重庆有多少项指标…" → "重庆有19项指标…").
Its support in the retrieved passage holding the answer (from a gold document)
is a true pair; its support in each other retrieved passage (other documents)
is a false pair. The threshold is the one that maximises Youden's J (true-pair
recall minus false-pair pass rate); both rates are written beside it.

    .venv/bin/python bench/attribution.py [--limit 600] [--json bench/results/attribution.json]

Uses the indexes `make eval` builds under index/ (lexical retrieval, so it
runs in a minute or two).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answerers.attribution import passage_weight, support  # noqa: E402
from assistant.config import Config  # noqa: E402
from assistant.evaluation.questions import load_questions, norm  # noqa: E402
from assistant.evaluation.runner import index_path_for  # noqa: E402
from assistant.index import Index, build_index  # noqa: E402
from bench.fusion import SETS  # noqa: E402  (the same three question sets)

_WH_RE = re.compile(r"什么时候|什么|多少|哪一年|哪些|哪个|哪位|哪里|哪儿|哪|谁|几|何时|何处|为何|如何|怎样|怎么")
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def claim(question: str, answer: str) -> str:
    body = question.rstrip("？?。 ")
    return _WH_RE.sub(answer, body, count=1) if _WH_RE.search(body) else f"{body}{answer}"


def pairs(name: str, limit: int, seed: int = 0) -> tuple[list[float], list[float]]:
    qa, docs = SETS[name]
    config = Config(embedder="none")
    path = index_path_for(str(docs), config)
    build_index([str(docs)], path, config)
    index = Index.load(path, config)
    weight = passage_weight(index.engine)
    questions = [q for q in load_questions(qa) if q.answers and q.doc_ids and not any(ord(c) < 128 for c in q.question[:3])]
    random.Random(seed).shuffle(questions)
    true, false = [], []
    for q in questions[:limit]:
        text = claim(q.question, q.answers[0])
        for hit in index.search(q.question, 5):
            passage = f"{hit.chunk.title} {hit.chunk.section_path}\n{hit.chunk.quote}"
            score = support(text, passage, weight)
            if hit.chunk.doc_id in q.doc_ids and norm(q.answers[0]) in norm(hit.chunk.quote):
                true.append(score)
            elif hit.chunk.doc_id not in q.doc_ids:
                false.append(score)
    return true, false


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600, help="questions per set")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "attribution.json"))
    args = parser.parse_args()
    true, false = [], []
    per_set = {}
    for name in SETS:
        t, f = pairs(name, args.limit)
        per_set[name] = {"true_pairs": len(t), "false_pairs": len(f)}
        true += t
        false += f
    rows = []
    for th in THRESHOLDS:
        recall = sum(s >= th for s in true) / len(true)
        passed = sum(s >= th for s in false) / len(false)
        rows.append({"threshold": th, "true_kept": round(recall, 3), "false_passed": round(passed, 3),
                     "youden_j": round(recall - passed, 3)})
    best = max(rows, key=lambda r: r["youden_j"])
    print(f"{'threshold':>9} {'true kept':>9} {'false passed':>12}")
    for r in rows:
        print(f"{r['threshold']:>9} {r['true_kept']:>9} {r['false_passed']:>12}" + ("  <- best J" if r is best else ""))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"best": best, "rows": rows, "sets": per_set}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
