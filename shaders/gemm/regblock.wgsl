// Register-blocked GEMM, the third rung (f32, f16 storage, and packed-half math through the pieces
// buildGemmWgsl assembles with it). A workgroup owns a BM×BN block of C; each invocation owns an 8×8
// micro-tile held in 16 vec4 accumulators, so one k step costs 4 vec4 workgroup loads for 64 FMAs.
// Tiles of A and B are staged in workgroup memory k-major ([k][m] and [k][n]) so the inner loads are
// vec4 along m and n; for C = A·Wᵀ both operands are K-contiguous in memory and are transposed on the
// way in. With PREFETCH the shared tiles are double-buffered and the next global tile is prefetched
// into registers while the current one is multiplied (one barrier per BK step); without it one
// buffer is staged at the start of each step (two barriers, fewer live registers).
//   B_KMAJOR: C[M,N] = A[M,K] · Wᵀ, W [N,K];  else C = A · B, B [K,N].
// The storage piece (regblock-io-f32.wgsl or regblock-io-f16.wgsl) reads VW-element global vectors
// into Stage registers and stores them into the Tile-typed workgroup arrays; the math (the
// {{...}} slots: f32 FMAs into the accumulators, or f16 FMAs per tile folded into them) is written
// by buildGemmWgsl. Elements k >= K of a row are masked to zero on load, rows beyond M (or N) are
// clamped and masked, so any M, N, K is exact.
override BM: u32 = 128;       // block rows; multiple of 16 (two halves of 4-row vec4 groups)
override BN: u32 = 128;       // block cols; multiple of 16
override BK: u32 = 16;        // k depth of one staged tile; multiple of VW
override B_KMAJOR: bool = true;
override PREFETCH: bool = true; // double-buffer with register prefetch; false: one buffer, loads at tile start (fewer live registers)
override WARP_TX: u32 = 16;   // a warp covers WARP_TX micro-tiles along n × 32/WARP_TX along m

// 8×8 outputs per invocation: rows {4ty..4ty+3} ∪ BM/2+{...}, cols {4tx..4tx+3} ∪ BN/2+{...}.
// Splitting each 8 into two 4-wide halves keeps a warp's vec4 loads on distinct banks.
override TX: u32 = BN / 8u;
override WG: u32 = (BM / 8u) * (BN / 8u);
override BM4: u32 = BM / 4u;
override BN4: u32 = BN / 4u;
override A_LOADS: u32 = BM * BK / VW / WG;   // global vectors of A (or W) per invocation per tile
override B_LOADS: u32 = BN * BK / VW / WG;

@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;

override NBUF: u32 = select(1u, 2u, PREFETCH);
var<workgroup> sa: array<Tile, NBUF * BK * BM4>;
var<workgroup> sb: array<Tile, NBUF * BK * BN4>;

fn put(m: u32, n4a: u32, n4b: u32, va: vec4<f32>, vb: vec4<f32>) {
  let ldc4 = p.ldc / 4u;
  if (m < p.m) {
    if (n4a < ldc4) { c[m * ldc4 + n4a] = va; }
    if (n4b < ldc4) { c[m * ldc4 + n4b] = vb; }
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
{{DECLARE}}
  // Register staging of the next tile (at most 4 vectors per operand for the configurations in use).
  // The staging loops are written out here rather than called from shared functions: that form
  // measured 14% slower (A·B) on the H100 (bench/notes/gemm.md, session 2).
  var ra: array<Stage, 4>;
  var rb: array<Stage, 4>;
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
{{STEP}}
    }
{{FOLD}}
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
