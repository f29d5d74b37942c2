// Convolutions as implicit GEMMs (no im2col buffer). CPU twin: graph/cpu/conv.go.
// Geometry: input x [NB, CI, H, W], weight [CO, CI, KH, KW], output [NB, CO, OH, OW].
//   prm = [NB, CI, H, W, CO, KH, KW, OH, OW, stride, pad, group size, tiles per group (out)]
//   conv_forward:         y = conv(x, w):      M = CO, N = NB*OH*OW, K = CI*KH*KW
//   conv_backward_data:   gx = conv^T(gy, w):  M = CI, N = NB*H*W,  K = CO*KH*KW
//                         (also the forward of a transposed convolution)
//   conv_weight_grad:     dw[g] = sum over the group's images of gy_b col_b^T:
//                         M = CO, N = CI*KH*KW, K = S*OH*OW, one group per wid.z
//   conv_weight_grad_sqnorm: the same tiles, squared and summed in the workgroup: one partial
//                         per (group, tile); a reduce_rows pass over the tiles finishes ||dw[g]||^2.
// Bindings: 1 = data-side operand (x or gy), 2 = second operand (w or gy), 3 = output.

@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;

struct Geom {
    nb: u32, ci: u32, h: u32, w: u32, co: u32, kh: u32, kw: u32, oh: u32, ow: u32,
    stride: u32, pad: u32, group: u32,
}

fn geom() -> Geom {
    return Geom(prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6], prm[7], prm[8],
                prm[9], prm[10], prm[11]);
}

// x_col reads the im2col element (k = (ci, i, j), column (b, oy, ox)) of input x = p.
fn x_col(g: Geom, k: u32, b: u32, pix: u32) -> f32 {
    let j = k % g.kw;
    let i = (k / g.kw) % g.kh;
    let ci = k / (g.kw * g.kh);
    let oy = pix / g.ow;
    let ox = pix % g.ow;
    let iy = i32(oy * g.stride + i) - i32(g.pad);
    let ix = i32(ox * g.stride + j) - i32(g.pad);
    if (iy < 0 || ix < 0 || iy >= i32(g.h) || ix >= i32(g.w)) {
        return 0.0;
    }
    return p[((b * g.ci + ci) * g.h + u32(iy)) * g.w + u32(ix)];
}

@compute @workgroup_size(16, 16)
fn conv_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let g = geom();
    let P = g.oh * g.ow;
    let M = g.co;
    let N = g.nb * P;
    let K = g.ci * g.kh * g.kw;
    let tid = l.y * 16u + l.x;
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < K; k0 += TK) {
        for (var e = tid; e < TM * TK; e += WG) {
            let m = row0 + e / TK;
            let k = k0 + e % TK;
            var av = 0.0;
            if (m < M && k < K) {
                av = q[m * K + k];
            }
            As[(e % TK) * TM + e / TK] = av;
            let kb = k0 + e / TN;
            let n = col0 + e % TN;
            var bv = 0.0;
            if (kb < K && n < N) {
                bv = x_col(g, kb, n / P, n % P);
            }
            Bs[(e / TN) * TN + e % TN] = bv;
        }
        workgroupBarrier();
        tile_mma(&acc, l.x, l.y);
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let m = row0 + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = col0 + l.x * 4u + j;
            if (m < M && n < N) {
                out[((n / P) * M + m) * P + n % P] = acc[i * 4u + j];
            }
        }
    }
}

// gy_col reads the element of the output gradient gy = p that reaches input pixel (iy, ix) through
// kernel tap k = (co, i, j), or 0 when no output position maps there.
fn gy_col(g: Geom, k: u32, b: u32, pix: u32) -> f32 {
    let j = k % g.kw;
    let i = (k / g.kw) % g.kh;
    let co = k / (g.kw * g.kh);
    let ty = i32(pix / g.w) + i32(g.pad) - i32(i);
    let tx = i32(pix % g.w) + i32(g.pad) - i32(j);
    let s = i32(g.stride);
    if (ty < 0 || tx < 0 || ty % s != 0 || tx % s != 0) {
        return 0.0;
    }
    let oy = u32(ty / s);
    let ox = u32(tx / s);
    if (oy >= g.oh || ox >= g.ow) {
        return 0.0;
    }
    return p[((b * g.co + co) * g.oh + oy) * g.ow + ox];
}

