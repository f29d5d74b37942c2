#!/usr/bin/env python3
"""Exports the first N images of a raw u8 data set (NAME.json, NAME.u8.gz: the colour sets of
$OODGPU_DATA, see package data) as PNG files, for machines without the set (scripts/gpubench.sh
carries them; `oodgpu ... --data dir:OUT` reads them back, in file-name order).

Usage: rawpng.py DATADIR NAME N OUT
Checks the sha256 of the whole decompressed pixel file against NAME.json first, then writes
OUT/00000.png ... (8-bit RGB or grey, lossless, so the pixels are the set's) and OUT/SOURCE.txt.

Usage: rawpng.py --idx-colour IMAGES.gz N OUT
the stand-in where no colour set is at hand: the first N images of a gzipped idx3 file
(FashionMNIST's t10k-images-idx3-ubyte.gz), each grey image copied into R, G and B and
zero-padded to 32x32 (as package data pads 28 to 32), so that a colour model of the paper's
3x32x32 shape can read them. SOURCE.txt says so.
Standard library only.
"""
import gzip
import hashlib
import json
import os
import struct
import sys
import zlib


def png(width, height, channels, pixels):
    """A PNG file of 8-bit grey (channels 1) or RGB (3) pixels, row-major HWC."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    colour = {1: 0, 3: 2}[channels]
    stride = width * channels
    rows = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def idx_colour(path, n, out):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, total, h, w = struct.unpack(">IIII", raw[:16])
    if magic != 0x803 or len(raw) != 16 + total * h * w or h > 32 or w > 32:
        raise SystemExit(f"rawpng: {path} is no idx3 file of at most 32x32 images")
    n = min(n, total)
    top, left = (32 - h) // 2, (32 - w) // 2
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        img = raw[16 + i * h * w:16 + (i + 1) * h * w]
        pix = bytearray(32 * 32 * 3)
        for y in range(h):
            for x in range(w):
                v = img[y * w + x]
                o = ((top + y) * 32 + left + x) * 3
                pix[o:o + 3] = bytes((v, v, v))
        with open(os.path.join(out, f"{i:05d}.png"), "wb") as f:
            f.write(png(32, 32, 3, bytes(pix)))
    with open(os.path.join(out, "SOURCE.txt"), "w") as f:
        f.write(f"NOT a colour data set: the first {n} images of {os.path.basename(path)} (grey, {w}x{h}), "
                f"each copied into R, G and B and zero-padded to 32x32, as lossless PNG files.\n")
    print(f"rawpng: wrote {n} grey images of {path} as 32x32 RGB to {out}")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--idx-colour":
        idx_colour(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    data_dir, name, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(os.path.join(data_dir, name + ".json")) as f:
        meta = json.load(f)
    h, w, c, total = meta["H"], meta["W"], meta["C"], meta["N"]
    if c not in (1, 3):
        raise SystemExit(f"rawpng: {name} has {c} channels, want 1 or 3")
    with gzip.open(os.path.join(data_dir, meta.get("file") or name + ".u8.gz"), "rb") as f:
        raw = f.read()
    if len(raw) != total * h * w * c or hashlib.sha256(raw).hexdigest() != meta["sha256_decompressed"]:
        raise SystemExit(f"rawpng: {name}: the pixel file does not match {name}.json (size or sha256)")
    n = min(n, total)
    os.makedirs(out, exist_ok=True)
    size = h * w * c
    for i in range(n):
        with open(os.path.join(out, f"{i:05d}.png"), "wb") as f:
            f.write(png(w, h, c, raw[i * size:(i + 1) * size]))
    with open(os.path.join(out, "SOURCE.txt"), "w") as f:
        f.write(f"The first {n} of the {total} images of {name} (sha256 of its pixels "
                f"{meta['sha256_decompressed']}), as lossless PNG files 00000.png to {n - 1:05d}.png.\n")
    print(f"rawpng: wrote {n} images of {name} ({w}x{h}x{c}) to {out}")


if __name__ == "__main__":
    main()
