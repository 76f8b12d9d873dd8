// Workgroup per row: the WG invocations of a workgroup stride over one row's units together (so each
// load instruction reads WG consecutive 16-byte units, coalesced), then add their partial sums with a
// tree reduction in workgroup memory (log2(WG) halving steps, a barrier after each). Needs no
// subgroups, so it is the fast path on devices without them.
override WG: u32 = 256u;  // a power of two: the tree halves it
override BT: u32 = 1u;    // batch columns per pass over the row
const MAX_BT: u32 = 8u;

struct Params {
  n: u32,
  units: u32,
  batch: u32,
  groups_x: u32,
  splits: u32,
  chunk: u32,
  sets: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> red: array<f32, WG * BT>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = wid.y * p.groups_x + wid.x;
  if (row >= p.n) {
    return;
  }
  let xs = p.units * subs();
  let rs = row_scale(row);
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    // Initialized explicitly: SwiftShader (Dawn 0.6.2) did not re-zero a declaration without
    // an initializer on each trip of the enclosing batch-tile loop.
    var acc = array<f32, MAX_BT>();
    for (var u = t; u < p.units; u += WG) {
      let unit = row * p.units + u;
      let wq = w[unit];
      let d = unit_scale(unit);
      for (var s = 0u; s < subs(); s++) {
        let wv = decode(wq, s) * d;
        for (var b = 0u; b < BT; b++) {
          let bb = min(b0 + b, p.batch - 1u);
          acc[b] += dot(wv, x[bb * xs + u * subs() + s]);
        }
      }
    }
    for (var b = 0u; b < BT; b++) {
      red[b * WG + t] = acc[b];
    }
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (t < stride) {
        for (var b = 0u; b < BT; b++) {
          red[b * WG + t] += red[b * WG + t + stride];
        }
      }
      workgroupBarrier();
    }
    if (t < BT && b0 + t < p.batch) {
      y[(b0 + t) * p.n + row] = red[t * WG] * rs;
    }
    // The next batch tile overwrites `red`: every read of this one must be done first.
    workgroupBarrier();
  }
}
