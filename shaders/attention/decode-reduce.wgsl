// Split-K decode, step 2: combines the per-chunk partials of each head,
//   O = sum_s 2^(m_s - M) O_s / sum_s 2^(m_s - M) l_s,  M = max_s m_s,
// one workgroup per head: SL split lanes x D4 vec4 columns. Each lane folds every SL-th split with
// its own running maximum, loading SU splits ahead (the partials sit in L2; a dependent load per
// split would leave this step latency-bound), then the lanes are merged.
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl.
override HEAD_DIM: u32 = 128u;

const WG: u32 = 256u;
const SU: u32 = 16u;
const NEG: f32 = -1e30;

override D4: u32 = HEAD_DIM / 4u;
override SL: u32 = WG / D4;

struct Params {
  heads: u32,
  splits: u32,
}

@group(0) @binding(0) var<storage, read> o_part: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> ml_part: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> o: array<Quad>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> red_o: array<vec4<f32>, WG>;
var<workgroup> red_ml: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let h = wg.x;
  let lane = t / D4;
  let c = t % D4;
  let heads = params.heads;
  var m = NEG;
  var l = 0.0;
  var acc = vec4<f32>(0.0);
  for (var s0 = lane; s0 < params.splits; s0 += SU * SL) {
    var mls: array<vec2<f32>, SU>;
    var parts: array<vec4<f32>, SU>;
    for (var u = 0u; u < SU; u++) {
      let s = s0 + u * SL;
      // Absent splits weigh 2^(NEG - m) = 0.
      mls[u] = vec2<f32>(NEG, 0.0);
      parts[u] = vec4<f32>(0.0);
      if (s < params.splits) {
        mls[u] = ml_part[s * heads + h];
        parts[u] = o_part[(s * heads + h) * D4 + c];
      }
    }
    for (var u = 0u; u < SU; u++) {
      let mn = max(m, mls[u].x);
      let a = exp2(m - mn);
      let b = exp2(mls[u].x - mn);
      acc = acc * a + parts[u] * b;
      l = l * a + mls[u].y * b;
      m = mn;
    }
  }
  red_o[t] = acc;
  red_ml[t] = vec2<f32>(m, l);
  workgroupBarrier();
  if (lane == 0u) {
    var mt = NEG;
    for (var u = 0u; u < SL; u++) {
      mt = max(mt, red_ml[u * D4 + c].x);
    }
    var lt = 0.0;
    var ot = vec4<f32>(0.0);
    for (var u = 0u; u < SL; u++) {
      let w = exp2(red_ml[u * D4 + c].x - mt);
      lt += red_ml[u * D4 + c].y * w;
      ot += red_o[u * D4 + c] * w;
    }
    o[h * D4 + c] = pack_quad(ot / lt);
  }
}
