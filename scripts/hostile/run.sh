#!/bin/bash
# Runs the hostile inputs of docs/RELIABILITY.md against a fresh build and
# prints the table rows: each command runs with a 4 GB address-space cap
# (ulimit -v) and a 120 s timeout, under /usr/bin/time for the peak RSS.
#
#   bash scripts/hostile/run.sh > /tmp/rows.md
set -e
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export B=$work/llmparts
(cd "$repo" && CGO_ENABLED=0 go build -o "$B" ./cmd/llmparts)
cd "$work"
cp "$repo/scripts/hostile/mk.py" "$repo/scripts/hostile/cases.txt" .
python3 mk.py
python3 -c "
import random
random.seed(1)
w='the quick brown fox jumps over lazy dog and cat'.split()
open('data.txt','w').write(' '.join(random.choice(w) for _ in range(6000)))"
$B synth -o big_ctx.gguf --dim 64 --hidden 64 --layers 1 --heads 1 --kv-heads 1 --vocab 300 --ctx 16777216 >/dev/null 2>&1
$B synth -o small.gguf --dim 64 --hidden 64 --layers 1 --heads 4 --vocab 300 --ctx 256 >/dev/null 2>&1
python3 - <<'PY'
import struct
b=bytearray(open('small.gguf','rb').read())
def patch(key, val, out):
    c=bytearray(b); k=key.encode()
    i=c.find(struct.pack('<Q',len(k))+k); j=i+8+len(k)
    assert i>=0 and struct.unpack('<I',c[j:j+4])[0]==6
    c[j+4:j+8]=struct.pack('<f',val); open(out,'wb').write(c)
patch('llama.attention.layer_norm_rms_epsilon', float('nan'), 'eps_nan.gguf')
patch('llama.attention.layer_norm_rms_epsilon', 0.0, 'eps_zero.gguf')
patch('llama.rope.freq_base', -1.0, 'theta_neg.gguf')
PY
mkdir ck && cp "$repo"/defaultmodel/model/* ck/
for d in ck_fifo ck_cfgzero ck_tokzero ck_curzero ck_bigcfg ck_plain; do cp -r ck $d; done
rm ck_fifo/model.safetensors && mkfifo ck_fifo/model.safetensors
rm ck_cfgzero/config.json && ln -s /dev/zero ck_cfgzero/config.json
rm ck_tokzero/tokenizer.json && ln -s /dev/zero ck_tokzero/tokenizer.json
ln -s /dev/zero ck_curzero/current
head -c 104857600 /dev/zero > ck_bigcfg/config.json
for r in run1 run2 run3 run4; do
  $B train --data data.txt --out $r --dim 16 --layers 1 --heads 2 --ctx 8 --steps 4 --until 2 --warmup 1 --save-every 2 --eval-iters 1 >/dev/null 2>&1
done
rm run2/step-000002/state.json
rm run3/step-000002/SHA256SUMS
python3 -c "
import json;p='run3/step-000002/state.json';s=json.load(open(p));s['step']=-5;json.dump(s,open(p,'w'))"
python3 -c "
p='run4/step-000002/model.safetensors';b=bytearray(open(p,'rb').read());b[-7]^=0x20;open(p,'wb').write(b)"
set +e
while IFS='|' read -r name cmd; do
  [ -z "$name" ] && continue
  out=$( { ( ulimit -v 4194304; /usr/bin/time -f "TIME %e %M" timeout 120 bash -c "$cmd" ) > stdout.txt 2> stderr.txt; echo "rc=$?"; } 2>&1 )
  rc=$(echo "$out" | grep -o 'rc=[0-9]*' | tail -1 | cut -d= -f2)
  read -r _ secs kb < <(grep '^TIME' stderr.txt | tail -1)
  msg=$(grep -v '^TIME\|Command exited\|^loading\|^sampling\|^loaded\|^tokenizer:\|^$' stderr.txt | tail -1 | cut -c1-330)
  if grep -q '"error"' stdout.txt; then msg="$msg; stdout: $(head -c 200 stdout.txt | tr '\n' ' ')"; fi
  [ -z "$msg" ] && msg="(stdout: $(head -c 120 stdout.txt | tr '\n' ' '))"
  echo "| $name | \`${cmd//|/\\|}\` | $rc | $secs s, $((kb / 1024)) MB | ${msg//|/\\|} |"
done < cases.txt
