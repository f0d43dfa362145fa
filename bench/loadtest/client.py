"""The requests a load test sends: one POST /v1/ask, a sequential pass (the
reference answers), a load pass with bounded concurrency, /v1/health timing."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from .measure import latency_summary, ms, signature
from .server import require_loopback

# Connections beyond the concurrency, so a side request never waits for one.
SPARE_CONNECTIONS = 4
# /v1/health timing: requests timed, after untimed ones that open the connection.
HEALTH_SAMPLES, HEALTH_WARMUP = 30, 3
# Characters of an error body or exception kept in a record.
ERROR_CHARS = 300


def client_for(url: str, concurrency: int, timeout: float) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency + SPARE_CONNECTIONS,
                          max_keepalive_connections=concurrency + SPARE_CONNECTIONS)
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
            rec["error"] = body[:ERROR_CHARS].decode("utf-8", "replace")
    except Exception as exc:  # timeouts, resets: a failure, recorded
        rec["status"] = None
        rec["error"] = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
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


async def health_latency(url: str, n: int = HEALTH_SAMPLES) -> dict:
    """GET /v1/health n times on one keep-alive connection: the transport's
    own per-request cost, without answering (a fixed ~40 ms here is Nagle's
    algorithm meeting the client's delayed ACK)."""
    times = []
    async with client_for(url, 1, 10) as client:
        for i in range(n + HEALTH_WARMUP):
            t = time.perf_counter()
            r = await client.get("/v1/health")
            if i >= HEALTH_WARMUP and r.status_code == 200:
                times.append(ms(time.perf_counter() - t))
    return latency_summary(times)
