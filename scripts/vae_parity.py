#!/usr/bin/env python3
"""PyTorch oracle for oodgpu's VAE (models/vae): the ELBO with the one posterior sample given by
the inputs' eps, and its per-layer squared gradient norms. Usage: vae_parity.py DIR (see
oracle.py)."""
import math
import sys

import torch
import torch.nn.functional as F

from oracle import check


def logistic_loglik(x, mean, log_scale, not_min, not_max):
    inv = torch.exp(-log_scale)
    a = (x - mean + 1 / 255) * inv
    b = (x - mean - 1 / 255) * inv
    inner = torch.log1p(-torch.exp(-2 / 255 * inv))
    return not_max * F.logsigmoid(a) + not_min * F.logsigmoid(-b) + not_min * not_max * inner


def elbo(cfg, p, ins):
    x, eps = ins["x"], ins["eps"]
    n, s, h, l = x.shape[0], cfg["size"], cfg["hidden"], cfg["latent"]

    def conv(name, v, stride, pad):
        return F.conv2d(v, p[name + ".weight"], stride=stride, padding=pad) + p[name + ".bias"]

    def deconv(name, v):
        return F.conv_transpose2d(v, p[name + ".weight"], stride=2, padding=1) + p[name + ".bias"]

    e = F.silu(conv("enc.0", x, 1, 1))
    e = F.silu(conv("enc.1", e, 2, 1))
    e = F.silu(conv("enc.2", e, 2, 1))
    e = F.silu(conv("enc.3", e, 2, 1))
    stats = e.reshape(n, -1) @ p["enc.stats.weight"] + p["enc.stats.bias"]
    mu, logvar = stats[:, :l], stats[:, l:]
    z = mu + torch.exp(0.5 * logvar) * eps
    d = F.silu(z @ p["dec.in.weight"] + p["dec.in.bias"]).reshape(n, 4 * h, s // 8, s // 8)
    d = F.silu(deconv("dec.1", d))
    d = F.silu(deconv("dec.2", d))
    d = F.silu(deconv("dec.3", d))
    mean = conv("dec.out", d, 1, 1)
    if cfg.get("pixel_scales"):
        log_scale = torch.clamp(conv("dec.scale", d, 1, 1), min=-7.0, max=2.0)
    else:
        log_scale = p["dec.log_scale"]
    recon = logistic_loglik(x, mean, log_scale, ins["not_min"], ins["not_max"]).sum(dim=(1, 2, 3))
    kl = 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(dim=1)
    return recon - kl


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    check(elbo, sys.argv[1], ["x", "eps", "not_min", "not_max"])
