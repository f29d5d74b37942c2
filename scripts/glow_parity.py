#!/usr/bin/env python3
"""PyTorch oracle for oodgpu's Glow.

Re-implements oodgpu's Glow (models/glow) in PyTorch, loads the same safetensors weights, and
checks oodgpu's per-image log-likelihoods and per-layer squared gradient norms (B = 1: one row per
image; B = 5: one row per group of five) against its own, computed in float64 with one backward
pass per image or group, the paper's way.

Usage: glow_parity.py DIR
DIR holds (written by the Go test models/glow TestPyTorchParity):
  weights.safetensors  the model (oodgpu metadata: kind, config)
  outputs.safetensors  x [N C H W], loglik [N], features_b1 [N J], features_b5 [N/5 J] from the
                       float32 run, and the same with suffix _f64 from the plan run in float64
  parity.json          {"params": [J names, feature column order], "perms": {lower name: perm}}
Exits 1 when a float32 value differs by more than 1e-3 relative, or a float64 one by more than 1e-6.

Usage: glow_parity.py --perf N DIR
times per-image features in float32 on the first N images of DIR/outputs.safetensors: the
per-image loop (one backward pass and one host read per parameter tensor, the paper's way) and,
where torch.func exists, vmap per-sample gradients. Prints one JSON line.

Usage: glow_parity.py --train-perf BATCH STEPS LR DIR
times STEPS training steps in float32, after one warm-up step, on the first BATCH images of
DIR/outputs.safetensors: forward mean negative log-likelihood in bits/dim, backward, Adam step
with learning rate LR (the oodgpu perf --train step). Prints one JSON line.

The timings run on the torch device of --torch-device DEV (before the mode: glow_parity.py
--torch-device cuda --perf N DIR), else of $OODGPU_TORCH_DEVICE, else the CPU (all its cores):
cpu, cuda, cuda:1, ... On CUDA, TF32 is off (full fp32, as oodgpu computes) and the JSON line's
"device" names the GPU. The parity check always runs on the CPU in float64.
"""
import json
import os
import math
import sys
import time

import torch
import torch.nn.functional as F

from oracle import TOL, TOL_F64, compare, load_safetensors


def squeeze(x):
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * 4, h // 2, w // 2)


def gaussian_logp(z, mean, logs):
    d = (z - mean) * torch.exp(-logs)
    n = z.shape[1] * z.shape[2] * z.shape[3]
    terms = (2 * logs + d * d).expand_as(z)
    return -0.5 * terms.sum(dim=(1, 2, 3)) - 0.5 * n * math.log(2 * math.pi)


