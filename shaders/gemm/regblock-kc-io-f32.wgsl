// f32 storage of regblock-kc.wgsl: one global vector is 4 consecutive k of a row, stored whole.
alias Stage = vec4<f32>;
const RS = 4u;                // register staging vectors per operand (BK ≤ 32)
override KV: u32 = BK / 4u;   // global vectors per staged row

// Vector v of a BR×BK tile whose first row is r0, first column k0: consecutive v along k in a row.
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_a(r0 + v / KV, k0 + (v % KV) * 4u);
}

fn load_b(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_b(r0 + v / KV, k0 + (v % KV) * 4u);
}

fn put_a(buf: u32, v: u32, x: vec4<f32>) {
  sa[buf * BM * S + (v / KV) * S + v % KV] = x;
}

fn put_b(buf: u32, v: u32, x: vec4<f32>) {
  sb[buf * BN * S + (v / KV) * S + v % KV] = x;
}
