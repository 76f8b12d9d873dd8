// Naive decode attention: one workgroup per query head walks the whole context. Scores go to a
// device-memory scratch row [heads, L], then a max, the exponentials and their sum, then P . V.
// With GQA every query head reads its KV head's cache again. Same cache layouts as decode-split.
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl.
override HEAD_DIM: u32 = 128u;

const WG: u32 = 128u;
const MAXDW: u32 = 32u;
const NEG: f32 = -1e30;

override D4: u32 = HEAD_DIM / 4u;
override DW: u32 = HEAD_DIM / WIDE;
override KL: u32 = WG / DW;

// Params, the input bindings and row_base: decode-io.wgsl, prepended by buildDecodeWgsl.
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;
@group(0) @binding(5) var<storage, read_write> o: array<Quad>;

var<workgroup> q_sh: array<vec4<f32>, D4>;
var<workgroup> red: array<f32, WG>;
var<workgroup> red_o: array<vec4<f32>, D4>;

fn reduce(t: u32, x: f32, is_max: bool) -> f32 {
  red[t] = x;
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (t < stride) {
      red[t] = select(red[t] + red[t + stride], max(red[t], red[t + stride]), is_max);
    }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let h = wg.x;
  let kvh = h / params.group;
  let l = params.l;
  let sb = h * l;
  for (var e = t; e < D4; e += WG) {
    q_sh[e] = unpack_quad(q[h * D4 + e]) * params.scale;
  }
  workgroupBarrier();

  var mx = NEG;
  for (var j = t; j < l; j += WG) {
    let base = row_base(kvh, j);
    var kr: array<Wide, MAXDW>;
    for (var w = 0u; w < DW; w++) {
      kr[w] = k[base + w];
    }
    var s = 0.0;
    for (var w = 0u; w < DW; w++) {
      for (var sub = 0u; sub < WIDE / 4u; sub++) {
        s += dot(q_sh[w * (WIDE / 4u) + sub], unpack_wide(kr[w], sub));
      }
    }
    scores[sb + j] = s;
    mx = max(mx, s);
  }
  mx = reduce(t, mx, true);
  // Each invocation rewrites the scores it wrote itself, so no barrier is needed before this pass.
  var sum = 0.0;
  for (var j = t; j < l; j += WG) {
    let p = exp2(scores[sb + j] - mx);
    scores[sb + j] = p;
    sum += p;
  }
  sum = reduce(t, sum, false);
  storageBarrier();

  let kl = t / DW;
  let cw = t % DW;
  var acc: array<vec4<f32>, 2>;
  for (var j = kl; j < l; j += KL) {
    let p = scores[sb + j];
    let vw = v[row_base(kvh, j) + cw];
    for (var sub = 0u; sub < WIDE / 4u; sub++) {
      acc[sub] = fma(vec4<f32>(p), unpack_wide(vw, sub), acc[sub]);
    }
  }
  for (var r = 0u; r < KL; r++) {
    if (kl == r) {
      for (var sub = 0u; sub < WIDE / 4u; sub++) {
        let i = cw * (WIDE / 4u) + sub;
        if (r == 0u) {
          red_o[i] = acc[sub];
        } else {
          red_o[i] += acc[sub];
        }
      }
    }
    workgroupBarrier();
  }
  for (var e = t; e < D4; e += WG) {
    o[h * D4 + e] = pack_quad(red_o[e] / sum);
  }
}
