"""BM25 parity of the Milvus engine with the local one, and the analysis choice.

CMRC 2018 dev and DRCD dev (read in place) are indexed lexically (embedder
"none") and published to a Milvus Lite file; each question's BM25 ranking
(top 10 chunks) is scored by the gold document: R@1 and MRR@10 (distinct
documents, assistant.evaluation.metrics.first_gold_rank), for

    local          the local engine
    milvus         the Milvus engine: our tokenizer's terms, encoded (milvus_client.encode_term)
    milvus-raw     our terms as they are, Lite's standard analyzer (drops § ¤, splits 38.95)
    milvus-jieba   Milvus's jieba analyzer over the chunk text, the raw question as query

plus the warm p50 of one lexical search, local vs milvus.

    .venv/bin/python bench/milvus_parity.py [--limit N] [--json bench/results/milvus_parity.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Config  # noqa: E402
from assistant.evaluation.metrics import first_gold_rank  # noqa: E402
from assistant.evaluation.questions import load_questions  # noqa: E402
from assistant.index import Index, build_index, milvus_client  # noqa: E402
from assistant.index import milvus_publish  # noqa: E402

BENCH = ROOT.parent / "shared" / "benchmarks"
SETS = {name: (BENCH / name / "qa.jsonl", BENCH / name / "docs") for name in ("cmrc2018_dev", "drcd_dev")}
TOP = 10


def _alternative(index: Index, cli, name: str, analyzer: dict, terms) -> str:
    """A chunk collection analysed differently, for comparison only."""
    pm = milvus_client.pymilvus()
    schema = cli.create_schema(auto_id=False)
    schema.add_field("id", pm.DataType.INT64, is_primary=True)
    schema.add_field("terms", pm.DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer)
    schema.add_field("sparse", pm.DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(pm.Function(name="bm25", function_type=pm.FunctionType.BM25,
                                    input_field_names=["terms"], output_field_names=["sparse"]))
    params = cli.prepare_index_params()
    bm25 = {"bm25_k1": index.config.bm25_k1, "bm25_b": index.config.bm25_b}
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={**bm25, "params": bm25})
    if cli.has_collection(name):
        cli.drop_collection(name)
    cli.create_collection(name, schema=schema, index_params=params)
    cli.load_collection(name)
    rows = [{"id": i, "terms": terms(c)} for i, c in enumerate(index.chunks)]
    for lo in range(0, len(rows), 500):
        cli.insert(name, rows[lo : lo + 500])
    cli.flush(name)
    return name


def _score(rankings: list[list[str]], questions) -> dict:
    ranks = [first_gold_rank(docs, q.doc_ids) for docs, q in zip(rankings, questions)]
    n = len(ranks)
    return {"r1": round(sum(r == 1 for r in ranks) / n, 4),
            "mrr10": round(sum(1 / r for r in ranks if r and r <= TOP) / n, 4), "n": n}


def run(name: str, root: Path, limit: int | None) -> dict:
    qfile, docs = SETS[name]
    questions = [q for q in load_questions(qfile) if q.doc_ids][:limit]
    local_cfg = Config(index_root=str(root), embedder="none", index_workers=1)
    milvus_cfg = local_cfg.replace(index_backend="milvus", milvus_uri=str(root / "milvus.db"))
    started = time.perf_counter()
    build_index([str(docs)], root / name, milvus_cfg)
    build_s = time.perf_counter() - started
    local, remote = Index.load(root / name, local_cfg), Index.load(root / name, milvus_cfg)
    tokens = [local.query_tokens(q.question) for q in questions]
    out = {"build_and_publish_s": round(build_s, 1), "chunks": len(local.chunks)}
    timings = {}
    for label, index in (("local", local), ("milvus", remote)):
        rankings, times = [], []
        for t in tokens:
            began = time.perf_counter()
            ids, _ = index.engine.lexical_top(t, TOP)
            times.append(time.perf_counter() - began)
            rankings.append([index.chunks[int(i)].doc_id for i in ids])
        out[label] = _score(rankings, questions)
        timings[label] = round(statistics.median(times[len(times) // 10 :]) * 1000, 2)  # warm: first tenth dropped
    out["search_p50_ms"] = timings
    cli = milvus_client.client(milvus_cfg)
    tokenize = local.query_tokens
    variants = {
        "milvus-raw": ({"tokenizer": "standard"}, lambda c: " ".join(_terms(local, c)), lambda q: " ".join(tokenize(q))),
        "milvus-jieba": ({"tokenizer": "jieba"}, lambda c: c.index_text(), lambda q: q),
    }
    for label, (analyzer, text, query) in variants.items():
        collection = _alternative(local, cli, f"parity_{label.replace('-', '_')}_{name}", analyzer, text)
        rankings = []
        for q in questions:
            hits = cli.search(collection, data=[query(q.question)], anns_field="sparse", limit=TOP,
                              search_params={"metric_type": "BM25"})[0]
            rankings.append([local.chunks[int(h["id"])].doc_id for h in hits])
        out[label] = _score(rankings, questions)
        cli.drop_collection(collection)
    del remote
    milvus_client.release(milvus_cfg, force=True)
    return out


def _terms(index: Index, chunk) -> list[str]:
    from assistant.tokenize import get_tokenizer

    return get_tokenizer(index.config.tokenizer)(chunk.index_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="milvus-parity-") as tmp:
        for name in SETS:
            results[name] = run(name, Path(tmp), args.limit)
            print(name, json.dumps(results[name], ensure_ascii=False), flush=True)
    results["meta"] = {"milvus_format": milvus_publish.MILVUS_FORMAT, "top": TOP}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
