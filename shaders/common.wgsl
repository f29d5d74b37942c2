// Shared by every kernel family: workgroup geometry, the reduction parameters, workgroup sums
// and numerically careful scalar functions. Each family's file is appended to this one (matmul's
// and conv's after gemm.wgsl).
//
// Conventions: binding 0 of every kernel is `prm`, a read-only storage buffer holding the
// family's struct Params (sizes, strides, attributes) written by the host from the Go struct of
// the same fields (gpu/params.go); its fields are 4-byte scalars and arrays of them, so the
// layout has no padding. 1-D kernels run 256 invocations per workgroup on a 2-D grid of
// workgroups (WebGPU allows at most 65535 per dimension).

const WG: u32 = 256u;

fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.x + wid.y * nwg.x) * WG + lid;
}

fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// Reduction is the part of Params that describes a reduction over strided views (reduce.wgsl,
// fused.wgsl): output o accumulates the input elements at kept(o) + reduced(j) for j < count,
// kept and reduced mapping an index to an offset through their view (the first rank entries of
// shape and strides, outermost axis first), and is written to element out_offset + o*out_stride
// of the output.
struct Reduction {
    kept_rank: u32,
    kept_shape: array<u32, 6>,
    kept_strides: array<u32, 6>,
    reduced_rank: u32,
    reduced_shape: array<u32, 6>,
    reduced_strides: array<u32, 6>,
    count: u32,
    out_offset: u32,
    out_stride: u32,
}

// kept_offset is the offset of reduction output o in the reduced value (r's kept view).
fn kept_offset(r: Reduction, o: u32) -> u32 {
    var rem = o;
    var off = 0u;
    for (var d = r.kept_rank; d > 0u; d--) {
        let s = r.kept_shape[d - 1u];
        off += (rem % s) * r.kept_strides[d - 1u];
        rem = rem / s;
    }
    return off;
}

// red_offset is the offset of the j-th reduced element within one output's row (r's reduced
// view).
fn red_offset(r: Reduction, j: u32) -> u32 {
    var rem = j;
    var off = 0u;
    for (var d = r.reduced_rank; d > 0u; d--) {
        let s = r.reduced_shape[d - 1u];
        off += (rem % s) * r.reduced_strides[d - 1u];
        rem = rem / s;
    }
    return off;
}

// out_at is where output o is written: r.out_offset + o * r.out_stride.
fn out_at(r: Reduction, o: u32) -> u32 {
    return r.out_offset + o * r.out_stride;
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

// unary_fn is graph.UnaryFn f of x (the elementwise and fused kernels).
fn unary_fn(f: u32, x: f32) -> f32 {
    switch f {
        case 0u: { return -x; }
        case 1u: { return exp(x); }
        case 2u: { return log(x); }
        case 3u: { return sqrt(x); }
        case 4u: { return x * x; }
        case 5u: { return abs(x); }
        case 6u: { return sigmoid_f(x); }
        case 7u: { return tanh_f(x); }
        case 8u: { return max(x, 0.0); }
        case 9u: { return x * sigmoid_f(x); }
        case 10u: { return softplus_f(x); }
        case 11u: { return -softplus_f(-x); }
        case 12u: { return sign(x); }
        case 13u: { return select(0.0, 1.0, x > 0.0); }
        default: { return x; }
    }
}

// binary_fn is graph.BinaryFn f of x and z.
fn binary_fn(f: u32, x: f32, z: f32) -> f32 {
    switch f {
        case 0u: { return x + z; }
        case 1u: { return x - z; }
        case 2u: { return x * z; }
        default: { return x / z; }
    }
}
