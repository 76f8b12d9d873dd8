// Naive GEMV: one invocation per row of W computes that row's outputs for every batch column,
// walking the row alone. Neighbouring invocations read rows a whole row apart, so no load is
// coalesced: the baseline the cooperative variants are measured against.
// Y[b, n] = sum_k W[n, k] * X[b, k]; W rows are `units` 16-byte units (formats.wgsl), X rows are
// units * subs() vec4s long and zero beyond K, so padded weight lanes add exactly 0.
// Shared code (bindings, add_unit, put_row) is in accumulate.wgsl; here ROWS = 1.
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.groups_x * WG + gid.x;
  if (row >= p.n) {
    return;
  }
  for (var b0 = 0u; b0 < p.batch; b0 += BT) {
    clear_acc();
    for (var u = 0u; u < p.units; u++) {
      add_unit(row, u, b0);
    }
    put_row(0u, row, b0, total(0u), total(1u));
  }
}
