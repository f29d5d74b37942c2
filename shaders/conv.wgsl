// Convolutions as implicit GEMMs (no im2col buffer). CPU twin: graph/cpu/conv.go.
// Geometry: input x [NB, CI, H, W], weight [CO, CI, KH, KW], output [NB, CO, OH, OW].
//   conv_forward:         y = conv(x, w):      M = CO, N = NB*OH*OW, K = CI*KH*KW
//   conv_backward_data:   gx = conv^T(gy, w):  M = CI, N = NB*H*W,  K = CO*KH*KW
//                         (also the forward of a transposed convolution)
//   conv_weight_grad:     dw[g] = sum over the group's images of gy_b col_b^T:
//                         M = CO, N = CI*KH*KW, K = S*OH*OW, one group per wid.z
//   conv_weight_grad_sqnorm: the same tiles, squared and summed in the workgroup: one partial
//                         per (group, tile); a reduce pass over the tiles finishes ||dw[g]||^2.
// These four run the tiled GEMM of gemm.wgsl; each has a direct variant (entry point + "_direct",
// below) for software adapters.
// Bindings: 1 = data-side operand (x or gy), 2 = second operand (w or gy), 3 = output.

// Params is the convolution: the sizes above, stride and padding (both axes alike), the weight
// gradient's group size S, and cols, the direct kernels' workgroup layout (block_origin).
struct Params {
    nb: u32,
    ci: u32,
    h: u32,
    w: u32,
    co: u32,
    kh: u32,
    kw: u32,
    oh: u32,
    ow: u32,
    stride: u32,
    pad: u32,
    group: u32,
    cols: u32,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// x_col reads the im2col element (k = (ci, i, j), column (b, oy, ox)) of input x = p.
fn x_col(g: Params, k: u32, b: u32, pix: u32) -> f32 {
    let j = k % g.kw;
    let i = (k / g.kw) % g.kh;
    let ci = k / (g.kw * g.kh);
    let oy = pix / g.ow;
    let ox = pix % g.ow;
    let iy = i32(oy * g.stride + i) - i32(g.pad);
    let ix = i32(ox * g.stride + j) - i32(g.pad);
    if (iy < 0 || ix < 0 || iy >= i32(g.h) || ix >= i32(g.w)) {
        return 0.0;
    }
    return p[((b * g.ci + ci) * g.h + u32(iy)) * g.w + u32(ix)];
}

// gy_col reads the element of the output gradient gy = p that reaches input pixel (iy, ix) through
// kernel tap k = (co, i, j), or 0 when no output position maps there.
fn gy_col(g: Params, k: u32, b: u32, pix: u32) -> f32 {
    let j = k % g.kw;
    let i = (k / g.kw) % g.kh;
    let co = k / (g.kw * g.kh);
    let ty = i32(pix / g.w) + i32(g.pad) - i32(i);
    let tx = i32(pix % g.w) + i32(g.pad) - i32(j);
    let s = i32(g.stride);
    if (ty < 0 || tx < 0 || ty % s != 0 || tx % s != 0) {
        return 0.0;
    }
    let oy = u32(ty / s);
    let ox = u32(tx / s);
    if (oy >= g.oh || ox >= g.ow) {
        return 0.0;
    }
    return p[((b * g.co + co) * g.oh + oy) * g.ow + ox];
}

// The tiled kernels' products, by kind:
const FORWARD: u32 = 0u;     // A = w as [CO, CI*KH*KW], B = x's im2col (x_col), C = y
const DATA: u32 = 1u;        // A[ci, (co, i, j)] = w[co, ci, i, j], B = gy at the input pixels
                             // (gy_col), C = gx
const WEIGHT_GRAD: u32 = 2u; // A = gy over the group's (image, pixel), B = x's im2col
                             // transposed, C = dw[grp]

// Gemm is one tiled product (gemm.wgsl): its size m x n x k, its kind, the convolution g, taps =
// KH*KW, plane the pixels per image along the columns (FORWARD: OH*OW, DATA: H*W) or along K
// (WEIGHT_GRAD: OH*OW), and for WEIGHT_GRAD the group grp and its first image.
struct Gemm {
    m: u32,
    n: u32,
    k: u32,
    kind: u32,
    g: Params,
    taps: u32,
    plane: u32,
    grp: u32,
    first: u32,
}

fn gemm_a(op: Gemm, m: u32, k: u32) -> f32 {
    switch op.kind {
        case FORWARD: {
            return q[m * op.k + k];
        }
        case DATA: { // w[co, ci = m, i, j] with k = (co, i, j)
            return q[((k / op.taps) * op.g.ci + m) * op.taps + k % op.taps];
        }
        default: { // gy[image, co = m, pixel] with k = (image in the group, pixel)
            return q[((op.first + k / op.plane) * op.g.co + m) * op.plane + k % op.plane];
        }
    }
}

fn gemm_b(op: Gemm, k: u32, n: u32) -> f32 {
    switch op.kind {
        case FORWARD: {
            return x_col(op.g, k, n / op.plane, n % op.plane);
        }
        case DATA: {
            return gy_col(op.g, k, n / op.plane, n % op.plane);
        }
        default: {
            return x_col(op.g, n, op.first + k / op.plane, k % op.plane);
        }
    }
}

fn gemm_c(op: Gemm, m: u32, n: u32, v: f32) {
    if (op.kind == WEIGHT_GRAD) {
        out[(op.grp * op.m + m) * op.n + n] = v;
        return;
    }
    out[((n / op.plane) * op.m + m) * op.plane + n % op.plane] = v;
}

@compute @workgroup_size(16, 16)
fn conv_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let g = prm;
    let taps = g.kh * g.kw;
    let plane = g.oh * g.ow;
    let op = Gemm(g.co, g.nb * plane, g.ci * taps, FORWARD, g, taps, plane, 0u, 0u);
    var acc: array<f32, 16>;
    gemm_tile(op, wid, l, &acc);
    gemm_store(op, wid, l, &acc);
}

