#!/usr/bin/env bash
# Ablations behind the retrieval defaults: tokenizer and chunk size, on the seed
# questions and the CMRC 2018 / DRCD dev sets (retrieval metrics only).
# Writes eval/results/sweep.txt; about 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
B=../shared/benchmarks
out=eval/results/sweep.txt
tmp=$(mktemp -d)
: > "$out"
run() {  # set-name questions docs KEY=VALUE
  .venv/bin/assistant eval --questions "$2" --docs "$3" --config retrieval --set "$4" \
      --no-script-check --output "$tmp/r.json" > /dev/null
  .venv/bin/python - "$tmp/r.json" "$1" "$4" >> "$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]["retrieval"]["all"]
print(f"{sys.argv[2]:12} {sys.argv[3]:28} aic@1 {s['aic@1']} aic@5 {s['aic@5']} doc_r@1 {s['doc_r@1']} "
      f"doc_r@5 {s['doc_r@5']} mrr@10 {s['mrr@10']} p50_ms {s['latency_ms']['p50']}")
PY
}
for set in seeds cmrc2018_dev drcd_dev; do
  if [ "$set" = seeds ]; then qa=eval/seeds_qa.jsonl; docs=seeds; else qa=$B/$set/qa.jsonl; docs=$B/$set/docs; fi
  for tok in jieba bigram jieba+bigram jieba+bigram+char; do run "$set" "$qa" "$docs" "tokenizer=$tok"; done
  for cs in 200 300 400 600 800; do run "$set" "$qa" "$docs" "chunk_size=$cs"; done
done
rm -rf "$tmp"
cat "$out"
