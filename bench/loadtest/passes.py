"""One mode's passes: the index built once, then per worker count a server
asked every question sequentially (the reference) and at each concurrency;
last, the same questions through the Python API in this process."""

from __future__ import annotations

import time
from pathlib import Path

from assistant import Config, open_assistant

from . import log
from .client import health_latency, load, sequential
from .corpus import MODES, ROOT, build, fresh_corpus
from .measure import latency_summary, loadavg, ms, signature, summarize
from .server import Server

# The least time a server is given to become ready, even when the mode's time
# limit is nearly spent: readiness takes 1.4-2.5 s (bench/results/serve_load.json).
MIN_READY_TIMEOUT_S = 60.0
# Requests per load pass without --requests: every question three times.
REQUESTS_PER_QUESTION = 3


async def run_mode(mode: str, args, questions: list[str], order: list[str], tmp: Path, results: dict) -> None:
    base = tmp / mode
    corpus, index_root, index_path = fresh_corpus(base)
    mode_deadline = time.perf_counter() + args.time_limit
    log(f"{mode}: building the index")
    build_s = build(mode, corpus, index_root, index_path, base, timeout=args.time_limit)
    results["index_build_s"][mode] = round(build_s, 2)
    log(f"{mode}: index built in {build_s:.1f} s")
    first_reference = None
    for w_pos, workers in enumerate(args.workers):
        with Server(mode, workers, corpus, index_root, index_path, base) as server:
            ready_s = await server.wait_ready(timeout=max(MIN_READY_TIMEOUT_S, mode_deadline - time.perf_counter()))
            log(f"{mode} x{workers}: ready in {ready_s:.1f} s on {server.url}")
            reference = await reference_pass(server, ready_s, questions, args.timeout, mode_deadline,
                                             first_reference, results)
            if first_reference is None:
                first_reference = reference
            passes_left = (len(args.workers) - w_pos) * len(args.concurrency)
            await concurrency_passes(server, reference, args, questions, order, mode_deadline, passes_left, results)
            if server.proc.poll() is not None:
                results["notes"].append(f"{mode} x{workers}: server exited early: {server.log_tail()}")
    log(f"{mode}: in-process pass")
    results["in_process"].append(in_process(mode, corpus, index_root, index_path, questions, first_reference))


async def reference_pass(server: Server, ready_s: float, questions: list[str], timeout: float, deadline: float,
                         first_reference: dict | None, results: dict) -> dict:
    """/v1/health timing, then every question once, sequentially: the reference
    answers for this server (compared with the first server's)."""
    mode, workers = server.mode, server.workers
    health_ms = await health_latency(server.url)
    la = loadavg()
    reference, seq = await sequential(server.url, questions, timeout, deadline)
    seq_summary = summarize(seq, sum(r["latency_ms"] for r in seq) / 1000, reference)
    differs = None
    if first_reference is not None:
        differs = sum(1 for q, s in reference.items() if q in first_reference and first_reference[q] != s)
    results["sequential"].append({"mode": mode, "workers": workers, "ready_s": round(ready_s, 2),
                                  "loadavg_before": la, "reference_differs_from_first_server": differs,
                                  "health_keepalive_ms": health_ms,
                                  **seq_summary})
    log(f"{mode} x{workers}: sequential {len(seq)} questions, p50 {seq_summary['latency_ms']['p50']} ms, "
        f"failures {seq_summary['failures']}")
    return reference


async def concurrency_passes(server: Server, reference: dict, args, questions: list[str], order: list[str],
                             mode_deadline: float, passes_left: int, results: dict) -> None:
    """One load pass per concurrency level. Each gets an equal share of the
    mode's remaining time among the `passes_left` passes (this server's and the
    next servers'), so a slow pass cannot starve the rest."""
    mode, workers = server.mode, server.workers
    for c_pos, concurrency in enumerate(args.concurrency):
        remaining = passes_left - c_pos
        pass_deadline = time.perf_counter() + max(0.0, mode_deadline - time.perf_counter()) / remaining
        n = args.requests or REQUESTS_PER_QUESTION * len(questions)
        la = loadavg()
        records, wall = await load(server.url, lambda i: order[i % len(order)], n, concurrency,
                                   args.timeout, pass_deadline)
        row = {"mode": mode, "workers": workers, "concurrency": concurrency, "planned": n,
               "truncated": len(records) < n, "loadavg_before": la, "loadavg_after": loadavg(),
               **summarize(records, wall, reference)}
        results["runs"].append(row)
        log(f"{mode} x{workers} c{concurrency}: {row['requests']}/{n} requests, {row['req_per_s']} req/s, "
            f"p50 {row['latency_ms']['p50']} ms, failures {row['failures']}, mismatches {row['mismatches']}")


def in_process(mode: str, corpus: Path, index_root: Path, index_path: Path, questions: list[str],
               reference: dict | None) -> dict:
    """The same questions through the Python API in this process: one untimed
    warm-up pass, one timed pass."""
    config = Config(corpus_dir=str(corpus), index_root=str(index_root), models_dir=str(ROOT / "models"),
                    embedder=MODES[mode])
    t = time.perf_counter()
    assistant = open_assistant(config, corpus=corpus, index_path=index_path, answerer="extractive")
    open_s = time.perf_counter() - t
    for q in questions:  # warm-up, untimed (the HTTP load passes follow a sequential pass too)
        assistant.ask(q)
    latencies, mismatches = [], 0
    for q in questions:
        t = time.perf_counter()
        answer = assistant.ask(q)
        latencies.append(ms(time.perf_counter() - t))
        if reference and q in reference and signature(answer.to_dict()) != reference[q]:
            mismatches += 1
    del assistant
    return {"mode": mode, "questions": len(questions), "open_s": round(open_s, 3),
            "latency_ms": latency_summary(latencies), "mismatches_vs_http_reference": mismatches,
            "loadavg": loadavg()}
