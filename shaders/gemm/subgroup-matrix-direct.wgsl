// Tensor-core GEMM through chromium_experimental_subgroup_matrix, unstaged: every subgroup loads its
// matrices straight from the storage buffers (the caches provide the reuse) — no workgroup memory, no
// barriers. C[M,N] = A[M,K] · Wᵀ, f16 inputs, f32 accumulation by 16×16×16 multiply-accumulates.
// It has no bounds handling, so the host offers it only for shapes whose M, N are whole blocks and K
// a multiple of 16 (every LLM prefill shape of the suite); subgroup-matrix.wgsl covers the rest.
// A workgroup of SG_M×SG_N subgroups owns a BM×BN block (BM = 32·SG_M, BN = 64·SG_N); each subgroup
// a 32×64 piece in 2×4 result matrices. Layout: A [M][lda], W [N][ldb] (halves), C f32 [M][ldc].
enable f16;
enable chromium_experimental_subgroup_matrix;

override SG_M: u32 = 4;       // subgroups along m
override SG_N: u32 = 2;       // subgroups along n
override GROUP_M: u32 = 8;    // block rows per raster group (L2 reuse, as in regblock.wgsl)

const SG_SIZE = 32u;          // invocations per subgroup this kernel is written for (checked on the host)
override BM: u32 = 32u * SG_M;
override BN: u32 = 64u * SG_N;
override WG: u32 = SG_SIZE * SG_M * SG_N;

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

@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_id) sg: u32) {
  let blocks_m = p.m / BM;
  let blocks_n = p.n / BN;
  let pid = wid.y * p.groups_x + wid.x;
  if (pid >= blocks_m * blocks_n) {
    return;
  }
  let per_group = GROUP_M * blocks_n;
  let first_m = (pid / per_group) * GROUP_M;
  let group_rows = min(blocks_m - first_m, GROUP_M);
  let m0 = (first_m + (pid % per_group) % group_rows) * BM;
  let n0 = ((pid % per_group) / group_rows) * BN;
  let row = m0 + (sg % SG_M) * 32u;
  let col = n0 + (sg / SG_M) * 64u;

  var c00 = Result(); var c01 = Result(); var c02 = Result(); var c03 = Result();
  var c10 = Result(); var c11 = Result(); var c12 = Result(); var c13 = Result();
  let a0 = row * p.lda;
  let a1 = a0 + 16u * p.lda;
  // W [N,K] row n is column n of the right operand (K×N), k contiguous: column-major, stride ldb.
  let b0 = col * p.ldb;
  let bs = 16u * p.ldb;
  for (var k = 0u; k < p.k; k += 16u) {
    let l0 = subgroupMatrixLoad<Left, row_major>(&a, a0 + k, p.lda);
    let l1 = subgroupMatrixLoad<Left, row_major>(&a, a1 + k, p.lda);
    let r0 = subgroupMatrixLoad<Right, col_major>(&b, b0 + k, p.ldb);
    let r1 = subgroupMatrixLoad<Right, col_major>(&b, b0 + bs + k, p.ldb);
    let r2 = subgroupMatrixLoad<Right, col_major>(&b, b0 + 2u * bs + k, p.ldb);
    let r3 = subgroupMatrixLoad<Right, col_major>(&b, b0 + 3u * bs + k, p.ldb);
    c00 = subgroupMatrixMultiplyAccumulate(l0, r0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(l0, r1, c01);
    c02 = subgroupMatrixMultiplyAccumulate(l0, r2, c02);
    c03 = subgroupMatrixMultiplyAccumulate(l0, r3, c03);
    c10 = subgroupMatrixMultiplyAccumulate(l1, r0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(l1, r1, c11);
    c12 = subgroupMatrixMultiplyAccumulate(l1, r2, c12);
    c13 = subgroupMatrixMultiplyAccumulate(l1, r3, c13);
  }

  let o0 = row * p.ldc + col;
  let o1 = o0 + 16u * p.ldc;
  subgroupMatrixStore<row_major>(&c, o0, c00, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 16u, c01, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 32u, c02, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 48u, c03, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1, c10, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 16u, c11, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 32u, c12, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 48u, c13, p.ldc);
}
