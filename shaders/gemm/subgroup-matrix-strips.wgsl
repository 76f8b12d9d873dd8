// Tensor-core GEMM with every matrix load at a constant offset: C[M,N] = A[M,K] · Wᵀ as in
// subgroup-matrix-pipe.wgsl (same operands, staging, split-K and result layout), but each subgroup's
// rows of a staged tile lie in a workgroup array of their own (a "strip": WARP_M rows of A or WARP_N
// rows of W), and the 16-deep steps are written out by subgroupMatrixStrips (src/kernels/gemm.ts)
// with literal offsets into the strip, so a matrix load is `subgroupMatrixLoad(&sa[strip], 96u, 6u)`.
// Why: Dawn's robustness transform predicates every subgroup-matrix load whose offset it cannot
// bound at compile time (`if (offset + (rows-1)·stride + cols <= length) { load } else { zero }`,
// through a function-scope matrix variable); with a constant offset and stride into an array of
// constant length it proves the bound and emits the bare load. The strip index is a dynamic array
// index, which robustness clamps with one min(). Each strip has SLACK extra elements so that the
// bound holds whether the transform counts the length in vec4<f16> elements or in halves.
// Sizes are constants generated per configuration (the header slot), not overrides: array element
// types must have a creation-fixed footprint, so a strip length cannot be an override.
// Assembled by buildGemmWgsl with common.wgsl, io-f16.wgsl, half-f16.wgsl and tensor-stage.wgsl.
enable chromium_experimental_subgroup_matrix;

{{HEADER}}
const SG_SIZE = 32u;          // invocations per subgroup this kernel is written for (checked on the host)
const WARP_M = 16u * FM;
const WARP_N = 16u * FN;
const BM = WARP_M * SG_M;
const BN = WARP_N * SG_N;
const WG = SG_SIZE * SG_M * SG_N;
const KV = BK / 8u;           // 8-half vectors per staged row
const A_LOADS = BM * KV / WG; // 16-byte global loads per invocation per tile (≤ 8)
const B_LOADS = BN * KV / WG;

@group(0) @binding(2) var<storage, read_write> c: array<f32>;

// Strip s·SG_M + w of sa holds rows w·WARP_M .. of the A tile in buffer s (row r at r·LDS4, LDS4
// vec4<f16> per row: BK halves and the padding); sb likewise for W.
var<workgroup> sa: array<array<vec4<f16>, STRIP_A>, STAGES * SG_M>;
var<workgroup> sb: array<array<vec4<f16>, STRIP_B>, STAGES * SG_N>;

fn store_a(buf: u32, v: u32, x: vec4<u32>) {
  let row = v / KV;
  let i = (row % WARP_M) * LDS4 + (v % KV) * 2u;
  let s = buf * SG_M + row / WARP_M;
  sa[s][i] = vec4<f16>(bitcast<vec2<f16>>(x.x), bitcast<vec2<f16>>(x.y));
  sa[s][i + 1u] = vec4<f16>(bitcast<vec2<f16>>(x.z), bitcast<vec2<f16>>(x.w));
}

fn store_b(buf: u32, v: u32, x: vec4<u32>) {
  let row = v / KV;
  let i = (row % WARP_N) * LDS4 + (v % KV) * 2u;
  let s = buf * SG_N + row / WARP_N;
  sb[s][i] = vec4<f16>(bitcast<vec2<f16>>(x.x), bitcast<vec2<f16>>(x.y));
  sb[s][i + 1u] = vec4<f16>(bitcast<vec2<f16>>(x.z), bitcast<vec2<f16>>(x.w));
}

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) tid: u32,
        @builtin(subgroup_id) sg: u32) {
  // Split-K as in subgroup-matrix-pipe.wgsl: copy `split` of the grid sums k in its own range.
  let pid = wid.y * p.groups_x + wid.x;
  let blocks_m = (p.m + BM - 1u) / BM;
  let blocks = blocks_m * ((p.n + BN - 1u) / BN);
  let split = pid / blocks;
  let kbeg = split * p.kchunk;
  if (kbeg >= p.k) {
    return;
  }
  let origin = block_origin_at(pid % blocks, BM, BN);
  let m0 = origin.x;
  let n0 = origin.y;
  let wm = sg % SG_M;
  let wn = sg / SG_M;

{{ACC}}
  var ra: array<vec4<u32>, 8>;
  var rb: array<vec4<u32>, 8>;
  let ktiles = (min(p.k, kbeg + p.kchunk) - kbeg + BK - 1u) / BK;

  fetch(&ra, &rb, m0, n0, kbeg, tid);
  if (STAGES == 2u) {
    stage(&ra, &rb, 0u, tid);
    workgroupBarrier();
  }

  for (var t = 0u; t < ktiles; t++) {
    let more = t + 1u < ktiles;
    var cur = 0u;
    if (STAGES == 2u) {
      cur = t % 2u;
      if (more) { fetch(&ra, &rb, m0, n0, kbeg + (t + 1u) * BK, tid); }
    } else {
      stage(&ra, &rb, 0u, tid);
      workgroupBarrier();
      if (more) { fetch(&ra, &rb, m0, n0, kbeg + (t + 1u) * BK, tid); }
    }
    let sa_i = cur * SG_M + wm;
    let sb_i = cur * SG_N + wn;
{{STEP}}
    if (STAGES == 2u && more) {
      stage(&ra, &rb, 1u - cur, tid);
    }
    workgroupBarrier();
  }

  // C is padded to whole 256×256 blocks and BM, BN divide 256: every result matrix is stored whole;
  // split s stores into rows s·blocks_m·BM onwards.
  let o = (split * blocks_m * BM + m0 + wm * WARP_M) * p.ldc + n0 + wn * WARP_N;
{{STORE}}
}
