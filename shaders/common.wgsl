// Shared by every kernel family: workgroup geometry, a 64x64 register-blocked GEMM tile step,
// and numerically careful scalar functions. Each family's file is appended to this one.
//
// Conventions: binding 0 of every kernel is `prm`, an array<u32> of sizes, strides and
// attributes written by the host (floats as their bit patterns); 1-D kernels run 256 invocations
// per workgroup on a 2-D grid of workgroups (WebGPU allows at most 65535 per dimension).

const WG: u32 = 256u;

fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.x + wid.y * nwg.x) * WG + lid;
}

fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// GEMM tiles: a 16x16 workgroup computes a TM x TN tile of C, each invocation a 4x4 block held in
// registers; K advances through workgroup memory TK at a time. As is k-major [TK][TM], Bs [TK][TN].
// The host sets TK from the adapter's workgroup storage limit (16 by default, 32 where 32 KiB or
// more is available).
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

// Reductions in workgroup memory: each invocation of a WG-wide workgroup writes part[lid], then
// sum_part adds them up in two steps (16 lanes sum 16 values each, one lane sums those), so that
// a workgroup waits at two barriers rather than the eight of a tree: barriers are what software
// adapters pay most for.
var<workgroup> part: array<f32, 256>;
var<workgroup> part16: array<f32, 16>;

// sum_part returns the sum of part[0..WG) to invocation 0 (others get partial values); every
// invocation of the workgroup must call it.
fn sum_part(lid: u32) -> f32 {
    workgroupBarrier();
    if (lid < 16u) {
        var s = 0.0;
        for (var k = 0u; k < 16u; k++) {
            s += part[lid * 16u + k];
        }
        part16[lid] = s;
    }
    workgroupBarrier();
    var t = 0.0;
    if (lid == 0u) {
        for (var k = 0u; k < 16u; k++) {
            t += part16[k];
        }
    }
    return t;
}

fn sigmoid_f(x: f32) -> f32 {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

// log1p_f is log(1+u) for u >= 0, accurate for small u.
fn log1p_f(u: f32) -> f32 {
    if (u < 1e-4) {
        return u * (1.0 - u * (0.5 - u / 3.0));
    }
    return log(1.0 + u);
}

fn softplus_f(x: f32) -> f32 {
    return max(x, 0.0) + log1p_f(exp(-abs(x)));
}

fn tanh_f(x: f32) -> f32 {
    let t = exp(-2.0 * abs(x));
    return sign(x) * (1.0 - t) / (1.0 + t);
}
