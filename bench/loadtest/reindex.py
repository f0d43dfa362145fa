"""Re-index under load: a 2-worker lexical server on a fresh copy of the seeds
is asked seed questions and, every 4th request, the question of a new document;
a third of the way through, the document is uploaded (POST /v1/documents).
Every answer to the new question must be a refusal (before the swap) or the new
figure citing the new document (after); seed answers must equal the reference
taken before the upload or the one taken after it; no request that starts
after the upload has returned may get the old index. /v1/health is polled
throughout and the generations it reports are recorded in order."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from .client import ask, client_for, load, sequential
from .corpus import build, fresh_corpus
from .measure import EXAMPLES, failure_examples, latency_summary
from .server import Server

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

# The pass's shape (the design in serve_load.py's docstring): two workers, so
# the swap must reach both; four requests in flight; every 4th one the new
# question; the upload once 1/UPLOAD_AT of the planned requests are done, and
# the pass runs on until 1/UPLOAD_AT as many have been issued after it returned.
WORKERS, CONCURRENCY = 2, 4
NEW_QUESTION_EVERY = 4
UPLOAD_AT = 3
# Times the new question is asked alone, before and after the pass.
NEW_QUESTION_PROBES = 3
# Bounds, wide of what the pass takes (bench/results/serve_load.json: ready in
# ~2 s, the upload 0.25 s): server ready, upload request (at least), the
# post-upload reference pass beyond the time limit, the /v1/health poll interval.
READY_TIMEOUT_S = 120
UPLOAD_TIMEOUT_S = 120
AFTER_PASS_GRACE_S = 60
HEALTH_POLL_S = 0.05


async def reindex_under_load(args, questions: list[str], order: list[str], tmp: Path) -> dict:
    base = tmp / "reindex"
    corpus, index_root, index_path = fresh_corpus(base)
    deadline = time.perf_counter() + args.time_limit
    build("lexical", corpus, index_root, index_path, base, timeout=args.time_limit)
    out: dict = {"mode": "lexical", "workers": WORKERS, "concurrency": CONCURRENCY, "new_document": NEW_DOC_NAME,
                 "new_question": NEW_QUESTION, "new_figure": NEW_FIGURE}
    with Server("lexical", WORKERS, corpus, index_root, index_path, base) as server:
        await server.wait_ready(timeout=READY_TIMEOUT_S)
        pre, _ = await sequential(server.url, questions, args.timeout, deadline)
        before = await ask_new_question(server.url, args.timeout)
        out["new_question_before"] = [{"abstained": r.get("abstained"), "status": r["status"]} for r in before]
        run = UploadUnderLoad(server.url, order, args.reindex_requests, args.timeout)
        records, wall = await run.run(deadline)
        post, _ = await sequential(server.url, questions, args.timeout, deadline + AFTER_PASS_GRACE_S)
        after = await ask_new_question(server.url, args.timeout)
        out["new_question_after"] = [{"abstained": r.get("abstained"), "status": r["status"],
                                      "has_figure": NEW_FIGURE in (r.get("sig") or ("",))[0]} for r in after]
    out.update(consistency(records, wall, run, pre, post))
    out["ok"] = passed(out)
    return out


async def ask_new_question(url: str, timeout: float) -> list[dict]:
    async with client_for(url, 1, timeout) as client:
        return [await ask(client, NEW_QUESTION, time.perf_counter()) for _ in range(NEW_QUESTION_PROBES)]


class UploadUnderLoad:
    """The load, the upload it triggers and the /v1/health poller, with the
    state they share. Times are seconds since the pass began (`t_origin`)."""

    def __init__(self, url: str, order: list[str], n: int, timeout: float):
        self.url, self.order, self.n, self.timeout = url, order, n, timeout
        self.trigger = asyncio.Event()
        self.done = self.issued_after = 0
        self.upload_start: float | None = None
        self.upload_end: float | None = None
        self.upload: dict | None = None  # status and body of POST /v1/documents
        self.health: list[dict] = []
        self.t_origin = time.perf_counter()

    async def run(self, deadline: float) -> tuple[list[dict], float]:
        stop = asyncio.Event()
        poller = asyncio.create_task(self.poll_health(stop))
        uploader = asyncio.create_task(self.upload_document())
        records, wall = await load(self.url, self.job, self.n, CONCURRENCY, self.timeout, deadline,
                                   should_stop=self.should_stop, on_done=self.on_done, t_origin=self.t_origin)
        if not self.trigger.is_set():
            self.trigger.set()
        await uploader
        stop.set()
        await poller
        return records, wall

    def job(self, i: int) -> str:
        """Request i's question: the new one every NEW_QUESTION_EVERY-th, else the next seed question."""
        if i % NEW_QUESTION_EVERY == NEW_QUESTION_EVERY - 1:
            return NEW_QUESTION
        return self.order[(i - i // NEW_QUESTION_EVERY) % len(self.order)]

    def on_done(self, rec: dict) -> None:
        self.done += 1
        if self.done >= self.n // UPLOAD_AT:
            self.trigger.set()

    def should_stop(self, i: int) -> bool:
        if self.upload_end is not None and time.perf_counter() - self.t_origin > self.upload_end:
            self.issued_after += 1
        return i >= self.n and self.upload_end is not None and self.issued_after >= self.n // UPLOAD_AT

    async def upload_document(self) -> None:
        await self.trigger.wait()
        async with client_for(self.url, 1, max(self.timeout, UPLOAD_TIMEOUT_S)) as client:
            self.upload_start = time.perf_counter() - self.t_origin
            try:
                r = await client.post("/v1/documents", files={"files": (NEW_DOC_NAME, NEW_DOC.encode(), "text/markdown")})
                self.upload = {"status": r.status_code, "body": r.json() if r.status_code == 200 else r.text[:500]}
            except Exception as exc:
                self.upload = {"status": None, "body": f"{type(exc).__name__}: {exc}"}
            self.upload_end = time.perf_counter() - self.t_origin

    async def poll_health(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=10) as client:
            while not stop.is_set():
                start = time.perf_counter() - self.t_origin
                try:
                    r = await client.get("/v1/health", headers={"Connection": "close"})
                    gen = r.json().get("generation") if r.status_code == 200 else None
                    self.health.append({"start": start, "status": r.status_code, "generation": gen})
                except Exception as exc:
                    self.health.append({"start": start, "status": None, "generation": None, "error": repr(exc)[:200]})
                await asyncio.sleep(HEALTH_POLL_S)


def new_answer_kind(r: dict) -> str:
    """An answer to the new question: a refusal, the new figure from the new document, or other (wrong)."""
    if r["abstained"] and not r["doc_ids"]:
        return "refusal"
    if NEW_FIGURE in r["sig"][0] and NEW_DOC_ID in r["doc_ids"]:
        return "new_figure"
    return "other"


def health_sequence(health: list[dict]) -> tuple[list[list], list[str]]:
    """The generations /v1/health reported, as [label, polls in a row] runs in
    time order, and the distinct generations in order of first sight."""
    runs: list[list] = []
    for h in sorted(health, key=lambda h: h["start"]):
        label = h["generation"] if h["status"] == 200 else f"status {h['status']}"
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return runs, list(dict.fromkeys(h["generation"] for h in health if h["generation"]))


def consistency(records: list[dict], wall: float, run: UploadUnderLoad, pre: dict, post: dict) -> dict:
    """The pass's counts: when requests ran against the upload, failures, seed
    answers matching neither reference, new-question answers by kind."""
    up_start, up_end = run.upload_start, run.upload_end
    failures = [r for r in records if r["status"] != 200]
    seed = [r for r in records if r["status"] == 200 and r["question"] != NEW_QUESTION]
    new = [r for r in records if r["status"] == 200 and r["question"] == NEW_QUESTION]
    changed = sorted(q for q in pre if q in post and pre[q] != post[q])
    seed_mismatch = [r for r in seed if r["sig"] not in (pre.get(r["question"]), post.get(r["question"]))]
    # A request started after the upload returned must see the new index.
    seed_stale = [r for r in seed if r["question"] in changed and r["start"] > up_end and r["sig"] == pre[r["question"]]]
    kinds = [new_answer_kind(r) for r in new]
    new_stale = [r for r, k in zip(new, kinds) if k == "refusal" and r["start"] > up_end]
    new_early = [r for r, k in zip(new, kinds) if k == "new_figure" and r["end"] < up_start]
    runs, distinct = health_sequence(run.health)
    return {
        "requests": len(records), "wall_s": round(wall, 3), "req_per_s": round(len(records) / wall, 2) if wall else 0.0,
        "latency_ms": latency_summary([r["latency_ms"] for r in records]),
        "upload": run.upload, "upload_window_s": [round(up_start, 3), round(up_end, 3)] if up_end else None,
        "upload_s": round(up_end - up_start, 3) if up_end else None,
        "requests_before_upload": sum(r["end"] < up_start for r in records),
        "requests_during_upload": sum(r["end"] >= up_start and r["start"] <= up_end for r in records),
        "requests_after_upload": sum(r["start"] > up_end for r in records),
        "failures": len(failures), "failure_examples": failure_examples(failures),
        "seed_requests": len(seed), "seed_mismatches": len(seed_mismatch),
        "seed_mismatch_examples": [{"question": r["question"], "got": list(r["sig"])} for r in seed_mismatch[:EXAMPLES]],
        "seed_questions_changed_by_new_doc": [{"question": q, "before": list(pre[q]), "after": list(post[q])} for q in changed],
        "seed_stale_after_upload": len(seed_stale),
        "new_question_requests": len(new), "new_question_refusals": kinds.count("refusal"),
        "new_question_new_figure": kinds.count("new_figure"), "new_question_other": kinds.count("other"),
        "new_question_other_examples": [list(r["sig"]) for r, k in zip(new, kinds) if k == "other"][:EXAMPLES],
        "new_question_refused_after_upload_returned": len(new_stale),
        "new_question_figure_before_upload_started": len(new_early),
        "health_polls": len(run.health), "health_generations": distinct, "health_sequence": runs,
    }


def passed(out: dict) -> bool:
    return (out["failures"] == 0 and out["seed_mismatches"] == 0 and out["seed_stale_after_upload"] == 0
            and out["new_question_other"] == 0 and out["new_question_refused_after_upload_returned"] == 0
            and out["new_question_figure_before_upload_started"] == 0
            and (out["upload"] or {}).get("status") == 200
            and all(x["abstained"] for x in out["new_question_before"])
            and all(x["has_figure"] for x in out["new_question_after"]))
