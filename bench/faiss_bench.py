"""Dense index choice by size: exact (IndexFlatIP) vs HNSW — recall@10 against
exact search, single-query latency and build time.

    .venv/bin/python bench/faiss_bench.py 100000 1000000

Vectors: 384-d (multilingual-e5-small's size), L2-normalised, drawn from a
mixture of 2,000 Gaussian clusters so that, like sentence embeddings, they have
neighbourhoods (uniform random vectors have none and are a needlessly adversarial
case for any ANN index). Queries: 200 fresh draws from the same mixture."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.index.dense import DenseIndex  # noqa: E402


def vectors(n: int, dim: int, rng, centers) -> np.ndarray:
    which = rng.integers(0, len(centers), n)
    x = centers[which] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main() -> int:
    import faiss

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[100000], help="vector counts")
    sizes = parser.parse_args().sizes
    dim, rng = 384, np.random.default_rng(0)
    centers = rng.standard_normal((2000, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    rows = []
    for n in sizes:
        base = vectors(n, dim, rng, centers)
        queries = vectors(200, dim, rng, centers)
        exact = faiss.IndexFlatIP(dim)
        exact.add(base)
        t = time.perf_counter()
        truth = [exact.search(q[None], 10)[1][0] for q in queries]
        exact_ms = (time.perf_counter() - t) * 1000 / len(queries)
        t = time.perf_counter()
        hnsw = DenseIndex.build(base, exact_max=0)
        build_s = time.perf_counter() - t
        row = {"n": n, "dim": dim, "exact_query_ms": round(exact_ms, 2), "hnsw_build_s": round(build_s, 1)}
        for ef in (32, 64, 128, 256):
            hnsw._index.hnsw.efSearch = ef
            t = time.perf_counter()
            found = [hnsw.top(q, 10)[0] for q in queries]
            ms = (time.perf_counter() - t) * 1000 / len(queries)
            recall = np.mean([len(set(f) & set(g)) / 10 for f, g in zip(found, truth)])
            row[f"ef{ef}"] = {"recall@10": round(float(recall), 4), "query_ms": round(ms, 3)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    (ROOT / "bench" / "results" / "faiss.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
