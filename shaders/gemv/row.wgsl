// Workgroup per row: the WG invocations of a workgroup stride over one row's units together (so each
// load instruction reads WG consecutive 16-byte units, coalesced), then add their partial sums with a
// tree reduction in workgroup memory (log2(WG) halving steps, a barrier after each). Needs no
// subgroups, so it is the fast path on devices without them. Shared code is in accumulate.wgsl;
// here ROWS = 1.
override WG: u32 = 256u;  // a power of two: the tree halves it

// Sums of batch columns 0-3 at [t], 4-7 at [WG + t].
var<workgroup> red: array<vec4<f32>, 2u * WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = wid.y * p.groups_x + wid.x;
  if (row >= p.n) {
    return;
  }
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    clear_acc();
    for (var u = t; u < p.units; u += WG) {
      add_unit(row, u, b0);
    }
    red[t] = total(0u);
    red[WG + t] = total(1u);
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (t < stride) {
        red[t] += red[t + stride];
        red[WG + t] += red[WG + t + stride];
      }
      workgroupBarrier();
    }
    if (t == 0u) {
      put_row(0u, row, b0, red[0], red[WG]);
    }
    // The next batch tile overwrites `red`: every read of this one must be done first.
    workgroupBarrier();
  }
}
