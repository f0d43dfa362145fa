#!/usr/bin/env bash
# Ablations behind the chosen defaults: tokenizer and chunk size, on the seed
# questions and the CMRC 2018 / DRCD dev sets. Writes eval/results/sweep.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
B=../shared/benchmarks
PY=.venv/bin/python
out=eval/results/sweep.txt
: > "$out"
run() {  # name questions docs overrides...
  local name=$1 qa=$2 docs=$3; shift 3
  local args=()
  for kv in "$@"; do args+=(--set "$kv"); done
  printf '%-10s %-40s ' "$name" "$*" >> "$out"
  $PY eval/retrieval_bench.py --questions "$qa" --docs "$docs" --lexical "${args[@]}" \
    | awk '/^all /{printf "aic@1 %s aic@5 %s doc_r@1 %s doc_r@5 %s mrr@10 %s", $3, $4, $6, $7, $8} /latency/{print "  p50_ms " $5}' | tr -d ',' >> "$out"
}
for set in seeds cmrc2018_dev drcd_dev; do
  if [ "$set" = seeds ]; then qa=eval/seeds_qa.jsonl; docs=seeds; else qa=$B/$set/qa.jsonl; docs=$B/$set/docs; fi
  for tok in jieba bigram jieba+bigram jieba+bigram+char; do run "$set" "$qa" "$docs" "tokenizer=$tok"; done
  for cs in 200 300 600 800; do run "$set" "$qa" "$docs" "chunk_size=$cs"; done
done
cat "$out"
