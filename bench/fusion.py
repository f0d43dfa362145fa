"""Choose how BM25 and dense rankings are fused, by measurement.

For each question set, the BM25 and dense top-100 candidates (with scores)
are computed once with the real index and embedder and cached in bench/data/;
every fusion strategy is then scored on the same candidates: gold-document
R@1 (CMRC/DRCD, seeds) and answer-in-context@5 (seeds), per question type.

    .venv/bin/python bench/fusion.py                 # all sets, table on stdout
    .venv/bin/python bench/fusion.py --json bench/results/fusion.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Config  # noqa: E402
from assistant.evaluation.questions import load_questions  # noqa: E402
from assistant.index import Index, build_index  # noqa: E402
from assistant.index import fusion  # noqa: E402
from assistant.index.searcher import _diversify  # noqa: E402
from assistant.textnorm import normalize  # noqa: E402

BENCH = ROOT.parent / "shared" / "benchmarks"
SETS = {
    "seeds": (ROOT / "eval" / "seeds_qa.jsonl", ROOT / "seeds"),
    "cmrc2018_dev": (BENCH / "cmrc2018_dev" / "qa.jsonl", BENCH / "cmrc2018_dev" / "docs"),
    "drcd_dev": (BENCH / "drcd_dev" / "qa.jsonl", BENCH / "drcd_dev" / "docs"),
}
N = 100  # candidates per ranking


def features(name: str, config: Config) -> dict:
    cache = ROOT / "bench" / "data" / f"fusion-{name}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    qfile, docs = SETS[name]
    from assistant.evaluation.runner import index_path_for

    path = index_path_for(str(docs), config)
    build_index([str(docs)], path, config)
    index = Index.load(path, config)
    assert index.embedder is not None, index.notices
    questions = load_questions(qfile)
    qvecs = index.embedder.embed_queries([q.question for q in questions])
    vectors = np.asarray(index.engine.data.vectors())
    rows = []
    for q, qv in zip(questions, qvecs):
        tokens = index.query_tokens(q.question)
        b_idx, b_sc = index.engine.lexical_top(tokens, N)
        d_all = vectors @ qv
        d_idx = np.argsort(-d_all)[:N]
        cands = sorted(set(b_idx.tolist()) | set(d_idx.tolist()))
        rows.append({
            "id": q.id, "type": q.type, "answerable": q.answerable, "idf_mass": index.idf_mass(tokens),
            "bm25": dict(zip(b_idx.tolist(), b_sc.tolist())),
            "dense": {int(i): float(d_all[i]) for i in d_idx},
            "dense_all": {int(i): float(d_all[i]) for i in cands},
            "gold_doc": {i: index.chunks[i].doc_id in q.doc_ids for i in cands},
            "gold_answer": {i: any(normalize(a) in normalize(index.chunks[i].quote) for a in q.answers + q.answers_all)
                            for i in cands},
        })
    data = {"rows": rows, "doc_of": {i: index.chunks[i].doc_id for r in rows for i in r["gold_doc"]}}
    cache.parent.mkdir(parents=True, exist_ok=True)  # bench/data is not in a fresh clone
    cache.write_bytes(pickle.dumps(data))
    return data


class _Docs:
    """Enough of a chunk store for _diversify: chunks[i].doc_id."""

    def __init__(self, doc_of):
        self.doc_of = doc_of

    def __getitem__(self, i):
        return type("C", (), {"doc_id": self.doc_of[i]})


def evaluate(data: dict, strategy, decay: float = 0.85) -> dict:
    docs = _Docs(data["doc_of"])
    per_type = defaultdict(lambda: [0, 0, 0, 0])  # r1 hits, r1 n, aic5 hits, aic5 n
    for r in data["rows"]:
        if not r["answerable"]:
            continue
        scores = strategy(r["bm25"], r["dense"], r["idf_mass"])
        top = [i for i, _ in _diversify(scores, docs, 5, decay)]
        t = per_type[r["type"]]
        if any(r["gold_doc"].values()):
            t[0] += bool(top) and r["gold_doc"][top[0]]
            t[1] += 1
        if any(r["gold_answer"].values()):
            t[2] += any(r["gold_answer"][i] for i in top)
            t[3] += 1
    out = {k: {"r1": v[0] / v[1] if v[1] else None, "aic5": v[2] / v[3] if v[3] else None, "n": v[1]}
           for k, v in per_type.items()}
    tot = [sum(v[j] for v in per_type.values()) for j in range(4)]
    out["all"] = {"r1": tot[0] / tot[1] if tot[1] else None, "aic5": tot[2] / tot[3] if tot[3] else None, "n": tot[1]}
    return out


def strategies() -> dict:
    s = {"bm25": lambda b, d, m: dict(b), "dense": lambda b, d, m: dict(d)}
    s["rrf60"] = lambda b, d, m: fusion.rrf(b, d, 60, 1.0)
    for w in (0.3, 0.5):
        s[f"rrf60 w{w}"] = lambda b, d, m, w=w: fusion.rrf(b, d, 60, w)
    for a in (0.1, 0.2, 0.3, 0.5):
        s[f"minmax a{a}"] = lambda b, d, m, a=a: fusion.minmax(b, d, a)
    for lo in (0.2, 0.3, 0.4):
        for weak in (0.1, 0.2):
            for strong in (0.5, 0.8):
                s[f"adaptive lo{lo} {weak}/{strong}"] = (
                    lambda b, d, m, lo=lo, weak=weak, strong=strong: fusion.adaptive(b, d, m, lo, weak, strong))
    shipped = Config()
    s[f"shipped ({shipped.fusion})"] = lambda b, d, m: fusion.fuse(b, d, m, shipped)
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--json")
    args = ap.parse_args()
    config = Config(index_root=str(ROOT / "index"))
    results = {}
    for name in args.sets:
        data = features(name, config)
        results[name] = {label: evaluate(data, fn) for label, fn in strategies().items()}
    types = {name: sorted(k for k in next(iter(res.values())) if k != "all") for name, res in results.items()}
    for name, res in results.items():
        cols = ["all"] + (types[name] if name == "seeds" else [])
        print(f"\n{name}: R@1 / aic@5")
        print("| strategy | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for label, per in res.items():
            cells = [f"{per[c]['r1']:.3f} / {per[c]['aic5']:.3f}" if per[c]["aic5"] is not None
                     else f"{per[c]['r1']:.3f}" for c in cols]
            print(f"| {label} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
