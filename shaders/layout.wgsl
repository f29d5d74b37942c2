// Strided copies: permute, broadcast, slice, pad, concat, squeeze/unsqueeze and nearest upsampling
// are all one copy between strided views. CPU twin: graph/cpu/layout.go (gather, scatter).
//   prm = [n, rank, shape[6], source strides[6], destination strides[6], source offset,
//           destination offset]

@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= prm[0]) {
        return;
    }
    var rem = i;
    var src = prm[20];
    var dst = prm[21];
    for (var d = prm[1]; d > 0u; d--) {
        let s = prm[1u + d];
        let q = rem % s;
        rem = rem / s;
        src += q * prm[7u + d];
        dst += q * prm[13u + d];
    }
    y[dst] = x[src];
}
