// f32 storage of regblock.wgsl: one global vector is 4 k of a row of A or W (or 4 n of a row of B),
// staged as it is in f32 workgroup tiles.
alias Tile = vec4<f32>;
alias Stage = vec4<f32>;
const RS = 4u;                // register staging vectors per operand
const VW = 4u;

// Vector v of a K-contiguous BR×BK tile whose first row is r0 and first column k0. Consecutive v
// walk down the rows so the transposed workgroup stores are conflict-free.
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_a(r0 + v % BM, k0 + (v / BM) * 4u);
}

// Vector v of the W (K-contiguous) or B (N-contiguous) tile.
fn load_b(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  if (B_KMAJOR) {
    return load_kmajor_b(r0, k0, v);
  }
  return load_nmajor_b(r0, k0, v);
}

fn load_kmajor_b(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_b(r0 + v % BN, k0 + (v / BN) * 4u);
}

// Vector v of an N-contiguous BK×BN tile of B [K,N]: columns past N only feed padding columns of C.
fn load_nmajor_b(n0: u32, k0: u32, v: u32) -> vec4<f32> {
  let k = k0 + v / BN4;
  let n4 = n0 / 4u + v % BN4;
  let x = b[min(k, p.k - 1u) * (p.ldb / 4u) + min(n4, p.ldb / 4u - 1u)];
  return select(vec4<f32>(0.0), x, k < p.k);
}

fn store_kmajor(dst_is_a: bool, buf: u32, v: u32, x: vec4<f32>) {
  let rows = select(BN, BM, dst_is_a);
  let w4 = rows / 4u;
  let r = v % rows;
  let base = buf * BK * w4 + (v / rows) * 4u * w4 + r / 4u;
  let lane = r % 4u;
  if (dst_is_a) {
    sa[base][lane] = x.x; sa[base + w4][lane] = x.y; sa[base + 2u * w4][lane] = x.z; sa[base + 3u * w4][lane] = x.w;
  } else {
    sb[base][lane] = x.x; sb[base + w4][lane] = x.y; sb[base + 2u * w4][lane] = x.z; sb[base + 3u * w4][lane] = x.w;
  }
}

fn put_a(buf: u32, v: u32, x: vec4<f32>) {
  store_kmajor(true, buf, v, x);
}

fn put_b(buf: u32, v: u32, x: vec4<f32>) {
  if (B_KMAJOR) {
    store_kmajor(false, buf, v, x);
  } else {
    sb[buf * BK * BN4 + v] = x;
  }
}
