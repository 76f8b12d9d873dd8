// f16 storage of regblock-kc.wgsl: one global vector is 8 consecutive halves of a row, widened to
// f32 (half-f32.wgsl) as it is loaded and stored as two whole vec4<f32> (kq 2·kv and 2·kv + 1); the
// workgroup tiles, the multiply-adds and their error are those of the f32 kernel, and no shader-f16
// is needed.
alias Stage = Half8;
const KV = BK / 8u;           // global vectors per staged row

// Staging vector v (8 halves) of a BR×BK tile whose first row is r0, first column k0 (see stage_row).
fn load_a(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + stage_row(v);
  let k = k0 + stage_kv(v) * 8u;
  return widen(raw8_a(r, k), k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + stage_row(v);
  let k = k0 + stage_kv(v) * 8u;
  return widen(raw8_b(r, k), k, r < p.n);
}

fn put_a(buf: u32, v: u32, h: Half8) {
  let r = stage_row(v);
  let kq = 2u * stage_kv(v);
  sa[buf][kq][r / TY][r % TY] = h.lo;
  sa[buf][kq + 1u][r / TY][r % TY] = h.hi;
}

fn put_b(buf: u32, v: u32, h: Half8) {
  let r = stage_row(v);
  let kq = 2u * stage_kv(v);
  sb[buf][kq][r / TX][r % TX] = h.lo;
  sb[buf][kq + 1u][r / TX][r % TX] = h.hi;
}
