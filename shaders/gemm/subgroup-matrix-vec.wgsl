// Tensor-core GEMM through chromium_experimental_subgroup_matrix: C[M,N] = A[M,K] · Wᵀ with A and W
// [N,K] in f16, products accumulated in f32 by 16×16×16 subgroup matrix multiply-accumulates
// (the adapter's f16→f32 16×16×16 configuration; checked before this kernel is built).
// As subgroup-matrix.wgsl, but the staged tiles are arrays of vec4<f16>, so staging 8 halves costs two
// 8-byte stores instead of eight 2-byte ones; the matrix loads then count offsets and strides in
// vec4<f16> elements (the extension's current rule: strides count elements of the array pointed to).
// A workgroup of SG_M×SG_N subgroups owns a BM×BN block (BM = WARP_M·SG_M, BN = 64·SG_N); each
// subgroup owns a WARP_M×64 piece held in 2×4 (WARP_M = 32) or 4×4 (64) result matrices: the larger
// piece loads 8 matrices per 16 multiply-accumulates instead of 6 per 8. BK-deep tiles of A and W are staged in workgroup
// memory (rows padded by 8 halves so neighbouring rows start on different banks), double-buffered,
// the next tile prefetched into registers during the multiplies: one barrier per tile.
// W [N,K] read as the right operand (K×N) is column-major with stride = its row length.
// Layout: A [M][lda], W [N][ldb] in halves (leading dimensions multiples of 8, 16-byte rows); C f32
// [Mc][ldc] with Mc and ldc padded to whole blocks (the result matrices are stored whole). Elements
// k >= K and rows past M or N are zeroed as they are staged, so any M, N, K is exact.
enable f16;
enable chromium_experimental_subgroup_matrix;

override SG_M: u32 = 4;       // subgroups along m
override SG_N: u32 = 2;       // subgroups along n
override BK: u32 = 32;        // k depth of one staged tile; multiple of 16
override WARP_M: u32 = 32;    // rows per subgroup: 32 or 64
override GROUP_M: u32 = 8;    // block rows per raster group (L2 reuse, as in regblock.wgsl)

const SG_SIZE = 32u;          // invocations per subgroup this kernel is written for (checked on the host)
override BM: u32 = WARP_M * SG_M;
override BN: u32 = 64u * SG_N;
override WG: u32 = SG_SIZE * SG_M * SG_N;
override LDS: u32 = BK + 8u;  // workgroup row stride in halves
override LDS4: u32 = LDS / 4u; // the same in vec4<f16> elements
override KV: u32 = BK / 8u;   // 8-half vectors per staged row
override A_LOADS: u32 = BM * KV / WG;
override B_LOADS: u32 = BN * KV / WG;

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

var<workgroup> sa: array<vec4<f16>, 2u * BM * LDS4>;
var<workgroup> sb: array<vec4<f16>, 2u * BN * LDS4>;

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

// Vector v of a K-contiguous R×BK tile starting at row r0, column k0; consecutive v run along k
// inside a row so each row's BK halves are read as one contiguous span.
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  let x = a[min(r, p.m - 1u) * (p.lda / 8u) + min(k / 8u, p.lda / 8u - 1u)];
  return mask8(x, k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  let x = b[min(r, p.n - 1u) * (p.ldb / 8u) + min(k / 8u, p.ldb / 8u - 1u)];
  return mask8(x, k, r < p.n);
}

fn store_a(buf: u32, v: u32, x: vec4<u32>) {
  let i = buf * BM * LDS4 + (v / KV) * LDS4 + (v % KV) * 2u;
  sa[i] = vec4<f16>(bitcast<vec2<f16>>(x.x), bitcast<vec2<f16>>(x.y));
  sa[i + 1u] = vec4<f16>(bitcast<vec2<f16>>(x.z), bitcast<vec2<f16>>(x.w));
}

