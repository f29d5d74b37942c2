// The Gram form of the per-group squared norm of a convolution's weight gradient (graph.NormGram,
// chosen by the planner where a group has few positions against the layer's widths):
//   ||sum_t g_t a_t^T||^2 = sum over pairs (t, t') of (a_t . a_t') (g_t . g_t'),
// t = (image of the group, output pixel), a_t the input patch under the kernel at t (Ci*KH*KW
// values, zero in the padding), g_t the output gradient there (Co values). CPU twin:
// graph/cpu/conv.go (gramScratch). gram_sqnorm: one invocation per pair, a workgroup's 256 pairs
// summed into one partial per (group, workgroup); a reduce pass finishes each group's norm.
// Bindings: 1 = x [NB, CI, H, W], 2 = gy [NB, CO, OH, OW], 3 = partials.

struct Params {
    nb: u32, ci: u32, h: u32, w: u32, co: u32, kh: u32, kw: u32, oh: u32, ow: u32,
    stride: u32, pad: u32, group: u32,
}

@group(0) @binding(0) var<storage, read> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Position is a position t: its image and output pixel.
struct Position {
    b: u32,
    oy: u32,
    ox: u32,
}

fn position(t: u32, first: u32) -> Position {
    let plane = prm.oh * prm.ow;
    let pix = t % plane;
    return Position(first + t / plane, pix / prm.ow, pix % prm.ow);
}

// x_at is x at (image b, channel ci, row y, column x), 0 outside the image (the padding); the
// load is from a clamped, always valid index, without a branch.
fn x_at(b: u32, ci: u32, y: i32, xx: i32) -> f32 {
    let inside = y >= 0 && xx >= 0 && y < i32(prm.h) && xx < i32(prm.w);
    let yc = u32(clamp(y, 0, i32(prm.h) - 1));
    let xc = u32(clamp(xx, 0, i32(prm.w) - 1));
    return select(0.0, x[((b * prm.ci + ci) * prm.h + yc) * prm.w + xc], inside);
}

// patch_dot is a_t . a_t' for positions p and q.
fn patch_dot(p: Position, q: Position) -> f32 {
    let s = prm.stride;
    let pad = i32(prm.pad);
    var acc = 0.0;
    for (var ci = 0u; ci < prm.ci; ci++) {
        for (var ky = 0u; ky < prm.kh; ky++) {
            let py = i32(p.oy * s + ky) - pad;
            let qy = i32(q.oy * s + ky) - pad;
            for (var kx = 0u; kx < prm.kw; kx++) {
                acc += x_at(p.b, ci, py, i32(p.ox * s + kx) - pad) * x_at(q.b, ci, qy, i32(q.ox * s + kx) - pad);
            }
        }
    }
    return acc;
}

// grad_dot is g_t . g_t' for positions p and q.
fn grad_dot(p: Position, q: Position) -> f32 {
    let plane = prm.oh * prm.ow;
    let pp = p.oy * prm.ow + p.ox;
    let qq = q.oy * prm.ow + q.ox;
    var acc = 0.0;
    for (var co = 0u; co < prm.co; co++) {
        acc += gy[(p.b * prm.co + co) * plane + pp] * gy[(q.b * prm.co + co) * plane + qq];
    }
    return acc;
}

@compute @workgroup_size(256)
fn gram_sqnorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let positions = prm.group * prm.oh * prm.ow;
    let pair = wid.x * WG + lid;
    var v = 0.0;
    if (pair < positions * positions) {
        let first = wid.z * prm.group;
        let p = position(pair / positions, first);
        let q = position(pair % positions, first);
        v = patch_dot(p, q) * grad_dot(p, q);
    }
    part[lid] = v;
    let total = sum_part(lid);
    if (lid == 0u) {
        out[wid.z * nwg.x + wid.x] = total;
    }
}
