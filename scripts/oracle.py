"""Shared helpers of the PyTorch parity scripts (vae_parity.py, ddpm_parity.py).

A script defines objective(params, inputs) -> per-image tensor [N] in PyTorch, and calls
check(objective, DIR). DIR is written by the Go package models/oracle: weights.safetensors (the
model; oodgpu metadata with kind and config), inputs.safetensors (the graph's inputs, and oodgpu's
"objective" and "features_b1" from its float32 run, with suffix _f64 from the float64 run of the
same plan) and parity.json (feature column order). check recomputes the objective and the
per-layer squared gradient norms, one backward pass per image, in float64, and exits 1 when a
float32 value differs by more than 1e-3 relative or a float64 one by more than 1e-6.
"""
import json
import struct
import sys

import torch

TOL = 1e-3
TOL_F64 = 1e-6


def load_safetensors(path):
    """Reads a safetensors file (F32 tensors only) into float64 torch tensors and its metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} has dtype {info['dtype']}, want F32")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"]).to(torch.float64)
    return tensors, meta


def compare(what, ours, ref, names=None):
    """Worst relative difference, with an absolute floor of 1e-6 of the largest value."""
    ours = ours.to(torch.float64).reshape(ref.shape)
    floor = 1e-6 * ref.abs().max().clamp(min=1e-30)
    rel = (ours - ref).abs() / torch.maximum(ref.abs(), floor)
    worst = rel.max().item()
    where = ""
    if names is not None:
        i = int(rel.argmax().item())
        row, col = divmod(i, rel.shape[1])
        where = f" (row {row}, {names[col]}: ours {ours[row, col].item():.6g}, torch {ref[row, col].item():.6g})"
    print(f"{what}: worst relative difference {worst:.3g}{where}")
    return worst


def check(objective, d, batch_inputs):
    """Runs the comparison for the oracle directory d. batch_inputs lists the input names whose
    first axis is the image (sliced per image for the per-sample gradients)."""
    params, meta = load_safetensors(f"{d}/weights.safetensors")
    cfg = json.loads(meta["oodgpu"])["config"]
    ins, _ = load_safetensors(f"{d}/inputs.safetensors")
    with open(f"{d}/parity.json") as f:
        names = json.load(f)["params"]
    for t in params.values():
        t.requires_grad_(True)
    n = ins[batch_inputs[0]].shape[0]
    with torch.no_grad():
        ref = objective(cfg, params, ins)
    rows = []
    for i in range(n):
        one = dict(ins)
        for k in batch_inputs:
            one[k] = ins[k][i:i + 1]
        for t in params.values():
            t.grad = None
        objective(cfg, params, one).sum().backward()
        rows.append(torch.stack([(params[k].grad ** 2).sum() if params[k].grad is not None
                                 else torch.zeros((), dtype=torch.float64) for k in names]))
    ref_b1 = torch.stack(rows)
    ok = True
    for suffix, tol in (("", TOL), ("_f64", TOL_F64)):
        kind = "float32 run" if suffix == "" else "float64 run"
        worst = max(compare(f"{kind}: objective", ins["objective" + suffix], ref),
                    compare(f"{kind}: squared gradient norms, B=1", ins["features_b1" + suffix], ref_b1, names))
        print(f"{kind}: worst {worst:.3g} (tolerance {tol})")
        ok = ok and worst <= tol
    print(f"torch {torch.__version__}: {len(names)} parameter tensors, {n} images")
    sys.exit(0 if ok else 1)
