"""Time to the first shown answer and to the checked model answer, per model.

For each GGUF, a fixed sample of the seed questions is asked through
`Assistant.stream` (the product's path: the extractive Preview first, then the
model's pieces, then the checked Answer) and three times are taken per
question: the Preview (the extractive answer, shown at once), the model's first
token, and the final checked answer. p50/p95 of each, and the share of model
answers shown, go to bench/results/llm-latency.json.

    .venv/bin/python bench/llm_latency.py --models-dir /path/to/models [--sample 40]

Run it on a quiet machine: prompt processing is CPU-bound and another process
on the same cores doubles every number.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer import Answer, Preview  # noqa: E402
from assistant.assembly import assemble, open_index  # noqa: E402
from assistant.config import Config  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.evaluation.questions import load_questions  # noqa: E402
from assistant.evaluation.runner import sample  # noqa: E402
from assistant.system import physical_cores  # noqa: E402

MODELS = ("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")


def timed(assistant, question: str) -> dict:
    started = time.perf_counter()
    preview = first_token = None
    answer = None
    for piece in assistant.stream(question):
        now = time.perf_counter() - started
        if isinstance(piece, Preview) and preview is None:
            preview = now
        elif isinstance(piece, str) and first_token is None and preview is not None:
            first_token = now
        elif isinstance(piece, Answer):
            answer = piece
    total = time.perf_counter() - started
    return {"preview_s": preview, "first_token_s": first_token, "total_s": total,
            "shown": answer.fallback_reason is None and not answer.abstained, "abstained": answer.abstained}


def throughput(path: Path, threads: int, prompt: str) -> dict:
    """Prompt processing and generation speed (tokens/s) with `threads` threads:
    what a machine with more cores changes (prompt processing is compute-bound
    and scales with cores; generation is bound by memory bandwidth)."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False, seed=0)
    tokens = llm.tokenize(prompt.encode("utf-8"))
    started = time.perf_counter()
    llm.eval(tokens)
    prompt_s = time.perf_counter() - started
    started = time.perf_counter()
    out = llm.create_completion(prompt, max_tokens=64, temperature=0.0)  # the prompt is cached: generation only
    gen_s = time.perf_counter() - started
    llm.close()
    return {"threads": threads, "prompt_tokens": len(tokens), "prompt_tok_s": round(len(tokens) / prompt_s, 1),
            "gen_tok_s": round(out["usage"]["completion_tokens"] / gen_s, 1)}


def stats(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--sample", type=int, default=40, help="seed questions per model (fixed sample)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "llm-latency.json"))
    args = parser.parse_args()
    questions = sample([q for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl")], args.sample, seed=0)
    results = {"threads": physical_cores(), "questions": len(questions), "models": {}}
    for name in MODELS:
        path = Path(args.models_dir) / name
        if not path.exists():
            print(f"skipping {name}: not in {args.models_dir} (assistant models pull ...)")
            continue
        config = Config(models_dir=args.models_dir, llm_model=name, answerer="llama", corpus_dir=str(ROOT / "seeds"))
        index, _ = open_index(config)
        assistant = assemble(index, config)
        assistant.ask("预热")  # load the model and the dictionaries before timing
        rows = [timed(assistant, q.question) for q in questions]
        assistant.close()
        generated = [r for r in rows if r["first_token_s"] is not None]
        results["models"][name] = {
            "preview_s": stats([r["preview_s"] for r in rows]),
            "first_token_s": stats([r["first_token_s"] for r in generated]),
            "total_s": stats([r["total_s"] for r in generated]),
            "shown": round(sum(r["shown"] for r in generated) / max(1, len(generated)), 3),
            "abstained": sum(r["abstained"] for r in rows),
        }
        prompt = "\n".join(h.chunk.quote for h in index.search(questions[0].question, 4))[:1200]
        results["models"][name]["throughput"] = [throughput(path, t, prompt) for t in (1, physical_cores())]
        print(name, json.dumps(results["models"][name], ensure_ascii=False))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
