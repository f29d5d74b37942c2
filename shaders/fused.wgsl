// Fused element-wise chains (graph.Fused): one kernel computes a chain's members element by
// element in registers and writes only the values needed outside it. CPU twin:
// graph/cpu/fused.go. This file is the skeleton; shaders.Fused fills in the marked lines with a
// chain's bindings, the lengths of Params' arrays and the member expressions (and leaves out the
// strided section where no input is strided), so each distinct chain (ops and operand wiring,
// not sizes) is one module.
//   n is the domain's size (fused) or the number of reduction outputs (fused_rows, fused_small);
//   the domain is the chain's element-wise shape, contiguous, merged to at most 6 axes (the first
//   rank of shape, outermost first). views holds the strided inputs' views over the domain, in
//   input order (the dense inputs are indexed like the domain), affine the affine members' scale
//   and shift, in member order; either is left out of a chain that has none. red describes a
//   final reduction (struct Reduction, common.wgsl), zero in a chain without one.
//   fused:       one invocation per domain element.
//   fused_rows:  one workgroup per reduction output, summed in workgroup memory (sum_part; long
//                rows).
//   fused_small: one invocation per reduction output (short rows).

// View is a strided input's offset and strides over the domain.
struct View {
    offset: u32,
    strides: array<u32, 6>,
}

// Affine is an affine member's scale and shift.
struct Affine {
    scale: f32,
    shift: f32,
}

struct Params {
    n: u32,
    rank: u32,
    shape: array<u32, 6>,
    red: Reduction,
    // @views
    // @affine
}

@group(0) @binding(0) var<storage, read> prm: Params;
// @bindings

// @begin strided
// view_offset maps domain element i to the element of strided input v (prm.views[v]).
fn view_offset(i: u32, v: u32) -> u32 {
    var rem = i;
    var off = prm.views[v].offset;
    for (var d = prm.rank; d > 0u; d--) {
        let s = prm.shape[d - 1u];
        off += (rem % s) * prm.views[v].strides[d - 1u];
        rem = rem / s;
    }
    return off;
}
// @end strided

// value computes the members at domain element i, writes the stored ones, and returns the
// member a final reduction reads (the last member otherwise).
fn value(i: u32) -> f32 {
    // @values
}

// element maps (reduction output o, reduced element j) to its domain element.
fn element(o: u32, j: u32) -> u32 {
    return kept_offset(prm.red, o) + red_offset(prm.red, j);
}

// term is what the reduction accumulates of value v: v, or v*v for a sum of squares.
fn term(v: f32) -> f32 {
    if (REDUCE_FN == 3u) {
        return v * v;
    }
    return v;
}

// finish turns a row's accumulated terms into the reduction's value (the mean divides).
fn finish(acc: f32) -> f32 {
    if (REDUCE_FN == 1u) {
        return acc / f32(prm.red.count);
    }
    return acc;
}

@compute @workgroup_size(256)
fn fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm.n) {
        return;
    }
    _ = value(i);
}

// Barriers sit only in control flow that is uniform by construction, as in reduce.wgsl.
@compute @workgroup_size(256)
fn fused_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    let o = flat_group(wid, nwg);
    let live = o < prm.n;
    let count = prm.red.count;
    var acc = 0.0;
    if (live) {
        for (var j = lid; j < count; j += WG) {
            acc += term(value(element(o, j)));
        }
    }
    part[lid] = acc;
    let total = sum_part(lid);
    if (live && lid == 0u) {
        reduced[out_at(prm.red, o)] = finish(total);
    }
}

@compute @workgroup_size(256)
fn fused_small(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let o = linear_id(wid, nwg, lid);
    if (o >= prm.n) {
        return;
    }
    let count = prm.red.count;
    var acc = 0.0;
    for (var j = 0u; j < count; j++) {
        acc += term(value(element(o, j)));
    }
    reduced[out_at(prm.red, o)] = finish(acc);
}