fn store_b(buf: u32, v: u32, x: vec4<u32>) {
  let i = buf * BN * LDS4 + (v / KV) * LDS4 + (v % KV) * 2u;
  sb[i] = vec4<f16>(bitcast<vec2<f16>>(x.x), bitcast<vec2<f16>>(x.y));
  sb[i + 1u] = vec4<f16>(bitcast<vec2<f16>>(x.z), bitcast<vec2<f16>>(x.w));
}

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) tid: u32,
        @builtin(subgroup_id) sg: u32) {
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
  let wm = sg % SG_M;
  let wn = sg / SG_M;

  // The result matrices of this subgroup, named rather than indexed so they stay in registers
  // (rows 2 and 3 only exist when WARP_M = 64).
  var c00 = Result(); var c01 = Result(); var c02 = Result(); var c03 = Result();
  var c10 = Result(); var c11 = Result(); var c12 = Result(); var c13 = Result();
  var c20 = Result(); var c21 = Result(); var c22 = Result(); var c23 = Result();
  var c30 = Result(); var c31 = Result(); var c32 = Result(); var c33 = Result();
  var ra: array<vec4<u32>, 8>;
  var rb: array<vec4<u32>, 8>;
  let ktiles = (p.k + BK - 1u) / BK;

  for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, 0u, tid + i * WG); }
  for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, 0u, tid + i * WG); }
  for (var i = 0u; i < A_LOADS; i++) { store_a(0u, tid + i * WG, ra[i]); }
  for (var i = 0u; i < B_LOADS; i++) { store_b(0u, tid + i * WG, rb[i]); }
  workgroupBarrier();

  for (var t = 0u; t < ktiles; t++) {
    let cur = t % 2u;
    let more = t + 1u < ktiles;
    if (more) {
      let k0 = (t + 1u) * BK;
      for (var i = 0u; i < A_LOADS; i++) { ra[i] = load_a(m0, k0, tid + i * WG); }
      for (var i = 0u; i < B_LOADS; i++) { rb[i] = load_b(n0, k0, tid + i * WG); }
    }
    let abase = cur * BM * LDS4 + wm * WARP_M * LDS4;
    let bbase = cur * BN * LDS4 + wn * 64u * LDS4;
    for (var ks = 0u; ks < BK; ks += 16u) {
      let l0 = subgroupMatrixLoad<Left, row_major>(&sa, abase + ks / 4u, LDS4);
      let l1 = subgroupMatrixLoad<Left, row_major>(&sa, abase + 16u * LDS4 + ks / 4u, LDS4);
      let r0 = subgroupMatrixLoad<Right, col_major>(&sb, bbase + ks / 4u, LDS4);
      let r1 = subgroupMatrixLoad<Right, col_major>(&sb, bbase + 16u * LDS4 + ks / 4u, LDS4);
      let r2 = subgroupMatrixLoad<Right, col_major>(&sb, bbase + 32u * LDS4 + ks / 4u, LDS4);
      let r3 = subgroupMatrixLoad<Right, col_major>(&sb, bbase + 48u * LDS4 + ks / 4u, LDS4);
      c00 = subgroupMatrixMultiplyAccumulate(l0, r0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(l0, r1, c01);
      c02 = subgroupMatrixMultiplyAccumulate(l0, r2, c02);
      c03 = subgroupMatrixMultiplyAccumulate(l0, r3, c03);
      c10 = subgroupMatrixMultiplyAccumulate(l1, r0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(l1, r1, c11);
      c12 = subgroupMatrixMultiplyAccumulate(l1, r2, c12);
      c13 = subgroupMatrixMultiplyAccumulate(l1, r3, c13);
      if (WARP_M == 64u) {
        let l2 = subgroupMatrixLoad<Left, row_major>(&sa, abase + 32u * LDS4 + ks / 4u, LDS4);
        let l3 = subgroupMatrixLoad<Left, row_major>(&sa, abase + 48u * LDS4 + ks / 4u, LDS4);
        c20 = subgroupMatrixMultiplyAccumulate(l2, r0, c20);
        c21 = subgroupMatrixMultiplyAccumulate(l2, r1, c21);
        c22 = subgroupMatrixMultiplyAccumulate(l2, r2, c22);
        c23 = subgroupMatrixMultiplyAccumulate(l2, r3, c23);
        c30 = subgroupMatrixMultiplyAccumulate(l3, r0, c30);
        c31 = subgroupMatrixMultiplyAccumulate(l3, r1, c31);
        c32 = subgroupMatrixMultiplyAccumulate(l3, r2, c32);
        c33 = subgroupMatrixMultiplyAccumulate(l3, r3, c33);
      }
    }
    if (more) {
      let nxt = 1u - cur;
      for (var i = 0u; i < A_LOADS; i++) { store_a(nxt, tid + i * WG, ra[i]); }
      for (var i = 0u; i < B_LOADS; i++) { store_b(nxt, tid + i * WG, rb[i]); }
    }
    workgroupBarrier();
  }

  // C is padded to whole blocks (see the header), so every result matrix is stored whole.
  let crow = m0 + wm * WARP_M;
  let ccol = n0 + wn * 64u;
  let o0 = crow * p.ldc + ccol;
  let o1 = o0 + 16u * p.ldc;
  subgroupMatrixStore<row_major>(&c, o0, c00, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 16u, c01, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 32u, c02, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 48u, c03, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1, c10, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 16u, c11, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 32u, c12, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 48u, c13, p.ldc);
  if (WARP_M == 64u) {
    let o2 = o1 + 16u * p.ldc;
    let o3 = o2 + 16u * p.ldc;
    subgroupMatrixStore<row_major>(&c, o2, c20, p.ldc);
    subgroupMatrixStore<row_major>(&c, o2 + 16u, c21, p.ldc);
    subgroupMatrixStore<row_major>(&c, o2 + 32u, c22, p.ldc);
    subgroupMatrixStore<row_major>(&c, o2 + 48u, c23, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3, c30, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3 + 16u, c31, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3 + 32u, c32, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3 + 48u, c33, p.ldc);
  }
}
