"""Side by side with the common LangChain tutorial pipeline, in one run, on the
same corpus and questions: RecursiveCharacterTextSplitter + langchain-community
BM25Retriever (rank_bm25) with jieba, vs this project's index.

    .venv/bin/python bench/peer.py --docs seeds --questions eval/seeds_qa.jsonl
    .venv/bin/python bench/peer.py --docs bench/data/synth-100000 --questions ... --queries 30

Reports build time, answer-in-context@5 (gold string in the top 5 passages),
gold-document recall@5 and query latency for both, and the ratios."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Config, Index, build_index  # noqa: E402
from assistant.evaluation import contains_answer, load_questions  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402


def langchain_pipeline(docs: Path):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import jieba
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    jieba.setLogLevel(logging.WARNING)
    documents = [
        Document(page_content=p.read_text(encoding="utf-8", errors="replace"), metadata={"doc_id": p.stem})
        for p in sorted(docs.iterdir()) if p.suffix in {".txt", ".md"}
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=50).split_documents(documents)
    retriever = BM25Retriever.from_documents(splits, preprocess_func=jieba.lcut, k=5)
    return retriever, len(splits)


def measure(search, questions, limit: int | None) -> dict:
    answerable = [q for q in questions if q.answerable][:limit]
    aic, recall, latency = [], [], []
    for q in answerable:
        t = time.perf_counter()
        hits = search(q.question)  # [(doc_id, text)]
        latency.append((time.perf_counter() - t) * 1000)
        aic.append(contains_answer("\n".join(text for _, text in hits), q))
        if q.doc_ids:
            recall.append(any(d in q.doc_ids for d, _ in hits))
    return {
        "questions": len(answerable),
        "aic@5": round(statistics.fmean(aic), 4),
        "doc_recall@5": round(statistics.fmean(recall), 4) if recall else None,
        "latency_ms": {"p50": round(percentile(latency, 50), 2), "p95": round(percentile(latency, 95), 2)},
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", required=True)
    p.add_argument("--questions", required=True)
    p.add_argument("--queries", type=int, help="at most this many questions (the peer is slow at scale)")
    p.add_argument("--json", help="write the results here too")
    args = p.parse_args()
    docs = Path(args.docs)
    questions = load_questions(args.questions)
    out = {"docs": str(docs)}

    t = time.perf_counter()
    retriever, n_lc = langchain_pipeline(docs)
    out["langchain"] = {"chunks": n_lc, "build_s": round(time.perf_counter() - t, 1)}
    retriever.invoke("预热")
    out["langchain"].update(measure(
        lambda q: [(d.metadata["doc_id"], d.page_content) for d in retriever.invoke(q)], questions, args.queries
    ))

    with tempfile.TemporaryDirectory() as tmp:
        config = Config(index_root=tmp, embedder="none")
        t = time.perf_counter()
        report = build_index([docs], Path(tmp) / "idx", config)
        out["assistant"] = {"chunks": report.chunks, "build_s": round(time.perf_counter() - t, 1)}
        index = Index.load(Path(tmp) / "idx", config)
        index.search("预热")
        out["assistant"].update(measure(
            lambda q: [(h.chunk.doc_id, h.chunk.quote) for h in index.search(q, 5)], questions, args.queries
        ))
    lc, ours = out["langchain"], out["assistant"]
    out["ratios"] = {
        "build_speedup": round(lc["build_s"] / max(ours["build_s"], 1e-6), 2),
        "speedup_p50": round(lc["latency_ms"]["p50"] / max(ours["latency_ms"]["p50"], 1e-6), 1),
        "aic@5_ours_minus_peer": round(ours["aic@5"] - lc["aic@5"], 4),
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
