// Subgroup GEMV: each subgroup owns ROWS consecutive rows; its lanes take consecutive 16-byte units
// (a warp of 32 reads 512 contiguous bytes per row per load, and ROWS independent loads are in flight
// per lane), and subgroupAdd sums the lanes, with no workgroup memory and no barrier.
// The subgroup size is read from the subgroup_size builtin (4 on SwiftShader, 32 on NVIDIA, up to
// 128 elsewhere): subgroups walk row sets in a grid-stride loop, so any size covers every row.
// Split-K (splits > 1): item = (row set, K chunk); each subgroup sums `chunk` units of its rows into
// `out` = partials[split][b][n], and the `reduce` entry adds the splits into y. With splits = 1,
// `out` is y itself and `reduce` is not dispatched. Shared code is in accumulate.wgsl.
enable subgroups;
// Control flow around subgroupAdd depends on the subgroup index (li / sg), which is the same for
// every lane of a subgroup on every implementation (subgroups are consecutive invocations of a
// 1-D workgroup); the analysis cannot know that.
diagnostic(off, subgroup_uniformity);

override WG: u32 = 256u;

@group(0) @binding(5) var<storage, read> part: array<f32>;

fn reduce_row(r: u32, row0: u32, b0: u32, base: u32, lane: u32) {
  let lo = subgroupAdd(total(2u * r));
  var hi = vec4<f32>();
  if (BT > 4u) {
    hi = subgroupAdd(total(2u * r + 1u));
  }
  if (lane == 0u) {
    put_row(base, row0 + r, b0, lo, hi);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) sg: u32) {
  let per_wg = WG / sg;
  let first = (wid.y * nwg.x + wid.x) * per_wg + li / sg;
  let total_sg = nwg.x * nwg.y * per_wg;
  for (var item = first; item < p.sets * p.splits; item += total_sg) {
    // Consecutive subgroups take consecutive row sets of the same K chunk.
    let rset = item % p.sets;
    let split = item / p.sets;
    let u0 = split * p.chunk;
    let u1 = min(p.units, u0 + p.chunk);
    let row0 = rset * ROWS;
    for (var b0 = 0u; b0 < p.batch; b0 += BT) {
      clear_acc();
      for (var u = u0 + lane; u < u1; u += sg) {
        add_unit(row0, u, b0);
      }
      let base = split * p.batch;
      reduce_row(0u, row0, b0, base, lane);
      if (ROWS > 1u) {
        reduce_row(1u, row0, b0, base, lane);
      }
      if (ROWS > 2u) {
        reduce_row(2u, row0, b0, base, lane);
        reduce_row(3u, row0, b0, base, lane);
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
