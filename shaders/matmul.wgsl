// Batched matrix product C = op(A) op(B) over the last two axes, with broadcast batch axes.
// CPU twin: graph/cpu/matmul.go. The tiled GEMM of gemm.wgsl: a 16x16 workgroup computes a 64x64
// tile of one batch (wid.z), 4x4 outputs per invocation in registers, K staged through workgroup
// memory TK (16 or 32) at a time.

// Params: the product is M x K times K x N; trans_a and trans_b (0 or 1) say that A is stored
// K x M and B N x K. Batch index wid.z walks the batch view (its first batch_rank axes, outermost
// first), whose strides, counted in whole matrices, give the matrices of A and B; C is contiguous.
struct Params {
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    batch_rank: u32,
    batch_shape: array<u32, 4>,
    a_strides: array<u32, 4>,
    b_strides: array<u32, 4>,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// Gemm is one batch's product: the offsets of its A, B and C matrices.
struct Gemm {
    m: u32,
    n: u32,
    k: u32,
    trans_a: bool,
    trans_b: bool,
    aoff: u32,
    boff: u32,
    coff: u32,
}

fn gemm_a(op: Gemm, m: u32, k: u32) -> f32 {
    if (op.trans_a) {
        return a[op.aoff + k * op.m + m];
    }
    return a[op.aoff + m * op.k + k];
}

fn gemm_b(op: Gemm, k: u32, n: u32) -> f32 {
    if (op.trans_b) {
        return b[op.boff + n * op.k + k];
    }
    return b[op.boff + k * op.n + n];
}

fn gemm_c(op: Gemm, m: u32, n: u32, v: f32) {
    c[op.coff + m * op.n + n] = v;
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let M = prm.m;
    let N = prm.n;
    let K = prm.k;
    var rem = wid.z;
    var ab = 0u;
    var bb = 0u;
    for (var d = prm.batch_rank; d > 0u; d--) {
        let s = prm.batch_shape[d - 1u];
        let q = rem % s;
        rem = rem / s;
        ab += q * prm.a_strides[d - 1u];
        bb += q * prm.b_strides[d - 1u];
    }
    let op = Gemm(M, N, K, prm.trans_a != 0u, prm.trans_b != 0u, ab * M * K, bb * K * N, wid.z * M * N);
    var acc: array<f32, 16>;
    gemm_tile(op, wid, l, &acc);
    gemm_store(op, wid, l, &acc);
}
