// Reductions over strided views. CPU twin: graph/cpu/reduce.go (reduceView).
// n outputs, each reducing count elements with op (graph.ReduceFn: sum, mean, logsumexp,
// sumsquares); red is the views and the output's place (struct Reduction, common.wgsl): an output
// goes to y[out_offset + o*out_stride], (0, 1) for a value of its own, else its place in a larger
// one (a column of the feature matrix, say).
//   reduce_rows: one workgroup per output, summed in workgroup memory (sum_part; long rows);
//   reduce_rows_lse: the same for logsumexp.
//   reduce_small: one invocation per output (short rows, many outputs).

struct Params {
    n: u32,
    op: u32,
    red: Reduction,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn finish(fn_: u32, acc: f32, m: f32, count: u32) -> f32 {
    switch fn_ {
        case 1u: { return acc / f32(count); }
        case 2u: { return m + log(acc); }
        default: { return acc; }
    }
}

// sum_terms accumulates this invocation's share of the row: x, x*x or exp(x - m).
fn sum_terms(fn_: u32, base: u32, lid: u32, count: u32, m: f32) -> f32 {
    var acc = 0.0;
    for (var j = lid; j < count; j += WG) {
        let v = x[base + red_offset(prm.red, j)];
        switch fn_ {
            case 2u: { acc += exp(v - m); }
            case 3u: { acc += v * v; }
            default: { acc += v; }
        }
    }
    return acc;
}

// Barriers sit only in control flow that is uniform by construction (no branch on values read
// from buffers), as browsers' WGSL compilers require.
@compute @workgroup_size(256)
fn reduce_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let o = flat_group(wid, nwg);
    let live = o < prm.n;
    let count = prm.red.count;
    var base = 0u;
    var acc = 0.0;
    if (live) {
        base = kept_offset(prm.red, o);
        acc = sum_terms(prm.op, base, lid, count, 0.0);
    }
    part[lid] = acc;
    let total = sum_part(lid);
    if (live && lid == 0u) {
        y[out_at(prm.red, o)] = finish(prm.op, total, 0.0, count);
    }
}

// reduce_rows_lse is reduce_rows for logsumexp: a max pass, then a sum of exp(x - max).
@compute @workgroup_size(256)
fn reduce_rows_lse(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
    let o = flat_group(wid, nwg);
    let live = o < prm.n;
    let count = prm.red.count;
    var base = 0u;
    var mx = -3.4e38;
    if (live) {
        base = kept_offset(prm.red, o);
        for (var j = lid; j < count; j += WG) {
            mx = max(mx, x[base + red_offset(prm.red, j)]);
        }
    }
    part[lid] = mx;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            part[lid] = max(part[lid], part[lid + s]);
        }
        workgroupBarrier();
    }
    let m = part[0];
    workgroupBarrier();
    var acc = 0.0;
    if (live) {
        acc = sum_terms(2u, base, lid, count, m);
    }
    part[lid] = acc;
    let total = sum_part(lid);
    if (live && lid == 0u) {
        y[out_at(prm.red, o)] = m + log(total);
    }
}

@compute @workgroup_size(256)
fn reduce_small(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let o = linear_id(wid, nwg, lid);
    if (o >= prm.n) {
        return;
    }
    let fn_ = prm.op;
    let count = prm.red.count;
    let base = kept_offset(prm.red, o);
    var m = 0.0;
    if (fn_ == 2u) {
        m = -3.4e38;
        for (var j = 0u; j < count; j++) {
            m = max(m, x[base + red_offset(prm.red, j)]);
        }
    }
    var acc = 0.0;
    for (var j = 0u; j < count; j++) {
        let v = x[base + red_offset(prm.red, j)];
        switch fn_ {
            case 2u: { acc += exp(v - m); }
            case 3u: { acc += v * v; }
            default: { acc += v; }
        }
    }
    y[out_at(prm.red, o)] = finish(fn_, acc, m, count);
}
