#!/usr/bin/env python3
"""PyTorch oracle for oodgpu's PixelCNN++ (models/pixelcnn): the per-image log-likelihood of the
mixture of discretized logistics and its per-layer squared gradient norms, on the network of
Salimans et al. (2017) for one channel, written as in their code (shifted convolutions by padding,
cropped shifted deconvolutions, concat_elu, gated residual blocks, the edge cases at 0 and 255 by
torch.where). Usage: pixelcnn_parity.py DIR (see oracle.py)."""
import sys

import torch
import torch.nn.functional as F

from oracle import check


def concat_elu(v):
    return F.elu(torch.cat([v, -v], dim=1))


def down_shift(v):
    return F.pad(v[:, :, :-1, :], (0, 0, 1, 0))


def right_shift(v):
    return F.pad(v[:, :, :, :-1], (1, 0, 0, 0))


def log_likelihood(cfg, p, ins):
    x = ins["x"]
    f, k, levels, blocks = cfg["filters"], cfg["mixtures"], cfg["levels"], cfg["blocks"]

    def conv(name, v, stride=1):
        return F.conv2d(v, p[name + ".weight"], stride=stride) + p[name + ".bias"]

    def down_conv(name, v, stride=1):
        kh, kw = p[name + ".weight"].shape[2:]
        return conv(name, F.pad(v, ((kw - 1) // 2, (kw - 1) // 2, kh - 1, 0)), stride)

    def down_right_conv(name, v, stride=1):
        kh, kw = p[name + ".weight"].shape[2:]
        return conv(name, F.pad(v, (kw - 1, 0, kh - 1, 0)), stride)

    def down_deconv(name, v):
        y = F.conv_transpose2d(v, p[name + ".weight"], stride=2, output_padding=1) + p[name + ".bias"]
        return y[:, :, :y.shape[2] - 1, 1:y.shape[3] - 1]

    def down_right_deconv(name, v):
        y = F.conv_transpose2d(v, p[name + ".weight"], stride=2, output_padding=1) + p[name + ".bias"]
        return y[:, :, :y.shape[2] - 1, :y.shape[3] - 1]

    def gated(name, v, conv_fn, aux=None):
        c = conv_fn(name + ".conv1", concat_elu(v))
        if aux is not None:
            c = c + conv(name + ".nin", concat_elu(aux))
        c = conv_fn(name + ".conv2", concat_elu(c))
        a, b = torch.chunk(c, 2, dim=1)
        return v + a * torch.sigmoid(b)

    xp = torch.cat([x, torch.ones_like(x)], dim=1)
    us = [down_shift(down_conv("in.u", xp))]
    uls = [down_shift(down_conv("in.ul.down", xp)) + right_shift(down_right_conv("in.ul.right", xp))]
    for lv in range(levels):
        for i in range(blocks):
            us.append(gated(f"up.{lv}.{i}.u", us[-1], down_conv))
            uls.append(gated(f"up.{lv}.{i}.ul", uls[-1], down_right_conv, us[-1]))
        if lv < levels - 1:
            us.append(down_conv(f"up.{lv}.down.u", us[-1], stride=2))
            uls.append(down_right_conv(f"up.{lv}.down.ul", uls[-1], stride=2))
    u, ul = us.pop(), uls.pop()
    for lv in reversed(range(levels)):
        for i in range(blocks if lv == levels - 1 else blocks + 1):
            u = gated(f"down.{lv}.{i}.u", u, down_conv, us.pop())
            ul = gated(f"down.{lv}.{i}.ul", ul, down_right_conv, torch.cat([u, uls.pop()], dim=1))
        if lv > 0:
            u = down_deconv(f"down.{lv}.up.u", u)
            ul = down_right_deconv(f"down.{lv}.up.ul", ul)
    assert not us and not uls
    out = conv("out", F.elu(ul))

    logits, means, log_scales = out[:, :k], out[:, k:2 * k], torch.clamp(out[:, 2 * k:], min=-7.0)
    centred = x - means
    inv = torch.exp(-log_scales)
    plus_in = inv * (centred + 1 / 255)
    min_in = inv * (centred - 1 / 255)
    log_cdf_plus = plus_in - F.softplus(plus_in)  # k = 0
    log_one_minus_cdf_min = -F.softplus(min_in)  # k = 255
    cdf_delta = torch.sigmoid(plus_in) - torch.sigmoid(min_in)
    level = torch.round((x + 1) * 127.5)
    log_probs = torch.where(level == 0, log_cdf_plus,
                            torch.where(level == 255, log_one_minus_cdf_min,
                                        torch.log(torch.clamp(cdf_delta, min=1e-300))))
    log_probs = log_probs + F.log_softmax(logits, dim=1)
    return torch.logsumexp(log_probs, dim=1).sum(dim=(1, 2))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    check(log_likelihood, sys.argv[1], ["x", "not_min", "not_max"])
