#!/usr/bin/env python3
"""Golden vectors for package posenc, computed independently in float64 with torch.

Run: /usr/bin/python3 posenc/testdata/gen_golden.py > posenc/testdata/golden.json

Sections:
  hf          inverse frequencies + attention factor per Hugging Face rope_type
              (formulas of transformers' modeling_rope_utils, re-written here in float64)
  rope_hf     RoPE applied Hugging Face style (rotate_half, cat(freqs, freqs)), partial rotary
  rope_meta   RoPE applied Meta style (torch.view_as_complex times polar(1, angle))
  ggml        ggml_rope_ext semantics (rope_yarn, rope_yarn_ramp, corr dims, freq factors)
  sinusoidal  absolute sinusoidal encodings, both layouts
Inputs x are float32 values (stored exactly); outputs are float64 maths on them.
"""
import json
import math

import torch

torch.manual_seed(20261125)
F64 = torch.float64


def f32_list(t):
    return [float(v) for v in t.to(torch.float32).to(F64).reshape(-1)]


def rand_x(n):
    return torch.randn(n, dtype=torch.float32).to(F64)


# ---------------------------------------------------------------- HF formulas
def rotary_dim(cfg):
    return int(cfg["head_dim"] * cfg.get("partial_rotary_factor", 1.0))


def default_inv(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=F64) / dim))


def hf_inv_freq(cfg, seq_len=None):
    base = cfg.get("rope_theta", 10000.0)
    dim = rotary_dim(cfg)
    rs = cfg.get("rope_scaling") or {}
    typ = rs.get("rope_type", rs.get("type", "default"))
    if typ == "default":
        return default_inv(base, dim), 1.0
    if typ == "linear":
        return default_inv(base, dim) / rs["factor"], 1.0
    if typ == "dynamic":
        mpe = cfg["max_position_embeddings"]
        factor = rs["factor"]
        sl = seq_len if seq_len is not None and seq_len > mpe else mpe
        b = base * ((factor * sl / mpe) - (factor - 1)) ** (dim / (dim - 2))
        return default_inv(b, dim), 1.0
    if typ == "yarn":
        factor = rs["factor"]
        if "original_max_position_embeddings" in rs:
            orig = rs["original_max_position_embeddings"]
            factor = cfg["max_position_embeddings"] / orig
        else:
            orig = cfg["max_position_embeddings"]

        def get_mscale(scale, m=1.0):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        attn = rs.get("attention_factor")
        if attn is None:
            if rs.get("mscale") and rs.get("mscale_all_dim"):
                attn = get_mscale(factor, rs["mscale"]) / get_mscale(factor, rs["mscale_all_dim"])
            else:
                attn = get_mscale(factor)
        bf = rs.get("beta_fast") or 32
        bs = rs.get("beta_slow") or 1

        def corr(nrot):
            return (dim * math.log(orig / (nrot * 2 * math.pi))) / (2 * math.log(base))

        lo, hi = corr(bf), corr(bs)
        if rs.get("truncate", True):
            lo, hi = math.floor(lo), math.ceil(hi)
        lo, hi = max(lo, 0), min(hi, dim - 1)
        if lo == hi:
            hi += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=F64) - lo) / (hi - lo), 0, 1)
        keep = 1 - ramp
        pf = base ** (torch.arange(0, dim, 2, dtype=F64) / dim)
        inv = (1.0 / (factor * pf)) * (1 - keep) + (1.0 / pf) * keep
        return inv, attn
    if typ == "longrope":
        factor = rs.get("factor")
        attn = rs.get("attention_factor")
        if cfg.get("original_max_position_embeddings"):
            orig = cfg["original_max_position_embeddings"]
            factor = cfg["max_position_embeddings"] / orig
        else:
            orig = cfg["max_position_embeddings"]
        if attn is None:
            attn = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig))
        ext = rs["long_factor"] if (seq_len and seq_len > orig) else rs["short_factor"]
        ext = torch.tensor(ext, dtype=F64)
        return 1.0 / (ext * base ** (torch.arange(0, dim, 2, dtype=F64) / dim)), attn
    if typ == "llama3":
        inv = default_inv(base, dim)
        factor = rs["factor"]
        lf, hf = rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lw, hw = old / lf, old / hf
        wave = 2 * math.pi / inv
        out = torch.where(wave > lw, inv / factor, inv)
        smooth = (old / wave - lf) / (hf - lf)
        sm = (1 - smooth) * out / factor + smooth * out
        med = ~(wave < hw) & ~(wave > lw)
        return torch.where(med, sm, out), 1.0
    raise ValueError(typ)


