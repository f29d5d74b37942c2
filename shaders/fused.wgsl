// Fused element-wise chains (graph.Fused): one kernel computes a chain's members element by
// element in registers and writes only the values needed outside it. CPU twin:
// graph/cpu/fused.go. This file is the skeleton; shaders.Fused fills in the marked lines with a
// chain's bindings and member expressions, so each distinct chain (ops and operand wiring, not
// sizes) is one module.
//   prm = [n, rank, domain shape[6], per strided input: offset, strides[6], per affine member:
//          scale bits, shift bits, and for a chain ending in a reduction: kept rank, kept
//          shape[6], kept strides[6], reduced rank, reduced shape[6], reduced strides[6], count,
//          output offset, output stride: output o goes to reduced[offset + o*stride]]
//   n is the domain's size (fused) or the number of reduction outputs (fused_rows, fused_small);
//   the domain is the chain's element-wise shape, contiguous, merged to at most 6 axes.
//   fused:       one invocation per domain element.
//   fused_rows:  one workgroup per reduction output, a tree sum in workgroup memory (long rows).
//   fused_small: one invocation per reduction output (short rows).

@group(0) @binding(0) var<storage, read> prm: array<u32>;
// @bindings


// view_offset maps domain element i to the element of the strided input whose offset and
// strides start at prm[base].
fn view_offset(i: u32, base: u32) -> u32 {
    var rem = i;
    var off = prm[base];
    for (var d = prm[1]; d > 0u; d--) {
        let s = prm[1u + d];
        off += (rem % s) * prm[base + d];
        rem = rem / s;
    }
    return off;
}

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

fn binary_fn(f: u32, x: f32, z: f32) -> f32 {
    switch f {
        case 0u: { return x + z; }
        case 1u: { return x - z; }
        case 2u: { return x * z; }
        default: { return x / z; }
    }
}

// value computes the members at domain element i, writes the stored ones, and returns the
// member a final reduction reads (the last member otherwise).
fn value(i: u32) -> f32 {
    // @values
}

// element maps (reduction output o, reduced element j) to its domain element.
fn element(o: u32, j: u32) -> u32 {
    var rem = o;
    var off = 0u;
    for (var d = prm[RED]; d > 0u; d--) {
        let s = prm[RED + d];
        off += (rem % s) * prm[RED + 6u + d];
        rem = rem / s;
    }
    rem = j;
    for (var d = prm[RED + 13u]; d > 0u; d--) {
        let s = prm[RED + 13u + d];
        off += (rem % s) * prm[RED + 19u + d];
        rem = rem / s;
    }
    return off;
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
        return acc / f32(prm[RED + 26u]);
    }
    return acc;
}

@compute @workgroup_size(256)
fn fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm[0]) {
        return;
    }
    _ = value(i);
}

// Barriers sit only in control flow that is uniform by construction, as in reduce.wgsl.
@compute @workgroup_size(256)
fn fused_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    let o = flat_group(wid, nwg);
    let live = o < prm[0];
    let count = prm[RED + 26u];
    var acc = 0.0;
    if (live) {
        for (var j = lid; j < count; j += WG) {
            acc += term(value(element(o, j)));
        }
    }
    part[lid] = acc;
    let total = sum_part(lid);
    if (live && lid == 0u) {
        reduced[prm[RED + 27u] + o * prm[RED + 28u]] = finish(total);
    }
}

@compute @workgroup_size(256)
fn fused_small(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let o = linear_id(wid, nwg, lid);
    if (o >= prm[0]) {
        return;
    }
    let count = prm[RED + 26u];
    var acc = 0.0;
    for (var j = 0u; j < count; j++) {
        acc += term(value(element(o, j)));
    }
    reduced[prm[RED + 27u] + o * prm[RED + 28u]] = finish(acc);
}
