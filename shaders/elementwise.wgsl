// Elementwise kernels. CPU twin: graph/cpu/elementwise.go. y has n elements, contiguous.
//   unary:  y[i] = f(a[i]), f = op (graph.UnaryFn order)
//   affine: y[i] = a[i]*scale + shift
//   binary: y = f(a, b), f = op (graph.BinaryFn order), with broadcasting: y's index walks the
//           view (shape, of rank <= 6) and a and b are read through their strides in it
// Each kernel reads only its own fields of Params.

struct Params {
    n: u32,
    op: u32,
    scale: f32,
    shift: f32,
    rank: u32,
    shape: array<u32, 6>,
    a_strides: array<u32, 6>,
    b_strides: array<u32, 6>,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm.n) {
        return;
    }
    y[i] = unary_fn(prm.op, a[i]);
}

@compute @workgroup_size(256)
fn affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm.n) {
        return;
    }
    y[i] = a[i] * prm.scale + prm.shift;
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm.n) {
        return;
    }
    var rem = i;
    var ia = 0u;
    var ib = 0u;
    for (var d = prm.rank; d > 0u; d--) {
        let s = prm.shape[d - 1u];
        let q = rem % s;
        rem = rem / s;
        ia += q * prm.a_strides[d - 1u];
        ib += q * prm.b_strides[d - 1u];
    }
    let x = a[ia];
    let z = b[ib];
    y[i] = binary_fn(prm.op, x, z);
}
