// regblock-kc.wgsl with f16 storage: A [M,K] and W [N,K] hold halves, read as 16-byte vectors of 8,
// widened with unpack2x16float as they are staged (f32 workgroup tiles, f32 multiply-add and
// accumulation, so the arithmetic and its error are those of the f32 kernel and no shader-f16 is
// needed), halving the global traffic. K-contiguous staging as in regblock-kc.wgsl: consecutive
// invocations read consecutive 16-byte pieces of a row, each stored as two whole vec4<f32>.
// Layout: A [M][lda], W [N][ldb] in halves (leading dimensions multiples of 8), C f32 [M][ldc].
// Elements k >= K are zeroed as they are widened, rows past M (or N) are clamped and zeroed,
// outputs past M or N are not stored, so any M, N, K is exact.
const BM = 128u;              // block rows: 16 invocations × 8 (the row offsets below are written for it)
const BN = 128u;              // block cols: 16 × 8
override BK: u32 = 16;        // k depth of one staged tile; multiple of 8
override GROUP_M: u32 = 8;    // block rows per raster group (L2 reuse, as in regblock.wgsl)
override PREFETCH: bool = true;
override B_KMAJOR: bool = true; // set by the host for every regblock kernel; this one is A·Wᵀ only

const WG = 256u;              // 16 × 16 invocations, 8×8 outputs each
override KQ: u32 = BK / 4u;   // vec4 per staged row
override S: u32 = KQ + 1u;    // staged row stride in vec4 (odd: conflict-free column reads)
override KV: u32 = BK / 8u;   // 8-half global vectors per staged row
override A_LOADS: u32 = BM * KV / WG;
override B_LOADS: u32 = BN * KV / WG;
override NBUF: u32 = select(1u, 2u, PREFETCH);

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