class Glow:
    def __init__(self, cfg, params, perms, cache=None):
        self.cfg, self.p, self.perms = cfg, params, perms
        self.cache = {} if cache is None else cache

    def actnorm(self, name, h):
        return (h + self.p[name + ".bias"]) * torch.exp(self.p[name + ".logs"])

    def zero_conv(self, name, h):
        out = F.conv2d(h, self.p[name + ".weight"], padding=1) + self.p[name + ".bias"]
        return out * torch.exp(3 * self.p[name + ".logs"])

    def consts(self, name, c, dt, dev):
        """The permutation, identity and strict triangle masks of invconv name, made once per
        dtype and device (buffers, as a PyTorch module would keep them: no per-call kernels)."""
        key = (name, dt, dev)
        if key not in self.cache:
            perm = torch.zeros(c, c, dtype=dt)
            for i, j in enumerate(self.perms[name + ".lower"]):
                perm[i, j] = 1
            self.cache[key] = tuple(t.to(dev) for t in (
                perm, torch.eye(c, dtype=dt), torch.tril(torch.ones(c, c, dtype=dt), -1),
                torch.triu(torch.ones(c, c, dtype=dt), 1)))
        return self.cache[key]

    def invconv(self, name, h):
        c = h.shape[1]
        lower, upper, logs = self.p[name + ".lower"], self.p[name + ".upper"], self.p[name + ".logs"]
        perm, eye, lmask, umask = self.consts(name, c, lower.dtype, lower.device)
        l = lower * lmask + eye
        u = upper * umask + torch.diag(torch.exp(logs))
        w = perm @ l @ u
        return F.conv2d(h, w.reshape(c, c, 1, 1)), logs.sum() * h.shape[2] * h.shape[3]

    def coupling(self, name, h):
        c = h.shape[1]
        z1, z2 = h[:, : c // 2], h[:, c // 2:]
        a = F.relu(self.actnorm(name + ".conv1.actnorm", F.conv2d(z1, self.p[name + ".conv1.weight"], padding=1)))
        a = F.relu(self.actnorm(name + ".conv2.actnorm", F.conv2d(a, self.p[name + ".conv2.weight"])))
        a = self.zero_conv(name + ".conv3", a)
        shift, raw = a[:, 0::2], a[:, 1::2]
        log_scale = F.logsigmoid(raw + 2)
        z2 = (z2 + shift) * torch.exp(log_scale)
        return torch.cat([z1, z2], dim=1), log_scale.sum(dim=(1, 2, 3))

    def loglik(self, x):
        cfg = self.cfg
        logdet = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        logp = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        h = x
        for lv in range(cfg["levels"]):
            h = squeeze(h)
            for s in range(cfg["steps"]):
                name = f"flow.{lv}.{s}"
                h = self.actnorm(name + ".actnorm", h)
                logdet = logdet + self.p[name + ".actnorm.logs"].sum() * h.shape[2] * h.shape[3]
                h, ld = self.invconv(name + ".invconv", h)
                logdet = logdet + ld
                h, ld = self.coupling(name + ".coupling", h)
                logdet = logdet + ld
            if lv < cfg["levels"] - 1:
                c = h.shape[1]
                z1, z2 = h[:, : c // 2], h[:, c // 2:]
                prior = self.zero_conv(f"split.{lv}.prior", z1)
                logp = logp + gaussian_logp(z2, prior[:, 0::2], prior[:, 1::2])
                h = z1
        logp = logp + gaussian_logp(h, self.p["top.mean"], self.p["top.logs"])
        dims = cfg["channels"] * cfg["size"] * cfg["size"]
        return logp + logdet - dims * math.log(cfg["bins"])


def sq_norms(model, params, names, x):
    """Squared gradient norm of sum(loglik(x)) for every parameter, in names order."""
    for t in params.values():
        t.grad = None
    model.loglik(x).sum().backward()
    return torch.stack([(params[n].grad ** 2).sum() if params[n].grad is not None
                        else torch.zeros((), dtype=torch.float64) for n in names])


def torch_device(name):
    """The torch device for the timings, set up: all cores on the CPU; on CUDA full fp32 (TF32
    off) and the libraries' handles made before any timing, as oodgpu opens its device before
    its clock starts. Returns the device and its description for the JSON line."""
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise SystemExit(f"--torch-device {name}: want cpu or cuda[:N]")
    if dev.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
        return dev, "cpu"
    if dev.type != "cuda":
        raise SystemExit(f"--torch-device {name}: want cpu or cuda[:N]")
    if not torch.cuda.is_available():
        raise SystemExit(f"--torch-device {name}: this torch ({torch.__version__}) has no usable CUDA device")
    if dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.cuda.set_device(dev)
    w = torch.ones(4, 4, 3, 3, device=dev, requires_grad=True)
    (F.conv2d(torch.ones(1, 4, 8, 8, device=dev), w, padding=1) @ torch.ones(8, 8, device=dev)).sum().backward()
    torch.cuda.synchronize(dev)
    return dev, f"{dev} ({torch.cuda.get_device_name(dev)})"


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def load_perf(d, dev):
    """The model (float32 on dev), its parameters, feature names and images of an oracle dir."""
    params, meta = load_safetensors(f"{d}/weights.safetensors")
    params = {k: v.float().to(dev).requires_grad_(True) for k, v in params.items()}
    cfg = json.loads(meta["oodgpu"])["config"]
    outs, _ = load_safetensors(f"{d}/outputs.safetensors")
    with open(f"{d}/parity.json") as f:
        info = json.load(f)
    return Glow(cfg, params, info["perms"]), params, info["params"], outs["x"].float().to(dev)


def perf(d, n, device):
    """Times per-image gradient features in float32 on device; prints a JSON line."""
    dev, where = torch_device(device)
    model, params, names, x = load_perf(d, dev)
    x = x[:n]
    sync(dev)
    start = time.perf_counter()
    for i in range(n):
        for t in params.values():
            t.grad = None
        model.loglik(x[i:i + 1]).sum().backward()
        _ = [float((params[k].grad ** 2).sum()) if params[k].grad is not None else 0.0 for k in names]
    loop = n / (time.perf_counter() - start)
    vmapped = None
    try:
        from torch.func import functional_call, grad, vmap  # torch >= 2.0
        detached = {k: v.detach() for k, v in params.items()}

        def one(p, xi):
            return Glow(model.cfg, p, model.perms, model.cache).loglik(xi.unsqueeze(0)).sum()

        per_sample = vmap(grad(one), in_dims=(None, 0))
        sync(dev)
        start = time.perf_counter()
        for k in range(0, n, 10):
            g = per_sample(detached, x[k:k + 10])
            _ = torch.stack([(g[name] ** 2).flatten(1).sum(1) for name in names], 1).tolist()
        vmapped = n / (time.perf_counter() - start)
    except ImportError:
        pass
    print(json.dumps({"torch": torch.__version__, "device": where, "threads": torch.get_num_threads(),
                      "images": n, "loop_images_per_second": loop, "vmap_images_per_second": vmapped}))


def train_perf(d, batch, steps, lr, device):
    """Times training steps (mean bits/dim, backward, Adam) in float32 on device; prints a JSON line."""
    dev, where = torch_device(device)
    model, params, _, x = load_perf(d, dev)
    cfg = model.cfg
    x = x[:batch]
    if x.shape[0] != batch:
        raise SystemExit(f"--train-perf: {d}/outputs.safetensors has {x.shape[0]} images, batch {batch}")
    adam = torch.optim.Adam(list(params.values()), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    bits = cfg["channels"] * cfg["size"] * cfg["size"] * math.log(2)

    def step():
        adam.zero_grad(set_to_none=True)
        loss = (-model.loglik(x) / bits).mean()
        loss.backward()
        adam.step()
        return float(loss)

    step()  # warm-up: allocations and first-call dispatch, as on the Go side
    sync(dev)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync(dev)
    rate = batch * steps / (time.perf_counter() - start)
    print(json.dumps({"torch": torch.__version__, "device": where, "threads": torch.get_num_threads(),
                      "batch": batch, "steps": steps, "images_per_second": rate,
                      # A string: JSON has no Infinity or NaN, which a diverged step gives.
                      "last_loss_bits_per_dim": repr(loss)}))


def main():
    args = sys.argv[1:]
    device = os.environ.get("OODGPU_TORCH_DEVICE") or "cpu"
    if len(args) >= 2 and args[0] == "--torch-device":
        device, args = args[1], args[2:]
    if len(args) == 3 and args[0] == "--perf":
        perf(args[2], int(args[1]), device)
        return
    if len(args) == 5 and args[0] == "--train-perf":
        train_perf(args[4], int(args[1]), int(args[2]), float(args[3]), device)
        return
    if len(args) != 1:
        raise SystemExit(__doc__)
    d = args[0]
    params, meta = load_safetensors(f"{d}/weights.safetensors")
    cfg = json.loads(meta["oodgpu"])["config"]
    outs, _ = load_safetensors(f"{d}/outputs.safetensors")
    with open(f"{d}/parity.json") as f:
        info = json.load(f)
    names = info["params"]
    for t in params.values():
        t.requires_grad_(True)
    model = Glow(cfg, params, info["perms"])
    x = outs["x"]
    n = x.shape[0]
    with torch.no_grad():
        ref_ll = model.loglik(x)
    ref_b1 = torch.stack([sq_norms(model, params, names, x[i:i + 1]) for i in range(n)])
    ref_b5 = torch.stack([sq_norms(model, params, names, x[k:k + 5]) for k in range(0, n, 5)])
    ok = True
    for suffix, tol in (("", TOL), ("_f64", TOL_F64)):
        kind = "float32 run" if suffix == "" else "float64 run"
        worst = max(compare(f"{kind}: log-likelihood", outs["loglik" + suffix], ref_ll),
                    compare(f"{kind}: squared gradient norms, B=1", outs["features_b1" + suffix], ref_b1, names),
                    compare(f"{kind}: squared gradient norms, B=5", outs["features_b5" + suffix], ref_b5, names))
        print(f"{kind}: worst {worst:.3g} (tolerance {tol})")
        ok = ok and worst <= tol
    print(f"torch {torch.__version__}: {len(names)} parameter tensors, {n} images")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
