// f16 storage of regblock-kc.wgsl: one global vector is 8 consecutive halves of a row, widened to
// f32 (half-f32.wgsl) as it is loaded and stored as two whole vec4<f32>; the workgroup tiles, the
// multiply-adds and their error are those of the f32 kernel, and no shader-f16 is needed.
alias Stage = Half8;
const RS = 2u;                // register staging vectors per operand (BK ≤ 32)
override KV: u32 = BK / 8u;   // global vectors per staged row

// Vector v (8 halves) of a BR×BK tile whose first row is r0, first column k0: consecutive v along k.
fn load_a(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return widen(raw8_a(r, k), k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return widen(raw8_b(r, k), k, r < p.n);
}

fn put_a(buf: u32, v: u32, h: Half8) {
  let i = buf * BM * S + (v / KV) * S + (v % KV) * 2u;
  sa[i] = h.lo;
  sa[i + 1u] = h.hi;
}

fn put_b(buf: u32, v: u32, h: Half8) {
  let i = buf * BN * S + (v / KV) * S + (v % KV) * 2u;
  sb[i] = h.lo;
  sb[i + 1u] = h.hi;
}