@compute @workgroup_size(16, 16)
fn conv_backward_data(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let g = prm;
    let taps = g.kh * g.kw;
    let plane = g.h * g.w;
    let op = Gemm(g.ci, g.nb * plane, g.co * taps, DATA, g, taps, plane, 0u, 0u);
    var acc: array<f32, 16>;
    gemm_tile(op, wid, l, &acc);
    gemm_store(op, wid, l, &acc);
}

// weight_grad_gemm is group grp's weight gradient: rows co, columns k = (ci, i, j), contraction
// over (image in the group, output pixel). p = x, q = gy.
fn weight_grad_gemm(grp: u32) -> Gemm {
    let g = prm;
    let taps = g.kh * g.kw;
    let plane = g.oh * g.ow;
    return Gemm(g.co, g.ci * taps, g.group * plane, WEIGHT_GRAD, g, taps, plane, grp, grp * g.group);
}

@compute @workgroup_size(16, 16)
fn conv_weight_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let op = weight_grad_gemm(wid.z);
    var acc: array<f32, 16>;
    gemm_tile(op, wid, l, &acc);
    gemm_store(op, wid, l, &acc);
}

@compute @workgroup_size(16, 16)
fn conv_weight_grad_sqnorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(local_invocation_id) l: vec3<u32>) {
    let op = weight_grad_gemm(wid.z);
    var acc: array<f32, 16>;
    gemm_tile(op, wid, l, &acc);
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let m = wid.y * TM + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = wid.x * TN + l.x * 4u + j;
            if (m < op.m && n < op.n) {
                s += acc[i * 4u + j] * acc[i * 4u + j];
            }
        }
    }
    let tid = l.y * 16u + l.x;
    part[tid] = s;
    let total = sum_part(tid);
    if (tid == 0u) {
        let tiles = nwg.x * nwg.y;
        out[wid.z * tiles + wid.y * nwg.x + wid.x] = total;
    }
}

