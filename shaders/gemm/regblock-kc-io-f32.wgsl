// f32 storage of regblock-kc.wgsl: one global vector is 4 consecutive k of a row, stored whole.
alias Stage = vec4<f32>;
const KV = BK / 4u;           // global vectors per staged row

// Staging vector v of a BR×BK tile whose first row is r0, first column k0 (see stage_row).
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_a(r0 + stage_row(v), k0 + stage_kv(v) * 4u);
}

fn load_b(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_b(r0 + stage_row(v), k0 + stage_kv(v) * 4u);
}

fn put_a(buf: u32, v: u32, x: vec4<f32>) {
  let r = stage_row(v);
  sa[buf][stage_kv(v)][r / TY][r % TY] = x;
}

fn put_b(buf: u32, v: u32, x: vec4<f32>) {
  let r = stage_row(v);
  sb[buf][stage_kv(v)][r / TX][r % TX] = x;
}
