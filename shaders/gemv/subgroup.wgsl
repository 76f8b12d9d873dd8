// Subgroup GEMV: each subgroup owns ROWS consecutive rows; its lanes take consecutive 16-byte units
// (a warp of 32 reads 512 contiguous bytes per row per load, and ROWS independent loads are in flight
// per lane), and subgroupAdd sums the lanes, with no workgroup memory and no barrier.
// The subgroup size is read from the subgroup_size builtin (4 on SwiftShader, 32 on NVIDIA, up to
// 128 elsewhere): subgroups walk row sets in a grid-stride loop, so any size covers every row.
// Split-K (splits > 1): item = (row set, K chunk); each subgroup sums `chunk` units of its rows into
// `out` = partials[split][b][n], and the `reduce` entry adds the splits into y. With splits = 1,
// `out` is y itself and `reduce` is not dispatched.
enable subgroups;
// Control flow around subgroupAdd depends on the subgroup index (li / sg), which is the same for
// every lane of a subgroup on every implementation (subgroups are consecutive invocations of a
// 1-D workgroup); the analysis cannot know that.
diagnostic(off, subgroup_uniformity);

override WG: u32 = 256u;
override ROWS: u32 = 2u;  // rows per subgroup: independent loads in flight per lane
override BT: u32 = 1u;    // batch columns per pass over the rows
const MAX_ROWS: u32 = 8u;
const MAX_BT: u32 = 8u;

struct Params {
  n: u32,
  units: u32,
  batch: u32,
  groups_x: u32,  // workgroups along x of the reduce grid
  splits: u32,    // K chunks per row (1 = no split)
  chunk: u32,     // units per K chunk
  sets: u32,      // row sets: ceil(n / ROWS)
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> part: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) sg: u32) {
  let per_wg = WG / sg;
  let first = (wid.y * nwg.x + wid.x) * per_wg + li / sg;
  let total = nwg.x * nwg.y * per_wg;
  let xs = p.units * subs();
  for (var item = first; item < p.sets * p.splits; item += total) {
    // Consecutive subgroups take consecutive row sets of the same K chunk.
    let rset = item % p.sets;
    let split = item / p.sets;
    let u0 = split * p.chunk;
    let u1 = min(p.units, u0 + p.chunk);
    let row0 = rset * ROWS;
    for (var b0 = 0u; b0 < p.batch; b0 += BT) {
      // Initialized explicitly: SwiftShader (Dawn 0.6.2) did not re-zero a declaration without
      // an initializer on each trip of the enclosing batch-tile loop.
      var acc = array<array<f32, MAX_BT>, MAX_ROWS>();
      for (var u = u0 + lane; u < u1; u += sg) {
        var wq: array<vec4<u32>, MAX_ROWS>;
        var d: array<f32, MAX_ROWS>;
        for (var r = 0u; r < ROWS; r++) {
          // Rows past the matrix re-read the last row and are never stored.
          let unit = min(row0 + r, p.n - 1u) * p.units + u;
          wq[r] = w[unit];
          d[r] = unit_scale(unit);
        }
        for (var s = 0u; s < subs(); s++) {
          var xv: array<vec4<f32>, MAX_BT>;
          for (var b = 0u; b < BT; b++) {
            xv[b] = x[min(b0 + b, p.batch - 1u) * xs + u * subs() + s];
          }
          for (var r = 0u; r < ROWS; r++) {
            let wv = decode(wq[r], s) * d[r];
            for (var b = 0u; b < BT; b++) {
              acc[r][b] += dot(wv, xv[b]);
            }
          }
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let row = row0 + r;
        for (var b = 0u; b < BT; b++) {
          let total_rb = subgroupAdd(acc[r][b]);
          if (lane == 0u && row < p.n && b0 + b < p.batch) {
            out[(split * p.batch + b0 + b) * p.n + row] = total_rb * row_scale(row);
          }
        }
      }
    }
  }
}

// Split-K second pass: y[b][n] = sum over splits of partials[split][b][n] (row scales are already in).
@compute @workgroup_size(WG)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.groups_x * WG + gid.x;
  let count = p.n * p.batch;
  if (i >= count) {
    return;
  }
  var s = 0.0;
  for (var k = 0u; k < p.splits; k++) {
    s += part[k * count + i];
  }
  out[i] = s;
}
