// Naive GEMV: one invocation per row of W computes that row's outputs for every batch column,
// walking the row alone. Neighbouring invocations read rows a whole row apart, so no load is
// coalesced: the baseline the cooperative variants are measured against.
// Y[b, n] = sum_k W[n, k] * X[b, k]; W rows are `units` 16-byte units (formats.wgsl), X rows are
// units * subs() vec4s long and zero beyond K, so padded weight lanes add exactly 0.
override WG: u32 = 64u;
// Batch columns per pass over the row (accumulators held at once); arrays are sized MAX_BT because
// function-scope arrays cannot have override lengths, and only the first BT entries are used.
override BT: u32 = 1u;
const MAX_BT: u32 = 8u;

struct Params {
  n: u32,         // rows of W = outputs per batch column
  units: u32,     // 16-byte units per weight row
  batch: u32,     // batch columns B
  groups_x: u32,  // workgroups along x of this kernel's grid
  splits: u32,
  chunk: u32,
  sets: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.groups_x * WG + gid.x;
  if (row >= p.n) {
    return;
  }
  let xs = p.units * subs();
  let rs = row_scale(row);
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    // Initialized explicitly: SwiftShader (Dawn 0.6.2) did not re-zero a declaration without
    // an initializer on each trip of the enclosing batch-tile loop.
    var acc = array<f32, MAX_BT>();
    for (var u = 0u; u < p.units; u++) {
      let unit = row * p.units + u;
      let wq = w[unit];
      let d = unit_scale(unit);
      for (var s = 0u; s < subs(); s++) {
        let wv = decode(wq, s) * d;
        for (var b = 0u; b < BT; b++) {
          // Columns past the batch read the last one and are never stored.
          let bb = min(b0 + b, p.batch - 1u);
          acc[b] += dot(wv, x[bb * xs + u * subs() + s]);
        }
      }
    }
    for (var b = 0u; b < BT; b++) {
      if (b0 + b < p.batch) {
        y[(b0 + b) * p.n + row] = acc[b] * rs;
      }
    }
  }
}
