#!/usr/bin/env python3
"""Golden ALiBi values for package posenc, in plain Python float64 (no torch needed).

Run: python3 posenc/testdata/gen_alibi.py > posenc/testdata/alibi.json

Sections:
  hf     build_alibi_tensor of Hugging Face transformers' BLOOM (closest power of two,
         base 2^(-2^-(log2(cp)-3)), extra heads from the odd powers of the 2·cp base),
         re-written here line by line with math instead of torch: the slopes and the
         bias tensor slope_h · key_position for an all-ones attention mask.
  ggml   the max_bias form of ggml_soft_max_ext (m0 = 2^(-max_bias/n_log2),
         m1 = 2^(-(max_bias/2)/n_log2), slope = m0^(h+1) or m1^(2(h-n_log2)+1)),
         for several max_bias values.
  attn   causal softmax of given scores plus the Hugging Face bias (slope · key position),
         per head: the probabilities must equal those of scores + m_h·(j - i).
"""
import json
import math
import random


def hf_slopes(num_heads):
    closest_power_of_2 = 2 ** math.floor(math.log2(num_heads))
    base = 2 ** (-(2 ** -(math.log2(closest_power_of_2) - 3)))
    slopes = [base ** p for p in range(1, 1 + closest_power_of_2)]
    if closest_power_of_2 != num_heads:
        extra_base = 2 ** (-(2 ** -(math.log2(2 * closest_power_of_2) - 3)))
        num_remaining_heads = min(closest_power_of_2, num_heads - closest_power_of_2)
        slopes += [extra_base ** p for p in range(1, 1 + 2 * num_remaining_heads, 2)]
    return slopes


def hf_alibi(num_heads, seq_len):
    # attention_mask all ones: arange_tensor = (cumsum(mask) - 1) * mask = 0..L-1
    mask = [1] * seq_len
    cums, s = [], 0
    for v in mask:
        s += v
        cums.append((s - 1) * v)
    return [[m * p for p in cums] for m in hf_slopes(num_heads)]


def ggml_slopes(n_head, max_bias):
    n_head_log2 = 1 << int(math.floor(math.log2(n_head)))
    m0 = 2.0 ** (-max_bias / n_head_log2)
    m1 = 2.0 ** (-(max_bias / 2.0) / n_head_log2)
    return [m0 ** (h + 1) if h < n_head_log2 else m1 ** (2 * (h - n_head_log2) + 1) for h in range(n_head)]


def causal_softmax_hf(scores, heads, L):
    alibi = hf_alibi(heads, L)
    out = []
    for h in range(heads):
        for i in range(L):
            row = [scores[(h * L + i) * L + j] + alibi[h][j] for j in range(i + 1)]
            mx = max(row)
            e = [math.exp(v - mx) for v in row]
            z = sum(e)
            out.extend([v / z for v in e] + [0.0] * (L - i - 1))
    return out


random.seed(20261204)
HEADS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 20, 24, 32, 40, 64, 71, 112]
out = {"hf": [], "ggml": [], "attn": []}
for h in HEADS:
    out["hf"].append({"heads": h, "slopes": hf_slopes(h), "seq_len": 5, "alibi": hf_alibi(h, 5)})
for mb in [8.0, 4.0, 0.5, 16.0]:
    for h in [1, 3, 4, 6, 8, 12, 32, 40]:
        out["ggml"].append({"heads": h, "max_bias": mb, "slopes": ggml_slopes(h, mb)})
for heads, L in [(4, 6), (6, 7), (12, 5)]:
    # scores are multiples of 1/64 in [-4, 4): exact in float32
    scores = [random.randint(-256, 255) / 64 for _ in range(heads * L * L)]
    out["attn"].append({"heads": heads, "seq_len": L, "scores": scores,
                        "probs": causal_softmax_hf(scores, heads, L)})
json.dump(out, __import__("sys").stdout, indent=None, separators=(",", ":"))
print()