HF_CASES = [
    ("default", {"head_dim": 64, "rope_theta": 10000.0}, None),
    ("default partial", {"head_dim": 80, "rope_theta": 10000.0, "partial_rotary_factor": 0.4}, None),
    ("linear", {"head_dim": 64, "rope_theta": 10000.0, "rope_scaling": {"type": "linear", "factor": 4.0}}, None),
    ("dynamic short", {"head_dim": 64, "rope_theta": 10000.0, "max_position_embeddings": 2048,
                       "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}, 100),
    ("dynamic long", {"head_dim": 64, "rope_theta": 10000.0, "max_position_embeddings": 2048,
                      "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}, 5000),
    ("yarn", {"head_dim": 128, "rope_theta": 1000000.0, "max_position_embeddings": 32768,
              "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, None),
    ("yarn betas attn", {"head_dim": 64, "rope_theta": 10000.0, "max_position_embeddings": 4096,
                         "rope_scaling": {"rope_type": "yarn", "factor": 8.0, "beta_fast": 16.0, "beta_slow": 2.0,
                                          "attention_factor": 1.5}}, None),
    ("yarn deepseek", {"head_dim": 64, "rope_theta": 10000.0, "max_position_embeddings": 163840,
                       "rope_scaling": {"rope_type": "yarn", "factor": 40.0, "mscale": 1.0, "mscale_all_dim": 0.707,
                                        "original_max_position_embeddings": 4096, "beta_fast": 32, "beta_slow": 1}},
     None),
    ("yarn no truncate", {"head_dim": 64, "rope_theta": 150000.0, "max_position_embeddings": 4096,
                          "rope_scaling": {"rope_type": "yarn", "factor": 32.0, "truncate": False}}, None),
    ("longrope short", {"head_dim": 16, "rope_theta": 10000.0, "max_position_embeddings": 131072,
                        "original_max_position_embeddings": 4096,
                        "rope_scaling": {"rope_type": "longrope",
                                         "short_factor": [1.0, 1.01, 1.02, 1.05, 1.1, 1.3, 1.6, 2.0],
                                         "long_factor": [1.0, 1.5, 2.5, 4.0, 8.0, 16.0, 24.0, 32.0]}}, 1000),
    ("longrope long", {"head_dim": 16, "rope_theta": 10000.0, "max_position_embeddings": 131072,
                       "original_max_position_embeddings": 4096,
                       "rope_scaling": {"rope_type": "longrope",
                                        "short_factor": [1.0, 1.01, 1.02, 1.05, 1.1, 1.3, 1.6, 2.0],
                                        "long_factor": [1.0, 1.5, 2.5, 4.0, 8.0, 16.0, 24.0, 32.0]}}, 5000),
    ("longrope factor", {"head_dim": 16, "rope_theta": 10000.0, "max_position_embeddings": 8192,
                         "rope_scaling": {"rope_type": "longrope", "factor": 16.0,
                                          "short_factor": [1.0] * 8, "long_factor": [2.0] * 8}}, 9000),
    ("llama3", {"head_dim": 128, "rope_theta": 500000.0, "max_position_embeddings": 131072,
                "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}, None),
    ("llama3 head64 f32", {"head_dim": 64, "rope_theta": 500000.0, "max_position_embeddings": 131072,
                           "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}, None),
]


def hf_section():
    out = []
    for name, cfg, sl in HF_CASES:
        inv, attn = hf_inv_freq(cfg, sl)
        out.append({"name": name, "config": cfg, "seq_len": sl or 0, "inv_freq": [float(v) for v in inv],
                    "attention_factor": float(attn)})
    return out


# --------------------------------------------------------- RoPE application
def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_hf(x, inv, attn, pos, rot):
    # x: [tokens, heads, head_dim]; HF style on the first `rot` dims.
    freqs = torch.tensor(pos, dtype=F64)[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = (emb.cos() * attn)[:, None, :], (emb.sin() * attn)[:, None, :]
    xr, xp = x[..., :rot], x[..., rot:]
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def apply_meta(x, inv, pos, rot):
    freqs = torch.tensor(pos, dtype=F64)[:, None] * inv[None, :]
    cis = torch.polar(torch.ones_like(freqs), freqs)[:, None, :]
    xr = x[..., :rot].reshape(*x.shape[:-1], -1, 2)
    yr = torch.view_as_real(torch.view_as_complex(xr.contiguous()) * cis).flatten(-2)
    return torch.cat((yr, x[..., rot:]), dim=-1)


POS = [0, 1, 7, 100, 10000, 40000, 65537, 1 << 20]


def rope_sections():
    hf, meta = [], []
    for name, cfg, sl in HF_CASES:
        if name in ("longrope factor", "yarn no truncate", "dynamic short"):
            continue
        inv, attn = hf_inv_freq(cfg, sl)
        hd, rot, nh = cfg["head_dim"], rotary_dim(cfg), 2
        x = rand_x(len(POS) * nh * hd).reshape(len(POS), nh, hd)
        y = apply_hf(x, inv, attn, POS, rot)
        hf.append({"name": name, "config": cfg, "seq_len": sl or 0, "n_heads": nh, "positions": POS,
                   "x": f32_list(x), "y": [float(v) for v in y.reshape(-1)]})
    for hd, rot, base in [(16, 16, 10000.0), (64, 64, 500000.0), (12, 8, 10000.0)]:
        inv = default_inv(base, rot)
        nh = 3
        x = rand_x(len(POS) * nh * hd).reshape(len(POS), nh, hd)
        y = apply_meta(x, inv, POS, rot)
        meta.append({"head_dim": hd, "n_dims": rot, "base": base, "n_heads": nh, "positions": POS,
                     "x": f32_list(x), "y": [float(v) for v in y.reshape(-1)]})
    return hf, meta


# ------------------------------------------------------------- ggml rope_ext
def ggml_corr_dim(n_dims, n_ctx_orig, n_rot, base):
    if n_ctx_orig == 0:
        return -math.inf if base > 1 else math.inf
    return n_dims * math.log(n_ctx_orig / (n_rot * 2 * math.pi)) / (2 * math.log(base))


def ggml_corr_dims(n_dims, n_ctx_orig, base, beta_fast, beta_slow):
    # C's floorf/ceilf keep infinities (n_ctx_orig = 0 gives log(0) = -inf).
    def fl(v):
        return v if math.isinf(v) else float(math.floor(v))

    def cl(v):
        return v if math.isinf(v) else float(math.ceil(v))

    start = fl(ggml_corr_dim(n_dims, n_ctx_orig, beta_fast, base))
    end = cl(ggml_corr_dim(n_dims, n_ctx_orig, beta_slow, base))
    return (0 if not start > 0 else start), (end if end < n_dims - 1 else n_dims - 1)


def ggml_ramp(low, high, i0):
    y = (i0 // 2 - low) / max(0.001, high - low)
    return 1 - min(1, max(0, y))


def rope_yarn(theta_extrap, freq_scale, corr, i0, ext_factor, mscale):
    theta_interp = freq_scale * theta_extrap
    theta = theta_interp
    if ext_factor != 0.0:
        mix = ggml_ramp(corr[0], corr[1], i0) * ext_factor
        theta = theta_interp * (1 - mix) + theta_extrap * mix
        mscale *= 1.0 + 0.1 * math.log(1.0 / freq_scale)
    return math.cos(theta) * mscale, math.sin(theta) * mscale


def ggml_rope(x, p):
    # x: [tokens][heads][head_dim] nested float lists
    n_dims, mode = p["n_dims"], p["mode"]
    corr = ggml_corr_dims(n_dims, p["n_ctx_orig"], p["freq_base"], p["beta_fast"], p["beta_slow"])
    ff = p.get("freq_factors")
    y = []
    for t, pos in enumerate(p["positions"]):
        cache = []
        for i0 in range(0, n_dims, 2):
            theta = pos * p["freq_base"] ** (-i0 / n_dims)
            if ff is not None:
                theta /= ff[i0 // 2]
            cache.append(rope_yarn(theta, p["freq_scale"], corr, i0, p["ext_factor"], p["attn_factor"]))
        rows = []
        for head in x[t]:
            h = list(head)
            for i0 in range(0, n_dims, 2):
                c, s = cache[i0 // 2]
                a, b = (i0, i0 + 1) if mode == "normal" else (i0 // 2, i0 // 2 + n_dims // 2)
                h[a], h[b] = head[a] * c - head[b] * s, head[a] * s + head[b] * c
            rows.append(h)
        y.append(rows)
    return y


GGML_CASES = [
    dict(name="plain normal", head_dim=16, n_heads=2, n_dims=16, mode="normal", freq_base=10000.0, freq_scale=1.0,
         ext_factor=0.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=0),
    dict(name="plain neox partial", head_dim=24, n_heads=2, n_dims=16, mode="neox", freq_base=10000.0,
         freq_scale=1.0, ext_factor=0.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=0),
    dict(name="linear", head_dim=32, n_heads=1, n_dims=32, mode="neox", freq_base=1e6, freq_scale=0.25,
         ext_factor=0.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=4096),
    dict(name="yarn neox", head_dim=64, n_heads=2, n_dims=64, mode="neox", freq_base=10000.0, freq_scale=0.25,
         ext_factor=1.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=4096),
    dict(name="yarn normal partial half mix", head_dim=48, n_heads=2, n_dims=32, mode="normal",
         freq_base=500000.0, freq_scale=0.125, ext_factor=0.5, attn_factor=0.9, beta_fast=24.0, beta_slow=2.0,
         n_ctx_orig=8192),
    dict(name="yarn ctx0", head_dim=16, n_heads=1, n_dims=16, mode="neox", freq_base=10000.0, freq_scale=0.5,
         ext_factor=1.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=0),
    dict(name="freq factors", head_dim=16, n_heads=2, n_dims=16, mode="normal", freq_base=500000.0,
         freq_scale=1.0, ext_factor=0.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=8192,
         freq_factors=[1.0, 1.0, 1.5, 2.0, 4.0, 8.0, 8.0, 8.0]),
    dict(name="freq factors yarn", head_dim=16, n_heads=1, n_dims=16, mode="neox", freq_base=10000.0,
         freq_scale=0.5, ext_factor=1.0, attn_factor=1.0, beta_fast=32.0, beta_slow=1.0, n_ctx_orig=2048,
         freq_factors=[1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]),
]


def ggml_section():
    out = []
    for c in GGML_CASES:
        c = dict(c)
        c["positions"] = [3, 0, 1, 100, 10000, 40000, 123457, 1 << 20]
        nt, nh, hd = len(c["positions"]), c["n_heads"], c["head_dim"]
        x = rand_x(nt * nh * hd).reshape(nt, nh, hd)
        y = ggml_rope(x.tolist(), c)
        c["x"] = f32_list(x)
        c["y"] = [v for tok in y for head in tok for v in head]
        out.append(c)
    return out


# ----------------------------------------------------------------- sinusoidal
def sinusoidal(d, base, layout, positions):
    p = torch.tensor(positions, dtype=F64)[:, None]
    w = base ** (-torch.arange(0, d, 2, dtype=F64) / d)
    s, c = torch.sin(p * w), torch.cos(p * w)
    if layout == "interleaved":
        return torch.stack((s, c), dim=-1).reshape(len(positions), d)
    return torch.cat((s, c), dim=-1)


def sin_section():
    out = []
    for d, base, layout in [(8, 10000.0, "interleaved"), (16, 10000.0, "concat"), (6, 100.0, "interleaved"),
                            (32, 10000.0, "concat")]:
        pos = [0, 1, 2, 50, 999, 40000, 1 << 20]
        out.append({"d": d, "base": base, "layout": layout, "positions": pos,
                    "y": [float(v) for v in sinusoidal(d, base, layout, pos).reshape(-1)]})
    return out


def main():
    hf_rope, meta = rope_sections()
    doc = {"hf": hf_section(), "rope_hf": hf_rope, "rope_meta": meta, "ggml": ggml_section(),
           "sinusoidal": sin_section()}
    print(json.dumps(doc, indent=None, separators=(",", ":")))


if __name__ == "__main__":
    main()
