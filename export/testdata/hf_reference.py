#!/usr/bin/python3
"""Logits of an exported Hugging Face folder, computed from the transformers
modeling formulas written out here in PyTorch (float64), without
transformers itself.

    /usr/bin/python3 hf_reference.py FOLDER ID...   # prints [[logit...], ...] per position

It reads config.json and model.safetensors (parsed by hand: an 8-byte
header length, a JSON header, raw little-endian data) and follows, per
model_type:

  llama     LlamaRMSNorm, rotate_half RoPE, repeat_kv (GQA), SwiGLU MLP
  stablelm  nn.LayerNorm, partial rotary (partial_rotary_factor), SwiGLU,
            sequential residual (use_parallel_residual false)
  gpt_neox  fused query_key_value viewed as [heads][3·head_size], rotary on
            the first rotary_pct·head_size dims, sequential residual
  gpt2      Conv1D (y = x·W + b, W stored [in][out]), c_attn split q|k|v,
            learned positions wpe, gelu_new
"""
import json
import math
import struct
import sys

import torch

DT = torch.float64


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + a : base + b]), dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"]).to(DT)
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rotary(x, theta, ndims):
    """x: [heads][T][head_dim]; rotate the first ndims dims (half-split pairs)."""
    T = x.shape[1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, ndims, 2, dtype=DT) / ndims))
    freqs = torch.outer(torch.arange(T, dtype=DT), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    xr, xp = x[..., :ndims], x[..., ndims:]
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def attention(q, k, v):
    """q: [H][T][hd], k, v: [KV][T][hd] -> [T][H·hd] (causal)."""
    H, T, hd = q.shape
    rep = H // k.shape[0]
    k = k.repeat_interleave(rep, dim=0)
    v = v.repeat_interleave(rep, dim=0)
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    s = s.masked_fill(mask, float("-inf"))
    o = torch.softmax(s, dim=-1) @ v
    return o.transpose(0, 1).reshape(T, H * hd)


def heads(x, n):
    T = x.shape[0]
    return x.reshape(T, n, -1).transpose(0, 1)


def llama_like(cfg, W, ids, kind):
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    D = cfg["hidden_size"]
    hd = cfg.get("head_dim") or D // H
    theta = cfg.get("rope_theta", 10000.0)
    if kind == "llama":
        eps = cfg["rms_norm_eps"]
        norm = lambda x, p: rms_norm(x, W[p + ".weight"], eps)
        ndims = hd
    else:
        eps = cfg["layer_norm_eps"]
        norm = lambda x, p: layer_norm(x, W[p + ".weight"], W[p + ".bias"], eps)
        ndims = int(cfg.get("partial_rotary_factor", 1.0) * hd)
        assert not cfg.get("use_parallel_residual", False)
    x = W["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = norm(x, p + "input_layernorm")
        q = heads(h @ W[p + "self_attn.q_proj.weight"].T, H)
        k = heads(h @ W[p + "self_attn.k_proj.weight"].T, KV)
        v = heads(h @ W[p + "self_attn.v_proj.weight"].T, KV)
        q, k = rotary(q, theta, ndims), rotary(k, theta, ndims)
        x = x + attention(q, k, v) @ W[p + "self_attn.o_proj.weight"].T
        h = norm(x, p + "post_attention_layernorm")
        g = torch.nn.functional.silu(h @ W[p + "mlp.gate_proj.weight"].T)
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (g * u) @ W[p + "mlp.down_proj.weight"].T
    x = norm(x, "model.norm")
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return x @ head.T


def gpt_neox(cfg, W, ids):
    H = cfg["num_attention_heads"]
    D = cfg["hidden_size"]
    hd = D // H
    eps = cfg["layer_norm_eps"]
    ndims = int(hd * cfg.get("rotary_pct", 1.0))
    theta = cfg.get("rotary_emb_base", 10000)
    assert not cfg["use_parallel_residual"]
    ln = lambda x, p: layer_norm(x, W[p + ".weight"], W[p + ".bias"], eps)
    x = W["gpt_neox.embed_in.weight"][ids]
    T = len(ids)
    for l in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % l
        h = ln(x, p + "input_layernorm")
        qkv = h @ W[p + "attention.query_key_value.weight"].T + W[p + "attention.query_key_value.bias"]
        qkv = qkv.reshape(T, H, 3 * hd).transpose(0, 1)
        q, k, v = qkv[..., :hd], qkv[..., hd : 2 * hd], qkv[..., 2 * hd :]
        q, k = rotary(q, theta, ndims), rotary(k, theta, ndims)
        x = x + attention(q, k, v) @ W[p + "attention.dense.weight"].T + W[p + "attention.dense.bias"]
        h = ln(x, p + "post_attention_layernorm")
        a = gelu_tanh(h @ W[p + "mlp.dense_h_to_4h.weight"].T + W[p + "mlp.dense_h_to_4h.bias"])
        x = x + a @ W[p + "mlp.dense_4h_to_h.weight"].T + W[p + "mlp.dense_4h_to_h.bias"]
    x = ln(x, "gpt_neox.final_layer_norm")
    head = W["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings") else W["embed_out.weight"]
    return x @ head.T


def gpt2(cfg, W, ids):
    H = cfg["n_head"]
    D = cfg["n_embd"]
    eps = cfg["layer_norm_epsilon"]
    assert cfg["activation_function"] in ("gelu_new", "gelu_pytorch_tanh")
    ln = lambda x, p: layer_norm(x, W[p + ".weight"], W[p + ".bias"], eps)
    conv1d = lambda x, p: x @ W[p + ".weight"] + W[p + ".bias"]
    T = len(ids)
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][torch.arange(T)]
    for l in range(cfg["n_layer"]):
        p = "transformer.h.%d." % l
        h = ln(x, p + "ln_1")
        q, k, v = conv1d(h, p + "attn.c_attn").split(D, dim=-1)
        x = x + conv1d(attention(heads(q, H), heads(k, H), heads(v, H)), p + "attn.c_proj")
        h = ln(x, p + "ln_2")
        x = x + conv1d(gelu_tanh(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = ln(x, "transformer.ln_f")
    head = W["transformer.wte.weight"] if cfg.get("tie_word_embeddings", True) else W["lm_head.weight"]
    return x @ head.T


def main():
    folder, ids = sys.argv[1], [int(a) for a in sys.argv[2:]]
    with open(folder + "/config.json") as f:
        cfg = json.load(f)
    W = load_safetensors(folder + "/model.safetensors")
    kind = cfg["model_type"]
    with torch.no_grad():
        if kind in ("llama", "stablelm"):
            logits = llama_like(cfg, W, torch.tensor(ids), kind)
        elif kind == "gpt_neox":
            logits = gpt_neox(cfg, W, torch.tensor(ids))
        elif kind == "gpt2":
            logits = gpt2(cfg, W, torch.tensor(ids))
        else:
            sys.exit("unsupported model_type " + kind)
    json.dump([[float("%.9g" % v) for v in row] for row in logits.tolist()], sys.stdout)
    print()


if __name__ == "__main__":
    main()
