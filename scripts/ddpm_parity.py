#!/usr/bin/env python3
"""PyTorch oracle for oodgpu's DDPM (models/ddpm): -L_t = -||eps - eps_theta(x_t, t)||^2 per
image with the inputs' x_t, eps and time embedding, and its per-layer squared gradient norms.
Usage: ddpm_parity.py DIR (see oracle.py)."""
import math
import sys

import torch
import torch.nn.functional as F

from oracle import check


def groups(ch):
    return 8 if ch % 8 == 0 else 1


def neg_loss(cfg, p, ins):
    xt, eps, temb = ins["xt"], ins["eps"], ins["temb"]
    n, base = xt.shape[0], cfg["base"]

    def conv(name, v, stride=1):
        w = p[name + ".weight"]
        return F.conv2d(v, w, stride=stride, padding=w.shape[-1] // 2) + p[name + ".bias"]

    def linear(name, v):
        return v @ p[name + ".weight"] + p[name + ".bias"]

    def norm(name, v):
        return F.group_norm(v, groups(v.shape[1]), eps=1e-5) * p[name + ".gamma"] + p[name + ".beta"]

    emb = linear("temb.1", F.silu(linear("temb.0", temb)))

    def res(name, v, cout):
        h = conv(name + ".conv1", F.silu(norm(name + ".norm1", v)))
        h = h + linear(name + ".temb", F.silu(emb)).reshape(n, cout, 1, 1)
        h = conv(name + ".conv2", F.silu(norm(name + ".norm2", h)))
        skip = conv(name + ".skip", v) if v.shape[1] != cout else v
        return skip + h

    def attention(name, v):
        _, ch, hh, ww = v.shape
        m = norm(name + ".norm", v)
        q = conv(name + ".q", m).reshape(n, ch, hh * ww)
        k = conv(name + ".k", m).reshape(n, ch, hh * ww)
        vv = conv(name + ".v", m).reshape(n, ch, hh * ww)
        w = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(ch), dim=2)
        out = (vv @ w.transpose(1, 2)).reshape(n, ch, hh, ww)
        return v + conv(name + ".proj", out)

    h = conv("in", xt)
    skips = []
    mults = cfg["mults"]
    for i, m in enumerate(mults):
        h = res(f"down.{i}", h, base * m)
        skips.append(h)
        if i < len(mults) - 1:
            h = conv(f"down.{i}.sample", h, stride=2)
    h = res("mid.0", h, h.shape[1])
    if cfg["attention"]:
        h = attention("mid.attn", h)
    h = res("mid.1", h, h.shape[1])
    for i in reversed(range(len(mults))):
        h = res(f"up.{i}", torch.cat([h, skips[i]], dim=1), base * mults[i])
        if i > 0:
            h = conv(f"up.{i}.sample", F.interpolate(h, scale_factor=2, mode="nearest"))
    pred = conv("out", F.silu(norm("out.norm", h)))
    return -((eps - pred) ** 2).sum(dim=(1, 2, 3))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    check(neg_loss, sys.argv[1], ["xt", "eps", "temb"])
