// Naive prefill, step 2 of 3: row softmax of S over the causal prefix j <= i, in place
// (S becomes P). One workgroup per row; base-2 scores (the scale carries log2(e)).
const WG: u32 = 256u;

struct Params {
  n: u32,
  heads: u32,
  group: u32,
  scale: f32,
  head0: u32,
}

@group(0) @binding(0) var<storage, read_write> s: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

var<workgroup> red: array<f32, WG>;

fn reduce_max(t: u32, x: f32) -> f32 {
  red[t] = x;
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (t < stride) {
      red[t] = max(red[t], red[t + stride]);
    }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(t: u32, x: f32) -> f32 {
  red[t] = x;
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (t < stride) {
      red[t] += red[t + stride];
    }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let n = params.n;
  let i = wg.x;
  let base = (wg.y * n + i) * n;
  let len = i + 1u;
  var mx = -1e30;
  for (var j = t; j < len; j += WG) {
    mx = max(mx, s[base + j]);
  }
  mx = reduce_max(t, mx);
  var sum = 0.0;
  for (var j = t; j < len; j += WG) {
    sum += exp2(s[base + j] - mx);
  }
  let inv = 1.0 / reduce_sum(t, sum);
  for (var j = t; j < len; j += WG) {
    s[base + j] = exp2(s[base + j] - mx) * inv;
  }
}
