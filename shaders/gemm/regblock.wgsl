// Register-blocked f32 GEMM, the third rung. A workgroup owns a BM×BN block of C; each invocation
// owns an 8×8 micro-tile held in 16 vec4 accumulators, so one k step costs 4 vec4 workgroup loads
// for 64 FMAs. Tiles of A and B are staged in workgroup memory k-major ([k][m] and [k][n]) so the
// inner loads are vec4 along m and n; for C = A·Wᵀ both operands are K-contiguous in memory and are
// transposed on the way in. With PREFETCH the shared tiles are double-buffered and the next global
// tile is prefetched into registers while the current one is multiplied (one barrier per BK step);
// without it one buffer is staged at the start of each step (two barriers, fewer live registers).
//   B_KMAJOR: C[M,N] = A[M,K] · Wᵀ, W [N,K];  else C = A · B, B [K,N].
// Layout: A [M][lda], W [N][ldb] or B [K][ldb], C [M][ldc], leading dimensions multiples of 4 so
// rows start on 16-byte boundaries. Elements k >= K of a row are masked to zero on load, rows
// beyond M (or N) are clamped and masked, so any M, N, K is exact.
override BM: u32 = 128;       // block rows; multiple of 16 (two halves of 4-row vec4 groups)
override BN: u32 = 128;       // block cols; multiple of 16
override BK: u32 = 16;        // k depth of one staged tile; multiple of 4
override B_KMAJOR: bool = true;
override GROUP_M: u32 = 8;    // block rows per raster group: neighbouring blocks reuse A and W in L2
override PREFETCH: bool = true; // double-buffer with register prefetch; false: one buffer, loads at tile start (fewer live registers)
override WARP_TX: u32 = 16;   // a warp covers WARP_TX micro-tiles along n × 32/WARP_TX along m

// 8×8 outputs per invocation: rows {4ty..4ty+3} ∪ BM/2+{...}, cols {4tx..4tx+3} ∪ BN/2+{...}.
// Splitting each 8 into two 4-wide halves keeps a warp's vec4 loads on distinct banks.
override TX: u32 = BN / 8u;
override WG: u32 = (BM / 8u) * (BN / 8u);
override BM4: u32 = BM / 4u;
override BN4: u32 = BN / 4u;
override A_LOADS: u32 = BM * BK / 4u / WG;   // vec4 of A (or W) per invocation per tile
override B_LOADS: u32 = BN * BK / 4u / WG;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  groups_x: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: Params;

override NBUF: u32 = select(1u, 2u, PREFETCH);
var<workgroup> sa: array<vec4<f32>, NBUF * BK * BM4>;
var<workgroup> sb: array<vec4<f32>, NBUF * BK * BN4>;

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Zeroes the components of a K-contiguous vec4 that lie at k >= K (the row padding).
fn mask_k(v: vec4<f32>, k: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, vec4<u32>(k) + LANES < vec4<u32>(p.k));
}

// Four consecutive k (from k) of row r of A or W: rows past the matrix are clamped and zeroed.
fn fetch_a(r: u32, k: u32) -> vec4<f32> {
  let x = a[min(r, p.m - 1u) * (p.lda / 4u) + min(k / 4u, p.lda / 4u - 1u)];
  return select(vec4<f32>(0.0), mask_k(x, k), r < p.m);
}

fn fetch_b(r: u32, k: u32) -> vec4<f32> {
  let x = b[min(r, p.n - 1u) * (p.ldb / 4u) + min(k / 4u, p.ldb / 4u - 1u)];
  return select(vec4<f32>(0.0), mask_k(x, k), r < p.n);
}

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

