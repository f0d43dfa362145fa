"""Retrieval benchmark: answer-in-context@k and gold-document recall on a question set.

    .venv/bin/python eval/retrieval_bench.py --questions eval/seeds_qa.jsonl --docs seeds
    .venv/bin/python eval/retrieval_bench.py --questions ../shared/benchmarks/cmrc2018_dev/qa.jsonl \
        --docs ../shared/benchmarks/cmrc2018_dev/docs --set tokenizer=jieba
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import Config, Index, build_index  # noqa: E402
from assistant.evaluation import load_questions, retrieval_report  # noqa: E402
from assistant.models import load_embedder  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", required=True)
    p.add_argument("--docs", required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    p.add_argument("--lexical", action="store_true", help="ignore any local embedding model")
    p.add_argument("--limit", type=int)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    overrides = dict(kv.split("=", 1) for kv in args.set)
    if args.lexical:
        overrides["embedding_model"] = ""
    config = Config.load(**overrides)
    embedder, notice = load_embedder(config)
    if notice:
        print(f"notice: {notice}", file=sys.stderr)
    questions = load_questions(args.questions)[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = build_index([args.docs], Path(tmp) / "idx", config, embedder)
        build_s = time.perf_counter() - started
        index = Index.load(Path(tmp) / "idx", config, embedder=embedder)
        index.search("预热")  # load jieba's dictionary before timing
        result = retrieval_report(index, questions)
    result["index"] = {"documents": report.documents, "chunks": report.chunks, "build_s": round(build_s, 2),
                       "mode": index.mode, "settings": {k: config.to_dict()[k] for k in overrides}}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"{report.documents} docs, {report.chunks} chunks, built in {build_s:.1f}s, {index.mode}; "
          f"overrides {overrides or '-'}")
    cols = ["n", "aic@1", "aic@5", "aic@10", "doc_r@1", "doc_r@5", "mrr@10"]
    print(f"{'type':14}" + "".join(f"{c:>9}" for c in cols))
    for t, row in result["types"].items():
        print(f"{t:14}" + "".join(f"{row[c]:>9}" for c in cols))
    print(f"search latency ms: p50 {result['latency_ms']['p50']}, p95 {result['latency_ms']['p95']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
