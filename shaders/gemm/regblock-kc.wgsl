// Register-blocked GEMM C[M,N] = A[M,K] · Wᵀ (W [N,K]) with K-contiguous staging (f32 or f16
// storage through the piece buildGemmWgsl assembles with it, regblock-kc-io-f32.wgsl or
// regblock-kc-io-f16.wgsl; the workgroup tiles and the arithmetic are f32 in both). Tiles of A and
// W are staged as they lie in memory ([row][k], rows padded by one vec4), so
//   - the global loads are coalesced: consecutive invocations read consecutive 16-byte pieces of a
//     row (whole 32-byte sectors), where the k-major staging of regblock.wgsl reads one 16-byte piece
//     from each of 32 rows per subgroup load (half of every sector fetched, the rest re-read later);
//   - the workgroup stores are whole vec4 (one store per 4 elements instead of four scalar ones).
// Each invocation owns an 8×8 micro-tile: rows ty + 16i and columns tx + 16j (i, j < 8), strided by 16
// so that a subgroup's vec4 reads of W are 16 consecutive rows, and with a row stride of BK/4 + 1
// vec4 (odd) consecutive rows fall in distinct 16-byte bank groups: conflict-free. The reads of A
// are broadcasts (two distinct rows per subgroup). One 4-deep k step costs 16 vec4 workgroup loads
// for 256 FMAs (the same ratio as regblock.wgsl) with 64 accumulators as 16 named vec4 (d{j}lo holds
// rows 0–3 of column j, d{j}hi rows 4–7) and only one W vector live at a time.
// PREFETCH: double-buffered tiles, the next tile's global loads issued before this tile's arithmetic,
// one barrier per tile; without it one buffer is staged per step (two barriers, fewer registers).
// Elements k >= K are masked to zero on load, rows past M (or N) are clamped and zeroed, outputs past
// M or N are not stored, so any M, N, K is exact.
const BM = 128u;              // block rows: 16 invocations × 8 (the row offsets below are written for it)
const BN = 128u;              // block cols: 16 × 8
override BK: u32 = 16;        // k depth of one staged tile; multiple of 4 (f32) or 8 (f16)
override PREFETCH: bool = true;
override B_KMAJOR: bool = true; // set by the host for every regblock kernel; this one is A·Wᵀ only

const WG = 256u;              // 16 × 16 invocations, 8×8 outputs each
override KQ: u32 = BK / 4u;   // vec4 per staged row
override S: u32 = KQ + 1u;    // staged row stride in vec4 (odd: conflict-free column reads)
override A_LOADS: u32 = BM * KV / WG; // global vectors per invocation per tile (KV per staged row)
override B_LOADS: u32 = BN * KV / WG;
override NBUF: u32 = select(1u, 2u, PREFETCH);

@group(0) @binding(2) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<vec4<f32>, NBUF * BM * S>;
var<workgroup> sb: array<vec4<f32>, NBUF * BN * S>;

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
  let origin = block_origin(wid, BM, BN);
  if (origin.x == NO_BLOCK) {
    return;
  }
  let m0 = origin.x;
  let n0 = origin.y;
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

  // Register staging of the next tile (RS global vectors per operand: BK ≤ 32). The staging loops
  // are written out here rather than called from shared functions: that form measured 2% slower on
  // the H100 (bench/notes/gemm.md, session 2).
  var ra: array<Stage, RS>;
  var rb: array<Stage, RS>;
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
