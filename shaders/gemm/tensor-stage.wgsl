// Staging of the tensor-core kernels (subgroup-matrix-pipe.wgsl, subgroup-matrix-strips.wgsl;
// assembled by buildGemmWgsl after io-f16.wgsl's loads): the 16-byte global vectors of a BK-deep tile
// of A and W into registers and from registers into a workgroup buffer through the kernel's own
// store_a / store_b (which know its workgroup layout). Needs KV, WG, A_LOADS and B_LOADS.
// Keeps the halves of an 8-half vector starting at k that lie below K (and all of them only if the
// row exists): word j holds halves k+2j (low) and k+2j+1 (high).
fn mask8(x: vec4<u32>, k: u32, row_ok: bool) -> vec4<u32> {
  let j2 = vec4<u32>(k) + vec4<u32>(0u, 2u, 4u, 6u);
  let kk = vec4<u32>(p.k);
  let lo_only = x & vec4<u32>(0xffffu);
  let z = vec4<u32>(0u);
  let m = select(select(z, lo_only, j2 < kk), x, j2 + vec4<u32>(1u) < kk);
  return select(z, m, row_ok);
}

// Vector v of a K-contiguous tile whose first row is r0 and first column k0; consecutive v run along
// k inside a row, so a subgroup reads whole 32-byte sectors of consecutive rows.
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return mask8(raw8_a(r, k), k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return mask8(raw8_b(r, k), k, r < p.n);
}

// The next tile's global vectors into registers, and registers into workgroup buffer `buf`. Written
// out with constant indices (the guards are constants once the overrides are set) so the staging
// array is never indexed dynamically, which would put it in local memory.
fn fetch(ra: ptr<function, array<vec4<u32>, 8>>, rb: ptr<function, array<vec4<u32>, 8>>, m0: u32, n0: u32, k0: u32, tid: u32) {
  if (A_LOADS > 0u) { (*ra)[0] = load_a(m0, k0, tid); }
  if (A_LOADS > 1u) { (*ra)[1] = load_a(m0, k0, tid + WG); }
  if (A_LOADS > 2u) { (*ra)[2] = load_a(m0, k0, tid + 2u * WG); }
  if (A_LOADS > 3u) { (*ra)[3] = load_a(m0, k0, tid + 3u * WG); }
  if (A_LOADS > 4u) { (*ra)[4] = load_a(m0, k0, tid + 4u * WG); }
  if (A_LOADS > 5u) { (*ra)[5] = load_a(m0, k0, tid + 5u * WG); }
  if (A_LOADS > 6u) { (*ra)[6] = load_a(m0, k0, tid + 6u * WG); }
  if (A_LOADS > 7u) { (*ra)[7] = load_a(m0, k0, tid + 7u * WG); }
  if (B_LOADS > 0u) { (*rb)[0] = load_b(n0, k0, tid); }
  if (B_LOADS > 1u) { (*rb)[1] = load_b(n0, k0, tid + WG); }
  if (B_LOADS > 2u) { (*rb)[2] = load_b(n0, k0, tid + 2u * WG); }
  if (B_LOADS > 3u) { (*rb)[3] = load_b(n0, k0, tid + 3u * WG); }
  if (B_LOADS > 4u) { (*rb)[4] = load_b(n0, k0, tid + 4u * WG); }
  if (B_LOADS > 5u) { (*rb)[5] = load_b(n0, k0, tid + 5u * WG); }
  if (B_LOADS > 6u) { (*rb)[6] = load_b(n0, k0, tid + 6u * WG); }
  if (B_LOADS > 7u) { (*rb)[7] = load_b(n0, k0, tid + 7u * WG); }
}

fn stage(ra: ptr<function, array<vec4<u32>, 8>>, rb: ptr<function, array<vec4<u32>, 8>>, buf: u32, tid: u32) {
  if (A_LOADS > 0u) { store_a(buf, tid, (*ra)[0]); }
  if (A_LOADS > 1u) { store_a(buf, tid + WG, (*ra)[1]); }
  if (A_LOADS > 2u) { store_a(buf, tid + 2u * WG, (*ra)[2]); }
  if (A_LOADS > 3u) { store_a(buf, tid + 3u * WG, (*ra)[3]); }
  if (A_LOADS > 4u) { store_a(buf, tid + 4u * WG, (*ra)[4]); }
  if (A_LOADS > 5u) { store_a(buf, tid + 5u * WG, (*ra)[5]); }
  if (A_LOADS > 6u) { store_a(buf, tid + 6u * WG, (*ra)[6]); }
  if (A_LOADS > 7u) { store_a(buf, tid + 7u * WG, (*ra)[7]); }
  if (B_LOADS > 0u) { store_b(buf, tid, (*rb)[0]); }
  if (B_LOADS > 1u) { store_b(buf, tid + WG, (*rb)[1]); }
  if (B_LOADS > 2u) { store_b(buf, tid + 2u * WG, (*rb)[2]); }
  if (B_LOADS > 3u) { store_b(buf, tid + 3u * WG, (*rb)[3]); }
  if (B_LOADS > 4u) { store_b(buf, tid + 4u * WG, (*rb)[4]); }
  if (B_LOADS > 5u) { store_b(buf, tid + 5u * WG, (*rb)[5]); }
  if (B_LOADS > 6u) { store_b(buf, tid + 6u * WG, (*rb)[6]); }
  if (B_LOADS > 7u) { store_b(buf, tid + 7u * WG, (*rb)[7]); }
}
