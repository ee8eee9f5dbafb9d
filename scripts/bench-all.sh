#!/usr/bin/env bash
# Runs every benchmark behind docs/BENCHMARKS.md, one at a time (never two
# benchmarks at once on a 2-core machine), and keeps the JSON lines in OUT.
# Usage: scripts/bench-all.sh [OUT_DIR]   (default /tmp/llmparts-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/llmparts-bench}
mkdir -p "$out"
shared=../shared/testdata
go build -o "$out/llmparts" ./cmd/llmparts
bin="$out/llmparts"
echo "== machine" | tee "$out/machine.txt"
{ date -u; uptime; lscpu | grep -E 'Model name|^CPU\(s\)|L2|L3'; go version; } | tee -a "$out/machine.txt"

echo "== bench kernels"
"$bin" bench kernels --json --plot "$out/kernels.png" | tee "$out/kernels.jsonl"

if [ -f "$shared/llama2c/stories260K.bin" ]; then
  echo "== bench generate: stories260K"
  "$bin" bench generate -m "$shared/llama2c/stories260K.bin" --prompt-tokens 128 --tokens 256 --threads 2 --json | tail -1 | tee "$out/gen-stories260K.json"
fi
for t in f32 q8_0 q4_0; do
  f="$out/m134-$t.gguf"
  [ -f "$f" ] || "$bin" synth -o "$f" --dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000 --ctx 1024 --type $t --seed 1
  echo "== bench generate: 134M $t"
  "$bin" bench generate -m "$f" --prompt-tokens 128 --tokens 64 --threads 2 --json | tail -1 | tee "$out/gen-m134-$t.json"
done

for v in gpt-2 llama-spm; do
  if [ -f "$shared/vocab/ggml-vocab-$v.gguf" ]; then
    echo "== bench tokenize: $v"
    "$bin" bench tokenize -m "$shared/vocab/ggml-vocab-$v.gguf" --file "$shared/corpus/tinyshakespeare.txt" --json | tail -1 | tee "$out/tok-$v.json"
  fi
done

if [ -f "$shared/corpus/tinyshakespeare.txt" ]; then
  for n in rmsnorm layernorm; do
    echo "== train throughput: $n (nanoGPT shape, 60 steps)"
    "$bin" train --data "$shared/corpus/tinyshakespeare.txt" --out "$out/train-$n" --norm $n \
      --dim 128 --layers 4 --heads 4 --ctx 64 --batch 12 --steps 60 --eval-every 0 --save-every 0 --json 2>/dev/null | tail -1 | tee "$out/train-$n.json"
  done
fi
