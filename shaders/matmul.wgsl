// Batched matrix product C = op(A) op(B) over the last two axes, with broadcast batch axes.
// CPU twin: graph/cpu/matmul.go. A 16x16 workgroup computes a 64x64 tile of one batch (wid.z),
// 4x4 outputs per invocation in registers, K staged through workgroup memory 16 at a time.
//   prm = [M, N, K, transA, transB, batch rank, batch shape[4], A batch strides[4],
//           B batch strides[4]]  (strides counted in whole matrices)

@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn a_at(off: u32, m: u32, k: u32, M: u32, K: u32) -> f32 {
    if (m >= M || k >= K) {
        return 0.0;
    }
    if (prm[3] != 0u) {
        return a[off + k * M + m];
    }
    return a[off + m * K + k];
}

fn b_at(off: u32, k: u32, n: u32, K: u32, N: u32) -> f32 {
    if (k >= K || n >= N) {
        return 0.0;
    }
    if (prm[4] != 0u) {
        return b[off + n * K + k];
    }
    return b[off + k * N + n];
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let M = prm[0];
    let N = prm[1];
    let K = prm[2];
    let tid = l.y * 16u + l.x;
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    var rem = wid.z;
    var ab = 0u;
    var bb = 0u;
    for (var d = prm[5]; d > 0u; d--) {
        let s = prm[5u + d];
        let q = rem % s;
        rem = rem / s;
        ab += q * prm[9u + d];
        bb += q * prm[13u + d];
    }
    let aoff = ab * M * K;
    let boff = bb * K * N;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < K; k0 += TK) {
        for (var e = tid; e < TM * TK; e += WG) {
            let m = e / TK;
            let k = e % TK;
            As[k * TM + m] = a_at(aoff, row0 + m, k0 + k, M, K);
            let kb = e / TN;
            let n = e % TN;
            Bs[kb * TN + n] = b_at(boff, k0 + kb, col0 + n, K, N);
        }
        workgroupBarrier();
        tile_mma(&acc, l.x, l.y);
        workgroupBarrier();
    }
    let coff = wid.z * M * N;
    for (var i = 0u; i < 4u; i++) {
        let m = row0 + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = col0 + l.x * 4u + j;
            if (m < M && n < N) {
                c[coff + m * N + n] = acc[i * 4u + j];
            }
        }
    }
}