// Direct variants, for software adapters (lavapipe, SwiftShader): 4x4 blocks per invocation as
// in the tiled kernels, on a layout fitted to the product's shape (block_origin), but each
// invocation reads its operands straight from the buffers, with no workgroup memory and no
// barrier per K step (a CPU emulating a workgroup pays for every barrier; it has caches for the
// reuse that workgroup memory buys a GPU). The 4x4 block is four vec4 rows and every operand a
// vec4 built component by component: CPU JITs that do not unroll loops keep a dynamically
// indexed array in memory, a gather per access.

// block_origin is the first row and column of the invocation's 4x4 block. A workgroup's 256
// invocations lie on cols = prm.cols columns of blocks (a power of two the host picks from the
// product's shape, so that a product with few rows or few columns still fills the workgroup) and
// 256/cols rows.
fn block_origin(wid: vec3<u32>, lid: u32) -> vec2<u32> {
    let cols = prm.cols;
    return vec2<u32>((wid.y * (WG / cols) + lid / cols) * 4u, (wid.x * cols + lid % cols) * 4u);
}

// Block4 is an invocation's 4x4 block: rows r0..r3.
struct Block4 {
    r0: vec4<f32>,
    r1: vec4<f32>,
    r2: vec4<f32>,
    r3: vec4<f32>,
}

// outer adds the outer product a b^T to blk.
fn outer(blk: ptr<function, Block4>, a: vec4<f32>, b: vec4<f32>) {
    (*blk).r0 += a.x * b;
    (*blk).r1 += a.y * b;
    (*blk).r2 += a.z * b;
    (*blk).r3 += a.w * b;
}

fn block_row(blk: Block4, i: u32) -> vec4<f32> {
    switch i {
        case 0u: { return blk.r0; }
        case 1u: { return blk.r1; }
        case 2u: { return blk.r2; }
        default: { return blk.r3; }
    }
}

// Col is one output column of a GEMM over an [NB, C, H, W] image's pixels (b, y, x): the image's
// offset, the pixel's row and column, and whether the column exists.
struct Col {
    base: u32,
    y: i32,
    x: i32,
    ok: bool,
}

fn col_of(n: u32, count: u32, per_image: u32, wide: u32, image: u32) -> Col {
    let col = min(n, count - 1u);
    let pix = col % per_image;
    return Col((col / per_image) * image, i32(pix / wide), i32(pix % wide), n < count);
}

// The operand readers below branch on nothing: they load from a clamped, always valid index and
// select 0 where the element does not exist, which keeps software adapters' shader compilers
// (SwiftShader's blows up on branchy inlined code) fast.

// q_at is q[i], or 0 where the row does not exist (ok false; i is then clamped into q).
fn q_at(ok: bool, i: u32) -> f32 {
    return select(0.0, q[min(i, arrayLength(&q) - 1u)], ok);
}

// x_at is x = p at (channel plane, y, x) of the image at base, 0 outside it (padding).
fn x_at(g: Params, c: Col, plane: u32, y: i32, x: i32) -> f32 {
    let inside = c.ok && y >= 0 && x >= 0 && y < i32(g.h) && x < i32(g.w);
    let yy = u32(clamp(y, 0, i32(g.h) - 1));
    let xx = u32(clamp(x, 0, i32(g.w) - 1));
    return select(0.0, p[c.base + (plane * g.h + yy) * g.w + xx], inside);
}

// store_block writes blk to an output laid out [NB, M, P] with columns (b, pixel): rows m0..,
// columns n0...
fn store_block(blk: Block4, m0: u32, n0: u32, M: u32, N: u32, P: u32) {
    for (var i = 0u; i < 4u; i++) {
        let row = block_row(blk, i);
        let m = m0 + i;
        for (var j = 0u; j < 4u; j++) {
            let n = n0 + j;
            if (m < M && n < N) {
                out[((n / P) * M + m) * P + n % P] = row[j];
            }
        }
    }
}

// pointwise reports whether the convolution is 1x1, stride 1, unpadded: a plain product per
// image, whose kernels below read every operand without bounds arithmetic.
fn pointwise(g: Params) -> bool {
    return g.kh == 1u && g.kw == 1u && g.stride == 1u && g.pad == 0u;
}

