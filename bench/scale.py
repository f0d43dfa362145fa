"""How the lexical index grows: synthetic corpora of 10k, 100k (1M) chunks.

    .venv/bin/python bench/scale.py 10000 100000

For each size, in fresh subprocesses: index build time and peak RSS, disk size,
and BM25 query p50/p95 over 200 questions (seed + CMRC questions)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import generate  # noqa: E402

BUILD = """
import sys, time, json
from pathlib import Path
sys.path.insert(0, {root!r})
from assistant import Config, build_index
cfg = Config(index_root={tmp!r}, embedding_model="")
t = time.perf_counter()
r = build_index([{docs!r}], Path({tmp!r}) / "idx", cfg)
print(json.dumps({{"chunks": r.chunks, "documents": r.documents, "build_s": round(time.perf_counter() - t, 1)}}))
"""

QUERY = """
import sys, time, json
from pathlib import Path
sys.path.insert(0, {root!r})
from assistant import Config, Index
from assistant.evaluation import load_questions
from assistant.evaluation.metrics import percentile
cfg = Config(index_root={tmp!r}, embedding_model="")
t = time.perf_counter()
index = Index.load(Path({tmp!r}) / "idx", cfg)
load_s = time.perf_counter() - t
qs = [q.question for q in load_questions({root!r} + "/eval/seeds_qa.jsonl")]
qs += [q.question for q in load_questions({cmrc!r})][:200 - len(qs)]
index.search("预热")
lat = []
for q in qs:
    t = time.perf_counter(); index.search(q, 5); lat.append((time.perf_counter() - t) * 1000)
print(json.dumps({{"load_s": round(load_s, 2), "queries": len(qs),
                   "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2)}}))
"""


def run(code: str) -> tuple[dict, float]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB, max over children so far
    return json.loads(proc.stdout.strip().splitlines()[-1]), peak


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def main() -> int:
    sizes = [int(x) for x in sys.argv[1:]] or [10000, 100000]
    cmrc = str(ROOT.parent / "shared" / "benchmarks" / "cmrc2018_dev" / "qa.jsonl")
    rows = []
    for n in sizes:
        docs = generate(n, ROOT / "bench" / "data" / f"synth-{n}")
        with tempfile.TemporaryDirectory() as tmp:
            built, peak_build = run(BUILD.format(root=str(ROOT), tmp=tmp, docs=str(docs)))
            queried, _ = run(QUERY.format(root=str(ROOT), tmp=tmp, cmrc=cmrc))
            row = {"target_chunks": n, **built, "peak_rss_mb_max_so_far": round(peak_build),
                   "disk_mb": disk_mb(Path(tmp) / "idx"), **queried}
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = ROOT / "bench" / "results" / "scale.json"
    out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
