// Shared by every GEMM kernel (buildGemmWgsl in src/kernels/gemm.ts appends it to each): the
// parameters and the grouped raster order of the blocked kernels.
// Layout of a case: A [M][lda], W [N][ldb] (C = A·Wᵀ) or B [K][ldb] (C = A·B), C [M][ldc] f32;
// leading dimensions in elements.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  groups_x: u32,
  kchunk: u32,  // split-K (tensor-core kernel): k extent of one split, a multiple of BK; K without a split
}

@group(0) @binding(3) var<uniform> p: Params;

override GROUP_M: u32 = 8;    // block rows per raster group: neighbouring blocks reuse A and W in L2

const NO_BLOCK = 0xffffffffu;

// Origin (m0, n0) of the rows×cols block of C that block index pid owns, in grouped raster order
// (GROUP_M block rows at a time, so that concurrently running blocks share rows of A and W in L2
// instead of streaming all of W once per block row).
fn block_origin_at(pid: u32, rows: u32, cols: u32) -> vec2<u32> {
  let blocks_n = (p.n + cols - 1u) / cols;
  let blocks_m = (p.m + rows - 1u) / rows;
  let per_group = GROUP_M * blocks_n;
  let first_m = (pid / per_group) * GROUP_M;
  let group_rows = min(blocks_m - first_m, GROUP_M);
  return vec2<u32>((first_m + (pid % per_group) % group_rows) * rows, ((pid % per_group) / group_rows) * cols);
}

// The same for workgroup wid; NO_BLOCK past the last block (the grid is rounded up to whole rows of
// workgroups).
fn block_origin(wid: vec3<u32>, rows: u32, cols: u32) -> vec2<u32> {
  let pid = wid.y * p.groups_x + wid.x;
  if (pid >= ((p.m + rows - 1u) / rows) * ((p.n + cols - 1u) / cols)) {
    return vec2<u32>(NO_BLOCK);
  }
  return block_origin_at(pid, rows, cols);
}