// p_at is p[i] where ok, else 0 (i clamped into p).
fn p_at(ok: bool, i: u32) -> f32 {
    return select(0.0, p[min(i, arrayLength(&p) - 1u)], ok);
}

// pointwise_block is the 4x4 block of a pointwise convolution's GEMM: rows m0.. of M with
// a[m, k] = q[m*am + k*ak], columns c0..c3 with b[k, n] = p[image offset + k*plane + pixel].
fn pointwise_block(m0: u32, M: u32, K: u32, am: u32, ak: u32, c0: Col, c1: Col, c2: Col, c3: Col,
                   wide: u32, plane: u32) -> Block4 {
    let i0 = c0.base + u32(c0.y) * wide + u32(c0.x);
    let i1 = c1.base + u32(c1.y) * wide + u32(c1.x);
    let i2 = c2.base + u32(c2.y) * wide + u32(c2.x);
    let i3 = c3.base + u32(c3.y) * wide + u32(c3.x);
    var blk: Block4;
    for (var k = 0u; k < K; k++) {
        let w0 = m0 * am + k * ak;
        let a = vec4<f32>(q_at(true, w0), q_at(m0 + 1u < M, w0 + am), q_at(m0 + 2u < M, w0 + 2u * am),
                          q_at(m0 + 3u < M, w0 + 3u * am));
        let off = k * plane;
        let b = vec4<f32>(p_at(c0.ok, i0 + off), p_at(c1.ok, i1 + off), p_at(c2.ok, i2 + off), p_at(c3.ok, i3 + off));
        outer(&blk, a, b);
    }
    return blk;
}

@compute @workgroup_size(16, 16)
fn conv_forward_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = prm;
    let P = g.oh * g.ow;
    let N = g.nb * P;
    let K = g.ci * g.kh * g.kw;
    let o = block_origin(wid, lid);
    let m0 = o.x;
    let n0 = o.y;
    if (m0 >= g.co || n0 >= N) {
        return;
    }
    let image = g.ci * g.h * g.w;
    let c0 = col_of(n0, N, P, g.ow, image);
    let c1 = col_of(n0 + 1u, N, P, g.ow, image);
    let c2 = col_of(n0 + 2u, N, P, g.ow, image);
    let c3 = col_of(n0 + 3u, N, P, g.ow, image);
    if (pointwise(g)) {
        store_block(pointwise_block(m0, g.co, K, K, 1u, c0, c1, c2, c3, g.w, g.h * g.w), m0, n0, g.co, N, P);
        return;
    }
    let s = i32(g.stride);
    let pad = i32(g.pad);
    var blk: Block4;
    for (var ci = 0u; ci < g.ci; ci++) {
        for (var ky = 0u; ky < g.kh; ky++) {
            let dy = i32(ky) - pad;
            for (var kx = 0u; kx < g.kw; kx++) {
                let dx = i32(kx) - pad;
                let k = (ci * g.kh + ky) * g.kw + kx;
                let a = vec4<f32>(q_at(true, m0 * K + k), q_at(m0 + 1u < g.co, (m0 + 1u) * K + k),
                                  q_at(m0 + 2u < g.co, (m0 + 2u) * K + k), q_at(m0 + 3u < g.co, (m0 + 3u) * K + k));
                let b = vec4<f32>(x_at(g, c0, ci, c0.y * s + dy, c0.x * s + dx), x_at(g, c1, ci, c1.y * s + dy, c1.x * s + dx),
                                  x_at(g, c2, ci, c2.y * s + dy, c2.x * s + dx), x_at(g, c3, ci, c3.y * s + dy, c3.x * s + dx));
                outer(&blk, a, b);
            }
        }
    }
    store_block(blk, m0, n0, g.co, N, P);
}

