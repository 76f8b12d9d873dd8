// Tile staging shared by regblock.wgsl and regblock-kc.wgsl: their storage pieces define Stage (the
// register form of one global vector), RS (register vectors per operand), load_a / load_b (global
// vector v of the A or W/B tile at k0) and put_a / put_b (its store into workgroup buffer buf);
// each invocation moves A_LOADS and B_LOADS vectors per tile.
alias Staged = array<Stage, RS>;

// The tile at k0, loaded and stored into buffer buf at once (the loaded values die when stored).
fn stage_direct(buf: u32, m0: u32, n0: u32, k0: u32, tid: u32) {
  for (var i = 0u; i < A_LOADS; i++) { put_a(buf, tid + i * WG, load_a(m0, k0, tid + i * WG)); }
  for (var i = 0u; i < B_LOADS; i++) { put_b(buf, tid + i * WG, load_b(n0, k0, tid + i * WG)); }
}

// The tile at k0 into registers (issued before a tile's arithmetic, stored after it).
fn prefetch(ra: ptr<function, Staged>, rb: ptr<function, Staged>, m0: u32, n0: u32, k0: u32, tid: u32) {
  for (var i = 0u; i < A_LOADS; i++) { (*ra)[i] = load_a(m0, k0, tid + i * WG); }
  for (var i = 0u; i < B_LOADS; i++) { (*rb)[i] = load_b(n0, k0, tid + i * WG); }
}

fn stage(ra: ptr<function, Staged>, rb: ptr<function, Staged>, buf: u32, tid: u32) {
  for (var i = 0u; i < A_LOADS; i++) { put_a(buf, tid + i * WG, (*ra)[i]); }
  for (var i = 0u; i < B_LOADS; i++) { put_b(buf, tid + i * WG, (*rb)[i]); }
}
