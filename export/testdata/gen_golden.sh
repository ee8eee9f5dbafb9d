#!/bin/sh
# Regenerates the exporters' golden data (run from the repository root):
#
#   LLAMA_LOGITS=/path/to/dump_logits TOKENIZERS_NODE_PATH=/path/to/node_modules \
#       sh export/testdata/gen_golden.sh
#
# 1. `go test -run TestWriteFixtures ./export` writes the four fixture
#    checkpoints (llama, stablelm, gptneox, gpt2 variants; fixed weights)
#    and their GGUF and Hugging Face exports into a temporary folder.
# 2. golden_llamacpp.json: logits llama.cpp computes from each GGUF file.
#    LLAMA_LOGITS is a small program linked against llama.cpp's libllama
#    (built from source, February 2025; not part of this repository):
#    `LLAMA_LOGITS MODEL.gguf ID...` loads the model
#    (llama_model_load_from_file), makes a context with an F32 K/V cache and
#    one thread, decodes all ids in one llama_batch with logits requested at
#    every position, and prints llama_get_logits_ith for each position as
#    one JSON array of arrays.
# 3. golden_torch.json: logits of testdata/hf_reference.py (the transformers
#    modeling formulas in PyTorch, float64; Debian's python3-torch) reading
#    each Hugging Face folder.
# 4. golden_hf_tokenizer.json: what the Hugging Face tokenizers library
#    (npm package "tokenizers", its Node binding) makes of the exported
#    tokenizer.json for a sample text (testdata/hf_tokenizer.js).
set -eu
: "${LLAMA_LOGITS:?set LLAMA_LOGITS to the logits program}"
: "${TOKENIZERS_NODE_PATH:?set TOKENIZERS_NODE_PATH to a node_modules folder holding tokenizers}"
here=export/testdata
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
LLMPARTS_EXPORT_FIXTURES=$dir go test -count=1 -run TestWriteFixtures ./export >/dev/null
ids=$(/usr/bin/python3 -c "import json,sys; print(' '.join(map(str, json.load(open(sys.argv[1])))))" "$dir/ids.json")
for f in llama stablelm gptneox gpt2; do
	"$LLAMA_LOGITS" "$dir/$f.gguf" $ids >"$dir/$f.llamacpp.json" 2>"$dir/$f.llamacpp.log"
	/usr/bin/python3 $here/hf_reference.py "$dir/$f-hf" $ids >"$dir/$f.torch.json"
done
text=$(printf 'func (a) {\n\tb\\\\é→ 0}')
NODE_PATH=$TOKENIZERS_NODE_PATH node $here/hf_tokenizer.js "$dir/llama-hf" "$text" >"$dir/tok.json"
/usr/bin/python3 - "$dir" "$here" "$text" <<'PY'
import hashlib, json, sys
d, here, text = sys.argv[1:]
sha = lambda p: hashlib.sha256(open(d + "/" + p, "rb").read()).hexdigest()
files = {"llamacpp": ["%s.gguf"], "torch": ["%s-hf/model.safetensors", "%s-hf/config.json"]}
ids = json.load(open(d + "/ids.json"))
for kind, src in (("llamacpp", "llama.cpp (libllama, Feb 2025 build), F32 GGUF exports, F32 K/V cache"),
                  ("torch", "export/testdata/hf_reference.py (PyTorch float64) on the Hugging Face exports")):
    out = {"source": src, "ids": ids, "sha256": {}, "logits": {}}
    for f in ("llama", "stablelm", "gptneox", "gpt2"):
        out["logits"][f] = json.load(open("%s/%s.%s.json" % (d, f, kind)))
        for p in files[kind]:
            out["sha256"][p % f] = sha(p % f)
    with open("%s/golden_%s.json" % (here, kind), "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")
tok = json.load(open(d + "/tok.json"))
tok["text"] = text
tok["source"] = "Hugging Face tokenizers (npm tokenizers 0.23.2) reading the exported llama fixture's tokenizer.json"
with open(here + "/golden_hf_tokenizer.json", "w") as fh:
    json.dump(tok, fh, ensure_ascii=False)
    fh.write("\n")
PY
echo "wrote $here/golden_llamacpp.json, golden_torch.json, golden_hf_tokenizer.json"