// gy_at is gy = p at output channel co (planes of size plane) at the output position that
// reaches column c's pixel through tap offset (dy, dx), 0 where none does. Stride 1 only: a
// division per tap made SwiftShader's compiler take 15 s over this kernel.
fn gy_at(g: Params, c: Col, co: u32, plane: u32, dy: i32, dx: i32) -> f32 {
    let oy = c.y - dy;
    let ox = c.x - dx;
    let ok = c.ok && oy >= 0 && ox >= 0 && oy < i32(g.oh) && ox < i32(g.ow);
    let yy = u32(clamp(oy, 0, i32(g.oh) - 1));
    let xx = u32(clamp(ox, 0, i32(g.ow) - 1));
    return select(0.0, p[c.base + co * plane + yy * g.ow + xx], ok);
}

// conv_backward_data_direct takes stride 1 only; the host runs conv_backward_data otherwise.
@compute @workgroup_size(16, 16)
fn conv_backward_data_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = prm;
    let HW = g.h * g.w;
    let N = g.nb * HW;
    let KK = g.kh * g.kw;
    let o = block_origin(wid, lid);
    let m0 = o.x;
    let n0 = o.y;
    if (m0 >= g.ci || n0 >= N) {
        return;
    }
    let plane = g.oh * g.ow;
    let image = g.co * plane;
    let c0 = col_of(n0, N, HW, g.w, image);
    let c1 = col_of(n0 + 1u, N, HW, g.w, image);
    let c2 = col_of(n0 + 2u, N, HW, g.w, image);
    let c3 = col_of(n0 + 3u, N, HW, g.w, image);
    if (pointwise(g)) { // w[co = k, ci = m]
        store_block(pointwise_block(m0, g.ci, g.co, 1u, g.ci, c0, c1, c2, c3, g.w, plane), m0, n0, g.ci, N, HW);
        return;
    }
    var blk: Block4;
    for (var co = 0u; co < g.co; co++) {
        for (var ky = 0u; ky < g.kh; ky++) {
            let dy = i32(ky) - i32(g.pad);
            for (var kx = 0u; kx < g.kw; kx++) {
                let dx = i32(kx) - i32(g.pad);
                // w[co, ci = m, ky, kx]
                let w0 = (co * g.ci + m0) * KK + ky * g.kw + kx;
                let a = vec4<f32>(q_at(true, w0), q_at(m0 + 1u < g.ci, w0 + KK), q_at(m0 + 2u < g.ci, w0 + 2u * KK),
                                  q_at(m0 + 3u < g.ci, w0 + 3u * KK));
                let b = vec4<f32>(gy_at(g, c0, co, plane, dy, dx), gy_at(g, c1, co, plane, dy, dx),
                                  gy_at(g, c2, co, plane, dy, dx), gy_at(g, c3, co, plane, dy, dx));
                outer(&blk, a, b);
            }
        }
    }
    store_block(blk, m0, n0, g.ci, N, HW);
}

// Tap is one weight-gradient column k = (ci, ky, kx): its input plane, its offsets, whether it
// exists.
struct Tap {
    ci: u32,
    dy: i32,
    dx: i32,
    ok: bool,
}

fn tap_of(g: Params, n: u32, count: u32) -> Tap {
    let k = min(n, count - 1u);
    return Tap(k / (g.kw * g.kh), i32((k / g.kw) % g.kh) - i32(g.pad), i32(k % g.kw) - i32(g.pad), n < count);
}

// x_tap is x = p of image b at output position (oy, ox) through tap t, 0 in the padding.
fn x_tap(g: Params, t: Tap, b: u32, oy: u32, ox: u32) -> f32 {
    let y = i32(oy * g.stride) + t.dy;
    let x = i32(ox * g.stride) + t.dx;
    let inside = t.ok && y >= 0 && x >= 0 && y < i32(g.h) && x < i32(g.w);
    let yy = u32(clamp(y, 0, i32(g.h) - 1));
    let xx = u32(clamp(x, 0, i32(g.w) - 1));
    return select(0.0, p[((b * g.ci + t.ci) * g.h + yy) * g.w + xx], inside);
}

