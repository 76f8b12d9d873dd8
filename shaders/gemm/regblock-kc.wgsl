// Register-blocked GEMM C[M,N] = A[M,K] · Wᵀ (W [N,K]) with K-contiguous staging (f32 or f16
// storage through the piece buildGemmWgsl assembles with it, regblock-kc-io-f32.wgsl or
// regblock-kc-io-f16.wgsl; the workgroup tiles and the arithmetic are f32 in both).
// The {{...}} slots are written by regblockKcSlots (src/kernels/gemm.ts) for one shape: the constants
// TM, TN (micro-tile rows and columns per invocation, TM a multiple of 4), TX, TY (the invocation
// grid), BK (k depth of a staged tile), KQ = BK / 4, STAGING; the accumulators; the unrolled
// arithmetic of one tile; the output stores.
// Each invocation owns rows ty + TY·i (i < TM) and columns tx + TX·j (j < TN) of the block. Tiles are
// staged as [kq][i][ty] vec4 (4 consecutive k of one row): every workgroup load of the arithmetic has
// constant kq and i and the invocation's own ty (or tx) as its only variable index, so the bounds
// clamps that the robustness transform puts on each variable index are one per invocation (hoisted
// by the driver) instead of one per load, and the constant parts fold into the load's address. A
// subgroup's W reads are TX consecutive vec4 (conflict-free), its A reads 32/TX broadcasts.
// Global loads: each group of 32 consecutive staging vectors reads 32/KV whole rows of the tile
// (KV vectors of a row, at most 64 bytes: whole 32-byte sectors), and 8 consecutive invocations store
// 8 consecutive rows of one kq (conflict-free).
// STAGING 0: one buffer, this tile loaded, stored, barrier, arithmetic, barrier. 1: one buffer, the
// next tile's global loads issued into registers before this tile's arithmetic (two barriers, the
// load latency off the critical path). 2: two buffers and the register prefetch, one barrier per tile.
// Elements k >= K are masked to zero on load, rows past M (or N) are clamped and zeroed, outputs past
// M or N are not stored, so any M, N, K is exact.
{{CONSTS}}
const BM = TY * TM;
const BN = TX * TN;
const WG = TX * TY;
const NBUF = select(1u, 2u, STAGING == 2u);
const A_LOADS = BM * KV / WG;  // global vectors per invocation per tile (KV per staged row)
const B_LOADS = BN * KV / WG;
const RPW = 32u / KV;          // rows covered by 32 consecutive staging vectors
const RS = max(A_LOADS, B_LOADS); // register staging vectors per operand
override B_KMAJOR: bool = true; // set by the host for every regblock kernel; this one is A·Wᵀ only

@group(0) @binding(2) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<array<array<array<vec4<f32>, TY>, TM>, KQ>, NBUF>;
var<workgroup> sb: array<array<array<array<vec4<f32>, TX>, TN>, KQ>, NBUF>;

// Row and vector-within-row of staging vector v.
fn stage_row(v: u32) -> u32 {
  return (v / 32u) * RPW + v % RPW;
}

fn stage_kv(v: u32) -> u32 {
  return (v % 32u) / RPW;
}

// Rows 0–3 (or 4–7, ...) of one output column, each a 4-deep dot product added in FMA order.
fn acc4(a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>, w: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(
    fma(a0.w, w.w, fma(a0.z, w.z, fma(a0.y, w.y, fma(a0.x, w.x, d.x)))),
    fma(a1.w, w.w, fma(a1.z, w.z, fma(a1.y, w.y, fma(a1.x, w.x, d.y)))),
    fma(a2.w, w.w, fma(a2.z, w.z, fma(a2.y, w.y, fma(a2.x, w.x, d.z)))),
    fma(a3.w, w.w, fma(a3.z, w.z, fma(a3.y, w.y, fma(a3.x, w.x, d.w)))));
}

// Stores rows row0 + TY·i (i < 4) of output column n, those that exist.
fn put4(row0: u32, n: u32, d: vec4<f32>) {
  if (n >= p.n) {
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + TY * i;
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
  let tx = tid % TX;
  let ty = tid / TX;
{{DECLARE}}
  // Register staging of the next tile. The staging loops are written out here rather than called
  // from shared functions: that form measured 2% slower on the H100 (bench/notes/gemm.md, session 2).
  var ra: array<Stage, RS>;
  var rb: array<Stage, RS>;
  let ktiles = (p.k + BK - 1u) / BK;

  if (STAGING != 0u) {
    for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, 0u, tid + i * WG); }
    for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, 0u, tid + i * WG); }
  }
  if (STAGING == 2u) {
    for (var i = 0u; i < A_LOADS; i++) { put_a(0u, tid + i * WG, ra[i]); }
    for (var i = 0u; i < B_LOADS; i++) { put_b(0u, tid + i * WG, rb[i]); }
    workgroupBarrier();
  }

  for (var t = 0u; t < ktiles; t++) {
    let more = t + 1u < ktiles;
    let k0 = (t + 1u) * BK;
    let cur = t % 2u;             // the buffer read in this tile (STAGING 2; the others read buffer 0)
    if (STAGING == 0u) {
      for (var i = 0u; i < A_LOADS; i++) { put_a(0u, tid + i * WG, load_a(m0, t * BK, tid + i * WG)); }
      for (var i = 0u; i < B_LOADS; i++) { put_b(0u, tid + i * WG, load_b(n0, t * BK, tid + i * WG)); }
      workgroupBarrier();
    } else if (STAGING == 1u) {
      for (var i = 0u; i < A_LOADS; i++) { put_a(0u, tid + i * WG, ra[i]); }
      for (var i = 0u; i < B_LOADS; i++) { put_b(0u, tid + i * WG, rb[i]); }
      workgroupBarrier();
      if (more) {
        for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, k0, tid + i * WG); }
        for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, k0, tid + i * WG); }
      }
    } else {
      if (more) {
        for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, k0, tid + i * WG); }
        for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, k0, tid + i * WG); }
      }
    }
{{STEP}}
    if (STAGING == 2u && more) {
      for (var i = 0u; i < A_LOADS; i++) { put_a(1u - cur, tid + i * WG, ra[i]); }
      for (var i = 0u; i < B_LOADS; i++) { put_b(1u - cur, tid + i * WG, rb[i]); }
    }
    workgroupBarrier();
  }

  let row0 = m0 + ty;
  let col0 = n0 + tx;
{{STORE}}
}
