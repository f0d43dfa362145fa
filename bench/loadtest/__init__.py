"""The parts of bench/serve_load.py, one job per module:

    corpus   the seed corpus copied to a temporary folder and indexed
    server   `assistant serve` in its own process group, readiness
    client   the requests: one ask, a sequential pass, a load pass, /v1/health
    measure  latency summaries and a pass's failures and mismatches
    passes   one mode's passes (sequential, each concurrency, in-process)
    reindex  the re-index-under-load pass and its verdict
    report   the Markdown summary"""

from __future__ import annotations

import sys
import time


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