@compute @workgroup_size(16, 16)
fn conv_backward_data(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let g = geom();
    let HW = g.h * g.w;
    let M = g.ci;
    let N = g.nb * HW;
    let KK = g.kh * g.kw;
    let K = g.co * KK;
    let tid = l.y * 16u + l.x;
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < K; k0 += TK) {
        for (var e = tid; e < TM * TK; e += WG) {
            let m = row0 + e / TK;
            let k = k0 + e % TK;
            var av = 0.0;
            if (m < M && k < K) {
                // w[co, ci=m, i, j] with k = (co, i, j)
                av = q[((k / KK) * g.ci + m) * KK + k % KK];
            }
            As[(e % TK) * TM + e / TK] = av;
            let kb = k0 + e / TN;
            let n = col0 + e % TN;
            var bv = 0.0;
            if (kb < K && n < N) {
                bv = gy_col(g, kb, n / HW, n % HW);
            }
            Bs[(e / TN) * TN + e % TN] = bv;
        }
        workgroupBarrier();
        tile_mma(&acc, l.x, l.y);
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let m = row0 + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = col0 + l.x * 4u + j;
            if (m < M && n < N) {
                out[((n / HW) * M + m) * HW + n % HW] = acc[i * 4u + j];
            }
        }
    }
}

// weight_grad_tile accumulates tile (wid.x, wid.y) of group wid.z's weight gradient:
// rows co, columns k = (ci, i, j), contraction over (image in group, output pixel).
// p = x, q = gy.
fn weight_grad_tile(g: Geom, wid: vec3<u32>, l: vec3<u32>, acc: ptr<function, array<f32, 16>>) {
    let P = g.oh * g.ow;
    let M = g.co;
    let N = g.ci * g.kh * g.kw;
    let K = g.group * P;
    let first = wid.z * g.group;
    let tid = l.y * 16u + l.x;
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    for (var k0 = 0u; k0 < K; k0 += TK) {
        for (var e = tid; e < TM * TK; e += WG) {
            let m = row0 + e / TK;
            let k = k0 + e % TK;
            var av = 0.0;
            if (m < M && k < K) {
                av = q[((first + k / P) * g.co + m) * P + k % P];
            }
            As[(e % TK) * TM + e / TK] = av;
            let kb = k0 + e / TN;
            let n = col0 + e % TN;
            var bv = 0.0;
            if (kb < K && n < N) {
                bv = x_col(g, n, first + kb / P, kb % P);
            }
            Bs[(e / TN) * TN + e % TN] = bv;
        }
        workgroupBarrier();
        tile_mma(acc, l.x, l.y);
        workgroupBarrier();
    }
}

@compute @workgroup_size(16, 16)
fn conv_weight_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let g = geom();
    var acc: array<f32, 16>;
    weight_grad_tile(g, wid, l, &acc);
    let M = g.co;
    let N = g.ci * g.kh * g.kw;
    for (var i = 0u; i < 4u; i++) {
        let m = wid.y * TM + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = wid.x * TN + l.x * 4u + j;
            if (m < M && n < N) {
                out[(wid.z * M + m) * N + n] = acc[i * 4u + j];
            }
        }
    }
}

@compute @workgroup_size(16, 16)
fn conv_weight_grad_sqnorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(local_invocation_id) l: vec3<u32>) {
    let g = geom();
    var acc: array<f32, 16>;
    weight_grad_tile(g, wid, l, &acc);
    let M = g.co;
    let N = g.ci * g.kh * g.kw;
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let m = wid.y * TM + l.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let n = wid.x * TN + l.x * 4u + j;
            if (m < M && n < N) {
                s += acc[i * 4u + j] * acc[i * 4u + j];
            }
        }
    }
    let tid = l.y * 16u + l.x;
    red[tid] = s;
    workgroupBarrier();
    for (var h = WG / 2u; h > 0u; h = h / 2u) {
        if (tid < h) {
            red[tid] += red[tid + h];
        }
        workgroupBarrier();
    }
    if (tid == 0u) {
        let tiles = nwg.x * nwg.y;
        out[wid.z * tiles + wid.y * nwg.x + wid.x] = red[0];
    }
}
