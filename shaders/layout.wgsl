// Strided copies: permute, broadcast, slice, pad, concat, squeeze/unsqueeze and nearest upsampling
// are all one copy between strided views. CPU twin: graph/cpu/layout.go (gather, scatter).
// Element i of the copy (i < n) walks the view shape (its first rank axes, outermost first) and
// is read from x through src_strides from src_offset, written to y through dst_strides from
// dst_offset.

struct Params {
    n: u32,
    rank: u32,
    shape: array<u32, 6>,
    src_strides: array<u32, 6>,
    dst_strides: array<u32, 6>,
    src_offset: u32,
    dst_offset: u32,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm.n) {
        return;
    }
    var rem = i;
    var src = prm.src_offset;
    var dst = prm.dst_offset;
    for (var d = prm.rank; d > 0u; d--) {
        let s = prm.shape[d - 1u];
        let q = rem % s;
        rem = rem / s;
        src += q * prm.src_strides[d - 1u];
        dst += q * prm.dst_strides[d - 1u];
    }
    y[dst] = x[src];
}
