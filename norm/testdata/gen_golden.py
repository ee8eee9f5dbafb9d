#!/usr/bin/env python3
"""Writes golden.json: RMSNorm/LayerNorm forward outputs and autograd
gradients computed in float64 with PyTorch, for norm's Go tests.

Run from the repository root:  /usr/bin/python3 norm/testdata/gen_golden.py
Inputs are float32-representable so the Go float32 path sees the same x.
"""
import json
import os

import torch

torch.manual_seed(20261125)


def f32(t):
    """Round to float32 and back, so the values are exact in Go's float32."""
    return t.to(torch.float32).to(torch.float64)


def rms_norm(x, w, b, eps, eps_outside, offset, p):
    d = x.shape[-1]
    k = d if p in (0, 1) else max(1, int(d * p))  # the paper's partial size
    ms = x[..., :k].pow(2).mean(-1, keepdim=True)
    if eps_outside:
        y = x / (ms.sqrt() + eps)
    else:
        y = x * torch.rsqrt(ms + eps)
    if w is not None:
        y = y * (offset + w)
    if b is not None:
        y = y + b
    return y


def case(kind, d, rows, eps, weight=True, bias=False, eps_outside=False, offset=0.0, p=0.0, scale=1.0, shift=0.0):
    x = f32(torch.randn(rows, d, dtype=torch.float64) * scale + shift).requires_grad_(True)
    w = f32(1 + 0.3 * torch.randn(d, dtype=torch.float64)).requires_grad_(True) if weight else None
    b = f32(0.1 * torch.randn(d, dtype=torch.float64)).requires_grad_(True) if bias else None
    dy = f32(torch.randn(rows, d, dtype=torch.float64))
    if kind == "rms_norm":
        y = rms_norm(x, w, b, eps, eps_outside, offset, p)
    else:
        y = torch.nn.functional.layer_norm(x, (d,), w, b, eps)
    y.backward(dy)
    out = {
        "kind": kind, "d": d, "rows": rows, "eps": eps,
        "eps_outside": eps_outside, "weight_offset": offset, "p": p,
        "x": x.detach().flatten().tolist(),
        "weight": None if w is None else w.detach().tolist(),
        "bias": None if b is None else b.detach().tolist(),
        "dy": dy.flatten().tolist(),
        "y": y.detach().flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
        "dweight": None if w is None else w.grad.tolist(),
        "dbias": None if b is None else b.grad.tolist(),
    }
    return out


cases = []
for d in (1, 3, 7, 16, 33, 64):
    cases.append(case("rms_norm", d, 3, 1e-6))
cases += [
    case("rms_norm", 5, 2, 1e-5, weight=False),
    case("rms_norm", 7, 3, 1e-3, eps_outside=True),
    case("rms_norm", 16, 2, 1e-6, offset=1.0),  # Gemma
    case("rms_norm", 33, 2, 1e-8, bias=True),
    case("rms_norm", 16, 3, 1e-8, p=0.5),
    case("rms_norm", 33, 3, 1e-8, p=0.3, bias=True),  # k = 9
    case("rms_norm", 16, 2, 1e-8, p=0.0625),  # k = 1
    case("rms_norm", 9, 2, 0.0, eps_outside=True, p=0.5),
    case("rms_norm", 12, 2, 1e-6, scale=1e-3),
    case("rms_norm", 12, 2, 1e-6, scale=1e3),
]
for d in (1, 3, 7, 16, 33):
    cases.append(case("layer_norm", d, 3, 1e-5, bias=True))
cases += [
    case("layer_norm", 8, 2, 0.0, weight=False),
    case("layer_norm", 10, 2, 1e-5, bias=True, shift=100.0),
    case("layer_norm", 64, 2, 1e-12, bias=True, scale=1e-2),
]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", path, len(cases), "cases")
