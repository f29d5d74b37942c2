// The tiled GEMM shared by matmul.wgsl and conv.wgsl (appended to common.wgsl before either):
// a 16x16 workgroup computes a TM x TN tile of C = A B, each invocation a 4x4 block held in
// registers; K advances through workgroup memory TK at a time. As is k-major [TK][TM], Bs
// [TK][TN]. The host sets TK from the adapter's workgroup storage limit (shaders.Options.KStep:
// 16 by default, 32 where 32 KiB or more is available).
//
// A family that includes this file defines what the product reads and writes:
//   struct Gemm               one product: at least m, n, k (its size, all u32), and whatever
//                             the three functions below need;
//   fn gemm_a(op: Gemm, m: u32, k: u32) -> f32     element (m, k) of A;
//   fn gemm_b(op: Gemm, k: u32, n: u32) -> f32     element (k, n) of B;
//   fn gemm_c(op: Gemm, m: u32, n: u32, v: f32)    writes v to element (m, n) of C.
// They are called for elements inside the product only; gemm_tile stages zeros outside it.

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> As: array<f32, TK * TM>;
var<workgroup> Bs: array<f32, TK * TN>;

// tile_mma accumulates As^T Bs into the 4x4 block of invocation (tx, ty): rows ty*4+i, cols tx*4+j.
fn tile_mma(acc: ptr<function, array<f32, 16>>, tx: u32, ty: u32) {
    for (var k = 0u; k < TK; k++) {
        let a = vec4<f32>(As[k * TM + ty * 4u], As[k * TM + ty * 4u + 1u], As[k * TM + ty * 4u + 2u], As[k * TM + ty * 4u + 3u]);
        let b = vec4<f32>(Bs[k * TN + tx * 4u], Bs[k * TN + tx * 4u + 1u], Bs[k * TN + tx * 4u + 2u], Bs[k * TN + tx * 4u + 3u]);
        for (var i = 0u; i < 4u; i++) {
            (*acc)[i * 4u] += a[i] * b[0];
            (*acc)[i * 4u + 1u] += a[i] * b[1];
            (*acc)[i * 4u + 2u] += a[i] * b[2];
            (*acc)[i * 4u + 3u] += a[i] * b[3];
        }
    }
}

// gemm_tile accumulates into acc the 4x4 block of invocation l of tile (wid.x, wid.y) of op:
// rows wid.y*TM + l.y*4 + i, columns wid.x*TN + l.x*4 + j. Every invocation of the workgroup
// must call it (barriers).
fn gemm_tile(op: Gemm, wid: vec3<u32>, l: vec3<u32>, acc: ptr<function, array<f32, 16>>) {
    let tid = l.y * 16u + l.x;
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    for (var k0 = 0u; k0 < op.k; k0 += TK) {
        // TM == TN: each e stages one element of As and one of Bs.
        for (var e = tid; e < TM * TK; e += WG) {
            let m = row0 + e / TK;
            let k = k0 + e % TK;
            var av = 0.0;
            if (m < op.m && k < op.k) {
                av = gemm_a(op, m, k);
            }
            As[(e % TK) * TM + e / TK] = av;
            let kb = k0 + e / TN;
            let n = col0 + e % TN;
            var bv = 0.0;
            if (kb < op.k && n < op.n) {
                bv = gemm_b(op, kb, n);
            }
            Bs[e] = bv;
        }
        workgroupBarrier();
        tile_mma(acc, l.x, l.y);
        workgroupBarrier();
    }
}

// gemm_store writes the block gemm_tile accumulated through gemm_c, where it lies inside the
// product.
fn gemm_store(op: Gemm, wid: vec3<u32>, l: vec3<u32>, acc: ptr<function, array<f32, 16>>) {
    for (var i = 0u; i < 4u; i++) {
        let m = wid.y * TM + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = wid.x * TN + l.x * 4u + j;
            if (m < op.m && n < op.n) {
                gemm_c(op, m, n, (*acc)[i * 4u + j]);
            }
        }
    }
}
