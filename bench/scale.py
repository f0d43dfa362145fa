"""How the lexical index grows: synthetic corpora of 10k, 100k and 1M chunks,
against the targets at 1M on a 2-core machine (issue #16): build <= 10 min,
build peak RSS <= 3 GB, disk <= 3 GB, BM25 search p50 <= 10 ms.

    .venv/bin/python bench/scale.py 10000 100000 1000000
    .venv/bin/python bench/scale.py --query-only 1000000   # re-time queries on the kept index

For each size, in fresh subprocesses: index build time and peak RSS, disk size,
load time and BM25 search p50/p95 over 200 questions (the first 100 seed and 100 CMRC questions).
Corpora and indexes are kept in bench/data/ (git-ignored); results are merged
into bench/results/scale.json by size."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import generate  # noqa: E402

BUILD = """
import sys, time, json
from pathlib import Path
sys.path.insert(0, {root!r})
from assistant import Config, build_index
cfg = Config(index_root={tmp!r}, embedder="none")
t = time.perf_counter()
r = build_index([{docs!r}], Path({tmp!r}) / "idx", cfg, rebuild=True)
print(json.dumps({{"chunks": r.chunks, "documents": r.documents, "workers": r.workers,
                   "build_s": round(time.perf_counter() - t, 1)}}))
"""

QUERY = """
import sys, time, json
from pathlib import Path
sys.path.insert(0, {root!r})
from assistant import Config, Index
from assistant.evaluation import load_questions
from assistant.evaluation.metrics import percentile
cfg = Config(index_root={tmp!r}, embedder="none")
t = time.perf_counter()
index = Index.load(Path({tmp!r}) / "idx", cfg)
load_s = time.perf_counter() - t
qs = [q.question for q in load_questions({root!r} + "/eval/seeds_qa.jsonl")][:100]
qs += [q.question for q in load_questions({cmrc!r})][:100]
index.search("预热")
lat = []
for q in qs:
    t = time.perf_counter(); index.search(q, 5); lat.append((time.perf_counter() - t) * 1000)
print(json.dumps({{"load_s": round(load_s, 2), "queries": len(qs),
                   "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2)}}))
"""


def run(code: str) -> tuple[dict, float]:
    """Run `code` in a fresh interpreter under /usr/bin/time: (its JSON line, peak RSS
    in MB of the largest process, the build's worker processes included)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-c", code],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    peak_kb = max(int(line.split("=")[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss_kb="))
    return json.loads(proc.stdout.strip().splitlines()[-1]), round(peak_kb / 1024)


TARGETS_1M = {"build_s": 600, "build_peak_rss_mb": 3072, "disk_mb": 3072, "p50_ms": 10}


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def verdict(row: dict) -> dict:
    """Each 1M target: measured value, target, met or not."""
    return {key: {"measured": row.get(key), "target": target, "met": row.get(key, 1e18) <= target}
            for key, target in TARGETS_1M.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10000, 100000], help="target chunk counts")
    parser.add_argument("--query-only", action="store_true", help="reuse the built indexes, time queries only")
    args = parser.parse_args()
    query_only, sizes = args.query_only, args.sizes
    cmrc = str(ROOT.parent / "shared" / "benchmarks" / "cmrc2018_dev" / "qa.jsonl")
    out = ROOT / "bench" / "results" / "scale.json"
    rows = {row["target_chunks"]: row for row in (json.loads(out.read_text()) if out.exists() else [])}
    for n in sizes:
        docs = generate(n, ROOT / "bench" / "data" / f"synth-{n}")
        home = ROOT / "bench" / "data" / f"index-{n}"
        row = dict(rows.get(n, {})) if query_only else {}
        if not query_only:
            built, peak = run(BUILD.format(root=str(ROOT), tmp=str(home), docs=str(docs)))
            row.update({"target_chunks": n, **built, "build_peak_rss_mb": peak, "disk_mb": disk_mb(home / "idx"),
                        "postings_mb": disk_mb(home / "idx" / "postings")})
        queried, peak = run(QUERY.format(root=str(ROOT), tmp=str(home), cmrc=cmrc))
        row.update({**queried, "query_peak_rss_mb": peak})
        if n >= 1_000_000:
            row["targets"] = verdict(row)
        rows[n] = row
        print(json.dumps(row), flush=True)
        out.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