// weight_grad_direct is the invocation's 4x4 block of group grp's weight gradient (rows co from
// m0, columns k = (ci, i, j) from n0), summed over the group's images and output pixels:
// p = x, q = gy.
fn weight_grad_direct(g: Params, m0: u32, n0: u32, grp: u32) -> Block4 {
    let N = g.ci * g.kh * g.kw;
    let t0 = tap_of(g, n0, N);
    let t1 = tap_of(g, n0 + 1u, N);
    let t2 = tap_of(g, n0 + 2u, N);
    let t3 = tap_of(g, n0 + 3u, N);
    let plane = g.oh * g.ow;
    var blk: Block4;
    if (pointwise(g)) { // dw[co, ci] = sum over images and pixels of gy[b, co, pix] x[b, ci, pix]
        for (var b = grp * g.group; b < (grp + 1u) * g.group; b++) {
            let q0 = (b * g.co + m0) * plane;
            let x0 = (b * g.ci + n0) * plane;
            for (var pix = 0u; pix < plane; pix++) {
                let a = vec4<f32>(q_at(true, q0 + pix), q_at(m0 + 1u < g.co, q0 + plane + pix),
                                  q_at(m0 + 2u < g.co, q0 + 2u * plane + pix), q_at(m0 + 3u < g.co, q0 + 3u * plane + pix));
                let v = vec4<f32>(p_at(t0.ok, x0 + pix), p_at(t1.ok, x0 + plane + pix), p_at(t2.ok, x0 + 2u * plane + pix),
                                  p_at(t3.ok, x0 + 3u * plane + pix));
                outer(&blk, a, v);
            }
        }
        return blk;
    }
    for (var b = grp * g.group; b < (grp + 1u) * g.group; b++) {
        for (var oy = 0u; oy < g.oh; oy++) {
            for (var ox = 0u; ox < g.ow; ox++) {
                let q0 = ((b * g.co + m0) * g.oh + oy) * g.ow + ox;
                let a = vec4<f32>(q_at(true, q0), q_at(m0 + 1u < g.co, q0 + plane), q_at(m0 + 2u < g.co, q0 + 2u * plane),
                                  q_at(m0 + 3u < g.co, q0 + 3u * plane));
                let v = vec4<f32>(x_tap(g, t0, b, oy, ox), x_tap(g, t1, b, oy, ox), x_tap(g, t2, b, oy, ox),
                                  x_tap(g, t3, b, oy, ox));
                outer(&blk, a, v);
            }
        }
    }
    return blk;
}

@compute @workgroup_size(16, 16)
fn conv_weight_grad_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = prm;
    let N = g.ci * g.kh * g.kw;
    let o = block_origin(wid, lid);
    let m0 = o.x;
    let n0 = o.y;
    if (m0 >= g.co || n0 >= N) {
        return;
    }
    let blk = weight_grad_direct(g, m0, n0, wid.z);
    for (var i = 0u; i < 4u; i++) {
        let row = block_row(blk, i);
        for (var j = 0u; j < 4u; j++) {
            if (m0 + i < g.co && n0 + j < N) {
                out[(wid.z * g.co + m0 + i) * N + n0 + j] = row[j];
            }
        }
    }
}

// conv_weight_grad_sqnorm_direct: one partial per (group, tile) like conv_weight_grad_sqnorm;
// its only barriers are the two of the final sum.
@compute @workgroup_size(16, 16)
fn conv_weight_grad_sqnorm_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                                  @builtin(local_invocation_index) lid: u32) {
    let g = prm;
    let N = g.ci * g.kh * g.kw;
    let o = block_origin(wid, lid);
    let m0 = o.x;
    let n0 = o.y;
    var s = 0.0;
    if (m0 < g.co && n0 < N) {
        let blk = weight_grad_direct(g, m0, n0, wid.z);
        s = dot(blk.r0, blk.r0) + dot(blk.r1, blk.r1) + dot(blk.r2, blk.r2) + dot(blk.r3, blk.r3);
    }
    part[lid] = s;
    let total = sum_part(lid);
    if (lid == 0u) {
        let tiles = nwg.x * nwg.y;
        out[wid.z * tiles + wid.y * nwg.x + wid.x] = total;
    }
}
