// f32 storage of regblock.wgsl: one global vector is 4 k of a row of A or W (or 4 n of a row of B),
// staged as it is in f32 workgroup tiles.
alias Tile = vec4<f32>;
alias Stage = vec4<f32>;
const VW = 4u;

// Vector v of a K-contiguous BR×BK tile whose first row is r0 and first column k0. Consecutive v
// walk down the rows so the transposed workgroup stores are conflict-free.
fn load_kmajor_a(r0: u32, k0: u32, v: u32) -> vec4<f32> {
  return fetch_a(r0 + v % BM, k0 + (v / BM) * 4u);
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

// The transposing stores are written per operand with its constant row count: one function for
// both with the operand as a parameter (as regblock-io-f16.wgsl has) measured 14% slower on the H100.
fn store_a(buf: u32, v: u32, x: vec4<f32>) {
  let m = v % BM;
  let base = buf * BK * BM4 + (v / BM) * 4u * BM4 + m / 4u;
  let lane = m % 4u;
  sa[base][lane] = x.x;
  sa[base + BM4][lane] = x.y;
  sa[base + 2u * BM4][lane] = x.z;
  sa[base + 3u * BM4][lane] = x.w;
}

fn store_b(buf: u32, v: u32, x: vec4<f32>) {
  if (B_KMAJOR) {
    let n = v % BN;
    let base = buf * BK * BN4 + (v / BN) * 4u * BN4 + n / 4u;
    let lane = n % 4u;
    sb[base][lane] = x.x;
    sb[base + BN4][lane] = x.y;
    sb[base + 2u * BN4][lane] = x.z;
    sb[base + 3u * BN4][lane] = x.w;
  } else {
    sb[buf * BK * BN4 + v] = x;
  }
}