fn put(m: u32, n4a: u32, n4b: u32, va: vec4<f32>, vb: vec4<f32>) {
  let ldc4 = p.ldc / 4u;
  if (m < p.m) {
    if (n4a < ldc4) { c[m * ldc4 + n4a] = va; }
    if (n4b < ldc4) { c[m * ldc4 + n4b] = vb; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  // Grouped raster order (GROUP_M block rows at a time) so that concurrently running blocks share
  // rows of A and W in L2 instead of streaming all of W once per block row.
  let blocks_m = (p.m + BM - 1u) / BM;
  let blocks_n = (p.n + BN - 1u) / BN;
  let pid = wid.y * p.groups_x + wid.x;
  if (pid >= blocks_m * blocks_n) {
    return;
  }
  let per_group = GROUP_M * blocks_n;
  let first_m = (pid / per_group) * GROUP_M;
  let group_rows = min(blocks_m - first_m, GROUP_M);
  let bm = first_m + (pid % per_group) % group_rows;
  let bn = (pid % per_group) / group_rows;
  let m0 = bm * BM;
  let n0 = bn * BN;
  // Micro-tile coordinates: a subgroup of 32 covers a WARP_TX × (32/WARP_TX) patch, which sets how
  // many distinct vec4 its workgroup loads touch (fewer distinct addresses, fewer shared wavefronts).
  let lane = tid % 32u;
  let warp = tid / 32u;
  let warps_per_row = TX / min(WARP_TX, TX);
  let tx = (warp % warps_per_row) * min(WARP_TX, TX) + lane % min(WARP_TX, TX);
  let ty = (warp / warps_per_row) * (32u / min(WARP_TX, TX)) + lane / min(WARP_TX, TX);

  var c0a = vec4<f32>(0.0); var c0b = vec4<f32>(0.0);
  var c1a = vec4<f32>(0.0); var c1b = vec4<f32>(0.0);
  var c2a = vec4<f32>(0.0); var c2b = vec4<f32>(0.0);
  var c3a = vec4<f32>(0.0); var c3b = vec4<f32>(0.0);
  var c4a = vec4<f32>(0.0); var c4b = vec4<f32>(0.0);
  var c5a = vec4<f32>(0.0); var c5b = vec4<f32>(0.0);
  var c6a = vec4<f32>(0.0); var c6b = vec4<f32>(0.0);
  var c7a = vec4<f32>(0.0); var c7b = vec4<f32>(0.0);

  // Register staging of the next tile (at most 4 vec4 per operand for the configurations in use).
  var ra: array<vec4<f32>, 4>;
  var rb: array<vec4<f32>, 4>;
  let ktiles = (p.k + BK - 1u) / BK;

  if (PREFETCH) {
    for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_kmajor_a(m0, 0u, tid + i * WG); }
    for (var i = 0u; i < B_LOADS; i++) {
      if (B_KMAJOR) { rb[i] = load_kmajor_b(n0, 0u, tid + i * WG); } else { rb[i] = load_nmajor_b(n0, 0u, tid + i * WG); }
    }
    for (var i = 0u; i < A_LOADS; i++) { store_a(0u, tid + i * WG, ra[i]); }
    for (var i = 0u; i < B_LOADS; i++) { store_b(0u, tid + i * WG, rb[i]); }
    workgroupBarrier();
  }

  for (var t = 0u; t < ktiles; t++) {
    let cur = select(0u, t % 2u, PREFETCH);
    let more = t + 1u < ktiles;
    if (!PREFETCH) {
      // Single buffer: stage this tile now; the loaded values are dead once stored.
      for (var i = 0u; i < A_LOADS; i++) { store_a(0u, tid + i * WG, load_kmajor_a(m0, t * BK, tid + i * WG)); }
      for (var i = 0u; i < B_LOADS; i++) {
        if (B_KMAJOR) { store_b(0u, tid + i * WG, load_kmajor_b(n0, t * BK, tid + i * WG)); } else { store_b(0u, tid + i * WG, load_nmajor_b(n0, t * BK, tid + i * WG)); }
      }
      workgroupBarrier();
    } else if (more) {
      let k0 = (t + 1u) * BK;
      for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_kmajor_a(m0, k0, tid + i * WG); }
      for (var i = 0u; i < B_LOADS; i++) {
        if (B_KMAJOR) { rb[i] = load_kmajor_b(n0, k0, tid + i * WG); } else { rb[i] = load_nmajor_b(n0, k0, tid + i * WG); }
      }
    }
    let abase = cur * BK * BM4 + ty;
    let bbase = cur * BK * BN4 + tx;
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = sa[abase + kk * BM4];
      let a1 = sa[abase + kk * BM4 + BM4 / 2u];
      let b0 = sb[bbase + kk * BN4];
      let b1 = sb[bbase + kk * BN4 + BN4 / 2u];
      c0a = fma(vec4<f32>(a0.x), b0, c0a); c0b = fma(vec4<f32>(a0.x), b1, c0b);
      c1a = fma(vec4<f32>(a0.y), b0, c1a); c1b = fma(vec4<f32>(a0.y), b1, c1b);
      c2a = fma(vec4<f32>(a0.z), b0, c2a); c2b = fma(vec4<f32>(a0.z), b1, c2b);
      c3a = fma(vec4<f32>(a0.w), b0, c3a); c3b = fma(vec4<f32>(a0.w), b1, c3b);
      c4a = fma(vec4<f32>(a1.x), b0, c4a); c4b = fma(vec4<f32>(a1.x), b1, c4b);
      c5a = fma(vec4<f32>(a1.y), b0, c5a); c5b = fma(vec4<f32>(a1.y), b1, c5b);
      c6a = fma(vec4<f32>(a1.z), b0, c6a); c6b = fma(vec4<f32>(a1.z), b1, c6b);
      c7a = fma(vec4<f32>(a1.w), b0, c7a); c7b = fma(vec4<f32>(a1.w), b1, c7b);
    }
    if (PREFETCH && more) {
      let nxt = 1u - cur;
      for (var i = 0u; i < A_LOADS; i++) { store_a(nxt, tid + i * WG, ra[i]); }
      for (var i = 0u; i < B_LOADS; i++) { store_b(nxt, tid + i * WG, rb[i]); }
    }
    workgroupBarrier();
  }

  let ma = m0 + 4u * ty;
  let mb = m0 + BM / 2u + 4u * ty;
  let n4a = n0 / 4u + tx;
  let n4b = n4a + BN4 / 2u;
  put(ma, n4a, n4b, c0a, c0b);
  put(ma + 1u, n4a, n4b, c1a, c1b);
  put(ma + 2u, n4a, n4b, c2a, c2b);
  put(ma + 3u, n4a, n4b, c3a, c3b);
  put(mb, n4a, n4b, c4a, c4b);
  put(mb + 1u, n4a, n4b, c5a, c5b);
  put(mb + 2u, n4a, n4b, c6a, c6b);
  put(mb + 3u, n4a, n4b, c7a, c7b);
}
