#!/usr/bin/env python3
"""PyTorch fp32 counterparts of the gpu package's kernel benchmarks (gpu/bench_test.go).

Usage: torchbench.py [--device DEV] [--benchtime T] NAME...
NAME is a benchmark as `go test -bench` names it, without the "Benchmark" prefix and the -N
suffix: Matmul/1024, Conv2D/3x3/forward, Conv2D/1x1/forward+backward, SumSquares/4096x1024.
DEV is cpu (all cores) or cuda[:N] (TF32 off: full fp32, as oodgpu computes). T is a duration
in seconds ("2s", "0.5s") or an iteration count ("10x"), as go test's -benchtime.

Each iteration runs what the Go benchmark's plan runs, on the same sizes: the operand made from
a one-row input by a broadcast copy, the kernel (four chained products; one convolution, or with
"forward+backward" also its data and weight gradients), a sum, and a one-number read back to the
host, so both sides count the same work over whole runs. One untimed iteration comes first.
Prints one JSON line per NAME: {"name", "value", "unit" (GFLOP/s or GB/s), "iterations", "seconds"}.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.grad import conv2d_weight


def setup(name):
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise SystemExit(f"--device {name}: want cpu or cuda[:N]")
    if dev.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    elif dev.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit(f"--device {name}: this torch ({torch.__version__}) has no usable CUDA device")
        if dev.index is None:
            dev = torch.device("cuda", torch.cuda.current_device())
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.cuda.set_device(dev)
    else:
        raise SystemExit(f"--device {name}: want cpu or cuda[:N]")
    return dev


def matmul(dev, n):
    """Four chained n x n products of the broadcast row 1/n (BenchmarkMatmul)."""
    row = torch.full((1, n), 1 / n, device=dev)
    chain = 4

    def run():
        a = row.expand(n, n).contiguous()
        c = a
        for _ in range(chain):
            c = c @ a
        return c.sum().item()

    return run, chain * 2 * n ** 3, "GFLOP/s"


def conv2d(dev, k, backward):
    """A Glow-like convolution, batch 64, 16x16, 128 channels (BenchmarkConv2D)."""
    n, c, hw = 64, 128, 16
    row = torch.full((1, c * hw * hw), 0.01, device=dev)
    w = torch.full((c, c, k, k), 0.01, device=dev)

    def run():
        x = row.reshape(1, c, hw, hw).expand(n, c, hw, hw).contiguous()
        y = F.conv2d(x, w, padding=k // 2)
        s = y.sum()
        if not backward:
            return s.item()
        dx = F.conv_transpose2d(y, w, padding=k // 2)  # the data gradient with y as upstream gradient
        dw = conv2d_weight(x, w.shape, torch.ones_like(y), padding=k // 2)  # d sum(y) / dw
        return (s + dx.sum() + dw.sum()).item()

    convs = 3 if backward else 1
    return run, convs * 2 * n * c * c * k * k * hw * hw, "GFLOP/s"


def sum_squares(dev, rows, cols):
    """Row sums of squares of a [rows, cols] matrix, then their sum (BenchmarkSumSquares); GB/s
    counts the bytes the reduction reads."""
    row = torch.full((1, cols), 0.5, device=dev)

    def run():
        x = row.expand(rows, cols).contiguous()
        return torch.linalg.vector_norm(x, 2, dim=1).square().sum().item()

    return run, 4 * rows * cols, "GB/s"


def case(dev, name):
    parts = name.split("/")
    try:
        if parts[0] == "Matmul" and len(parts) == 2:
            return matmul(dev, int(parts[1]))
        if parts[0] == "Conv2D" and len(parts) == 3 and parts[2] in ("forward", "forward+backward"):
            k, k2 = (int(v) for v in parts[1].split("x"))
            if k == k2:
                return conv2d(dev, k, parts[2] != "forward")
        if parts[0] == "SumSquares" and len(parts) == 2:
            rows, cols = (int(v) for v in parts[1].split("x"))
            return sum_squares(dev, rows, cols)
    except ValueError:
        pass
    raise SystemExit(f"torchbench: unknown benchmark {name!r} (want Matmul/N, Conv2D/KxK/forward[+backward], SumSquares/RxC)")


def timed(dev, run, benchtime):
    """Runs run once untimed, then for benchtime; returns (iterations, seconds)."""
    run()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    if benchtime.endswith("x"):
        iters = int(benchtime[:-1])
        start = time.perf_counter()
        for _ in range(iters):
            run()
        return iters, time.perf_counter() - start
    budget = float(benchtime.rstrip("s"))
    iters, start = 0, time.perf_counter()
    while True:
        run()
        iters += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return iters, elapsed


def main():
    args = sys.argv[1:]
    device, benchtime = "cpu", "1s"
    while args and args[0].startswith("--"):
        if len(args) < 2 or args[0] not in ("--device", "--benchtime"):
            raise SystemExit(__doc__)
        if args[0] == "--device":
            device = args[1]
        else:
            benchtime = args[1]
        args = args[2:]
    if not args:
        raise SystemExit(__doc__)
    dev = setup(device)
    for name in args:
        run, work, unit = case(dev, name)
        iters, seconds = timed(dev, run, benchtime)
        print(json.dumps({"name": name, "value": work * iters / seconds / 1e9, "unit": unit,
                          "iterations": iters, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
