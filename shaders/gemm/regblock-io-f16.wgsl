// f16 storage of regblock.wgsl: one global vector is 8 halves of a row, widened (half-f32.wgsl) or
// kept in f16 (half-f16.wgsl, the packed-half kernel) as H4 pairs and staged in H4 workgroup tiles.
alias Tile = H4;
alias Stage = Half8;
const VW = 8u;

// Vector v (8 halves) of a K-contiguous BR×BK tile; consecutive v walk down the rows so the
// transposed workgroup stores are conflict-free.
fn load_kmajor_a(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v % BM;
  let k = k0 + (v / BM) * 8u;
  return widen(raw8_a(r, k), k, r < p.m);
}

fn load_kmajor_b(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v % BN;
  let k = k0 + (v / BN) * 8u;
  return widen(raw8_b(r, k), k, r < p.n);
}

// Vector v of an N-contiguous BK×BN tile of B [K,N] (8 columns of one row k).
fn load_nmajor_b(n0: u32, k0: u32, v: u32) -> Half8 {
  let k = k0 + v / (BN / 8u);
  let n8 = n0 / 8u + v % (BN / 8u);
  let x = b[min(k, p.k - 1u) * (p.ldb / 8u) + min(n8, p.ldb / 8u - 1u)];
  let z = H4(0.0);
  let h = halves(x);
  return Half8(select(z, h.lo, k < p.k), select(z, h.hi, k < p.k));
}

fn store_kmajor(dst_is_a: bool, buf: u32, v: u32, x: Half8) {
  let rows = select(BN, BM, dst_is_a);
  let w4 = rows / 4u;
  let r = v % rows;
  let base = buf * BK * w4 + (v / rows) * 8u * w4 + r / 4u;
  let lane = r % 4u;
  if (dst_is_a) {
    sa[base][lane] = x.lo.x; sa[base + w4][lane] = x.lo.y; sa[base + 2u * w4][lane] = x.lo.z; sa[base + 3u * w4][lane] = x.lo.w;
    sa[base + 4u * w4][lane] = x.hi.x; sa[base + 5u * w4][lane] = x.hi.y; sa[base + 6u * w4][lane] = x.hi.z; sa[base + 7u * w4][lane] = x.hi.w;
  } else {
    sb[base][lane] = x.lo.x; sb[base + w4][lane] = x.lo.y; sb[base + 2u * w4][lane] = x.lo.z; sb[base + 3u * w4][lane] = x.lo.w;
    sb[base + 4u * w4][lane] = x.hi.x; sb[base + 5u * w4][lane] = x.hi.y; sb[base + 6u * w4][lane] = x.hi.z; sb[base + 7u * w4][lane] = x.hi.w;
  }
}

fn store_a(buf: u32, v: u32, x: Half8) {
  store_kmajor(true, buf, v, x);
}

fn store_b(buf: u32, v: u32, x: Half8) {
  if (B_KMAJOR) {
    store_kmajor(false, buf, v, x);
  } else {
    // Row k of the tile, columns 8·(v mod BN/8) .. +7: two vec4 stores.
    let i = buf * BK * BN4 + (v / (BN / 8u)) * BN4 + (v % (BN / 8u)) * 2u;
    sb[i] = x.lo;
    sb[i + 1u] = x.hi;
  }
}
