"""Answer benchmark: accuracy, abstention and latency of `Assistant.ask`.

    .venv/bin/python eval/answer_bench.py --questions eval/seeds_qa.jsonl --docs seeds
    .venv/bin/python eval/answer_bench.py ... --answerer llama --set llm_model=models/qwen2.5-3b-instruct-q4_k_m.gguf

Accuracy counts a question as correct when a gold answer string is in the answer
text and in one of its cited passages (normalised: NFKC, lower case, Simplified).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import Assistant, Config  # noqa: E402
from assistant.evaluation import answer_report, load_questions  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", required=True)
    p.add_argument("--docs", default="seeds")
    p.add_argument("--answerer", default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lexical", action="store_true")
    p.add_argument("--exclude-type", action="append", default=[], help="e.g. english")
    p.add_argument("--limit", type=int)
    p.add_argument("--misses", action="store_true", help="print the questions answered wrongly")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    overrides = dict(kv.split("=", 1) for kv in args.set)
    if args.lexical:
        overrides["embedding_model"] = ""
    config = Config.load(**overrides)
    questions = [q for q in load_questions(args.questions) if q.type not in args.exclude_type][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.from_config(config, corpus=args.docs, index_path=Path(tmp) / "idx", answerer=args.answerer)
        assistant.ask("预热")  # load dictionaries before timing
        report = answer_report(assistant, questions)
        mode = assistant.mode
        assistant.close()
    s = report["summary"]
    if args.json:
        print(json.dumps({"mode": mode, **report}, ensure_ascii=False, indent=2))
        return 0
    print(f"{mode['retriever']}; {mode['answerer']}; {len(questions)} questions")
    for t, row in s["types"].items():
        acc = "-" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        print(f"  {t:14} n={row['n']:<4} accuracy {acc:>6}  abstained {row['abstained']}")
    print(f"accuracy (answerable) {s['accuracy']}; wrongly abstained {s['wrongly_abstained']}/{s['answerable']}")
    print(f"unanswerable abstained {s['abstention_recall']} (precision {s['abstention_precision']})")
    print(f"median answer length {s['median_answer_chars']} chars; latency p50 {s['latency_ms']['p50']} ms, p95 {s['latency_ms']['p95']} ms")
    if args.misses:
        for r in report["results"]:
            if r["answerable"] and not r["correct"]:
                print(f"  MISS {r['id']} {r['type']}: {r['text'][:100]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
