// Elementwise kernels. CPU twin: graph/cpu/elementwise.go.
//   unary:  y[i] = f(a[i]), f chosen by prm[1] (graph.UnaryFn order); prm = [n, fn]
//   affine: y[i] = a[i]*scale + shift; prm = [n, scale bits, shift bits]
//   binary: y = f(a, b) with broadcasting over a strided view of rank <= 6;
//           prm = [n, fn, rank, shape[6], strides of a[6], strides of b[6]] (y is contiguous)

@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

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

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm[0]) {
        return;
    }
    y[i] = unary_fn(prm[1], a[i]);
}

@compute @workgroup_size(256)
fn affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm[0]) {
        return;
    }
    y[i] = a[i] * bitcast<f32>(prm[1]) + bitcast<f32>(prm[2]);
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm[0]) {
        return;
    }
    let rank = prm[2];
    var rem = i;
    var ia = 0u;
    var ib = 0u;
    for (var d = rank; d > 0u; d--) {
        let s = prm[2u + d];
        let q = rem % s;
        rem = rem / s;
        ia += q * prm[8u + d];
        ib += q * prm[14u + d];
    }
    let x = a[ia];
    let z = b[ib];
    switch prm[1] {
        case 0u: { y[i] = x + z; }
        case 1u: { y[i] = x - z; }
        case 2u: { y[i] = x * z; }
        default: { y[i] = x / z; }
    }
}