@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> sa: array<vec4<f32>, NBUF * BM * S>;
var<workgroup> sb: array<vec4<f32>, NBUF * BN * S>;

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Eight halves (k .. k+7) of a K-contiguous row, widened to f32, components at k >= K zeroed.
struct Half8 {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

fn widen(x: vec4<u32>, k: u32, keep: bool) -> Half8 {
  let lo = vec4<f32>(unpack2x16float(x.x), unpack2x16float(x.y));
  let hi = vec4<f32>(unpack2x16float(x.z), unpack2x16float(x.w));
  let kk = vec4<u32>(k) + LANES;
  let z = vec4<f32>(0.0);
  return Half8(select(z, lo, (kk < vec4<u32>(p.k)) & vec4<bool>(keep)), select(z, hi, (kk + vec4<u32>(4u) < vec4<u32>(p.k)) & vec4<bool>(keep)));
}

// Vector v (8 halves) of a BR×BK tile whose first row is r0, first column k0: consecutive v along k.
fn load_a(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  let x = a[min(r, p.m - 1u) * (p.lda / 8u) + min(k / 8u, p.lda / 8u - 1u)];
  return widen(x, k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> Half8 {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  let x = b[min(r, p.n - 1u) * (p.ldb / 8u) + min(k / 8u, p.ldb / 8u - 1u)];
  return widen(x, k, r < p.n);
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

// Rows 0–3 (or 4–7) of one output column, each a 4-deep dot product added in FMA order.
fn acc4(a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>, w: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(
    fma(a0.w, w.w, fma(a0.z, w.z, fma(a0.y, w.y, fma(a0.x, w.x, d.x)))),
    fma(a1.w, w.w, fma(a1.z, w.z, fma(a1.y, w.y, fma(a1.x, w.x, d.y)))),
    fma(a2.w, w.w, fma(a2.z, w.z, fma(a2.y, w.y, fma(a2.x, w.x, d.z)))),
    fma(a3.w, w.w, fma(a3.z, w.z, fma(a3.y, w.y, fma(a3.x, w.x, d.w)))));
}

// Stores rows ty + 16i (i < 4, from row0) of output column n, those that exist.
fn put4(row0: u32, n: u32, d: vec4<f32>) {
  if (n >= p.n) {
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + 16u * i;
    if (m < p.m) { c[m * p.ldc + n] = d[i]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let blocks_m = (p.m + BM - 1u) / BM;
  let blocks_n = (p.n + BN - 1u) / BN;
  let pid = wid.y * p.groups_x + wid.x;
  if (pid >= blocks_m * blocks_n) {
    return;
  }
  let per_group = GROUP_M * blocks_n;
  let first_m = (pid / per_group) * GROUP_M;
  let group_rows = min(blocks_m - first_m, GROUP_M);
  let m0 = (first_m + (pid % per_group) % group_rows) * BM;
  let n0 = ((pid % per_group) / group_rows) * BN;
  let tx = tid % 16u;
  let ty = tid / 16u;

  var d0lo = vec4<f32>(0.0); var d0hi = vec4<f32>(0.0);
  var d1lo = vec4<f32>(0.0); var d1hi = vec4<f32>(0.0);
  var d2lo = vec4<f32>(0.0); var d2hi = vec4<f32>(0.0);
  var d3lo = vec4<f32>(0.0); var d3hi = vec4<f32>(0.0);
  var d4lo = vec4<f32>(0.0); var d4hi = vec4<f32>(0.0);
  var d5lo = vec4<f32>(0.0); var d5hi = vec4<f32>(0.0);
  var d6lo = vec4<f32>(0.0); var d6hi = vec4<f32>(0.0);
  var d7lo = vec4<f32>(0.0); var d7hi = vec4<f32>(0.0);

  // Register staging of the next tile (at most 2 vectors of 8 per operand: BK ≤ 32).
  var ra: array<Half8, 2>;
  var rb: array<Half8, 2>;
  let ktiles = (p.k + BK - 1u) / BK;

  if (PREFETCH) {
    for (var i = 0u; i < A_LOADS; i++) { put_a(0u, tid + i * WG, load_a(m0, 0u, tid + i * WG)); }
    for (var i = 0u; i < B_LOADS; i++) { put_b(0u, tid + i * WG, load_b(n0, 0u, tid + i * WG)); }
    workgroupBarrier();
  }

  for (var t = 0u; t < ktiles; t++) {
    let cur = select(0u, t % 2u, PREFETCH);
    let more = t + 1u < ktiles;
    if (!PREFETCH) {
      for (var i = 0u; i < A_LOADS; i++) { put_a(0u, tid + i * WG, load_a(m0, t * BK, tid + i * WG)); }
      for (var i = 0u; i < B_LOADS; i++) { put_b(0u, tid + i * WG, load_b(n0, t * BK, tid + i * WG)); }
      workgroupBarrier();
    } else if (more) {
      let k0 = (t + 1u) * BK;
      for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, k0, tid + i * WG); }
      for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, k0, tid + i * WG); }
    }
    let abase = cur * BM * S + ty * S;
    let bbase = cur * BN * S + tx * S;
    for (var kq = 0u; kq < KQ; kq++) {
      let ia = abase + kq;
      let a0 = sa[ia];
      let a1 = sa[ia + 16u * S];
      let a2 = sa[ia + 32u * S];
      let a3 = sa[ia + 48u * S];
      let a4 = sa[ia + 64u * S];
      let a5 = sa[ia + 80u * S];
      let a6 = sa[ia + 96u * S];
      let a7 = sa[ia + 112u * S];
      let ib = bbase + kq;
      let w0 = sb[ib];
      d0lo = acc4(a0, a1, a2, a3, w0, d0lo); d0hi = acc4(a4, a5, a6, a7, w0, d0hi);
      let w1 = sb[ib + 16u * S];
      d1lo = acc4(a0, a1, a2, a3, w1, d1lo); d1hi = acc4(a4, a5, a6, a7, w1, d1hi);
      let w2 = sb[ib + 32u * S];
      d2lo = acc4(a0, a1, a2, a3, w2, d2lo); d2hi = acc4(a4, a5, a6, a7, w2, d2hi);
      let w3 = sb[ib + 48u * S];
      d3lo = acc4(a0, a1, a2, a3, w3, d3lo); d3hi = acc4(a4, a5, a6, a7, w3, d3hi);
      let w4 = sb[ib + 64u * S];
      d4lo = acc4(a0, a1, a2, a3, w4, d4lo); d4hi = acc4(a4, a5, a6, a7, w4, d4hi);
      let w5 = sb[ib + 80u * S];
      d5lo = acc4(a0, a1, a2, a3, w5, d5lo); d5hi = acc4(a4, a5, a6, a7, w5, d5hi);
      let w6 = sb[ib + 96u * S];
      d6lo = acc4(a0, a1, a2, a3, w6, d6lo); d6hi = acc4(a4, a5, a6, a7, w6, d6hi);
      let w7 = sb[ib + 112u * S];
      d7lo = acc4(a0, a1, a2, a3, w7, d7lo); d7hi = acc4(a4, a5, a6, a7, w7, d7hi);
    }
    if (PREFETCH && more) {
      let nxt = 1u - cur;
      for (var i = 0u; i < A_LOADS; i++) { put_a(nxt, tid + i * WG, ra[i]); }
      for (var i = 0u; i < B_LOADS; i++) { put_b(nxt, tid + i * WG, rb[i]); }
    }
    workgroupBarrier();
  }

  let rlo = m0 + ty;
  let rhi = rlo + 64u;
  let n = n0 + tx;
  put4(rlo, n, d0lo); put4(rhi, n, d0hi);
  put4(rlo, n + 16u, d1lo); put4(rhi, n + 16u, d1hi);
  put4(rlo, n + 32u, d2lo); put4(rhi, n + 32u, d2hi);
  put4(rlo, n + 48u, d3lo); put4(rhi, n + 48u, d3hi);
  put4(rlo, n + 64u, d4lo); put4(rhi, n + 64u, d4hi);
  put4(rlo, n + 80u, d5lo); put4(rhi, n + 80u, d5hi);
  put4(rlo, n + 96u, d6lo); put4(rhi, n + 96u, d6hi);
  put4(rlo, n + 112u, d7lo); put4(rhi, n + 112u, d7hi);
}
