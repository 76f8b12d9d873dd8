// Tensor-core GEMM through chromium_experimental_subgroup_matrix: C[M,N] = A[M,K] · Wᵀ with A and W
// [N,K] in f16, products accumulated in f32 by 16×16×16 subgroup matrix multiply-accumulates (the
// adapter's f16→f32 16×16×16 configuration; checked before this kernel is built). Generated per
// configuration by subgroupMatrixWgsl (src/kernels/gemm.ts), which fills the slots: the constants
// (HEADER), the FM×FN result matrices c<i><j> (ACC), the multiply-accumulates of one BK-deep tile
// (STEP) and the result stores (STORE); assembled by buildGemmWgsl with common.wgsl, io-f16.wgsl and
// half-f16.wgsl (`enable f16;` put first).
//   - SG_M×SG_N subgroups, each owning an FM×FN grid of 16×16 result matrices (32×64 or 64×64
//     pieces), so the block shape and the number of subgroups per block are per configuration;
//   - STAGES = 2: double-buffered tiles, one barrier per BK step, the next tile's 16-byte global loads
//     issued into registers before this tile's multiplies and stored after them; STAGES = 1: one
//     buffer, the next tile's loads still issued before the multiplies, stored after a second barrier;
//   - each subgroup's rows of a staged tile lie in a workgroup array of their own (a strip: WARP_M
//     rows of A or WARP_N rows of W, each LDS4 vec4<f16> long: BK halves and 8 of padding, so the 8
//     rows of a matrix load are an odd number of 16-byte groups apart and hit distinct banks), and
//     every matrix load is written with a literal offset and stride into its strip, e.g.
//     `subgroupMatrixLoad<Left, row_major>(&sa[sa_i], 96u, 6u)`. Session 3 on the H100: the same
//     kernel with offsets computed at run time into one flat array per operand (the former
//     subgroup-matrix-pipe.wgsl) was 1.3× slower at the same block shapes. Dawn's robustness
//     transform wraps every subgroup-matrix load whose bound it cannot decide at compile time in an
//     `if (in bounds) { load } else { zero }` through a function-scope matrix variable; with literal
//     offsets into arrays of constant length it can decide it (why the driver's code is faster is not
//     visible: Dawn shows no generated code).
// Sizes are constants, not overrides: an array element type needs a creation-fixed footprint, so a
// strip length cannot be an override. Workgroup memory per block: STAGES·(BM + BN)·LDS4·8 bytes.
// On the H100 a block only shares an SM with another while two fit in 48 KiB (24 KiB: two; 24.6 KiB:
// one, 1.8× slower), so that total decides the configurations (bench/notes/gemm.md, session 3).
// Staged tiles are arrays of vec4<f16> (an 8-half global vector is two stores); matrix loads count
// offsets and strides in vec4<f16> elements (the extension's rule: elements of the array pointed to).
// W [N,K] read as the right operand (K×N) is column-major with stride = its row length.
// Layout: A [M][lda], W [N][ldb] in halves (leading dimensions multiples of 8, 16-byte rows); C f32
// [Mc][ldc] with Mc and ldc padded to whole 256×256 blocks (result matrices are stored whole).
// Elements k >= K and rows past M or N are zeroed as they are staged, so any M, N, K is exact.
// Split-K (p.kchunk < K, for short prompts whose blocks are too few to fill the GPU): workgroup
// copies over k ranges, each storing a partial C into its own slice of a partial buffer bound as C;
// reduce.wgsl adds the slices into C.
enable chromium_experimental_subgroup_matrix;

{{HEADER}}
const SG_SIZE = 32u;          // invocations per subgroup this kernel is written for (checked on the host)
const WARP_M = 16u * FM;
const WARP_N = 16u * FN;
const BM = WARP_M * SG_M;
const BN = WARP_N * SG_N;
const WG = SG_SIZE * SG_M * SG_N;
const LDS4 = (BK + 8u) / 4u;  // staged row stride in vec4<f16>: BK halves and 8 of padding
const KV = BK / 8u;           // 8-half vectors per staged row
const A_LOADS = BM * KV / WG; // 16-byte global loads per invocation per tile (≤ 8)
const B_LOADS = BN * KV / WG;

@group(0) @binding(2) var<storage, read_write> c: array<f32>;

// Strip s·SG_M + w of sa holds rows w·WARP_M .. of the A tile in buffer s (row r at r·LDS4); sb
// likewise for W.
var<workgroup> sa: array<array<vec4<f16>, WARP_M * LDS4>, STAGES * SG_M>;
var<workgroup> sb: array<array<vec4<f16>, WARP_N * LDS4>, STAGES * SG_N>;

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

// Vector v of a K-contiguous tile whose first row is r0 and first column k0; consecutive v run along
// k inside a row, so a subgroup reads whole 32-byte sectors of consecutive rows.
fn load_a(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return mask8(raw8_a(r, k), k, r < p.m);
}

fn load_b(r0: u32, k0: u32, v: u32) -> vec4<u32> {
  let r = r0 + v / KV;
  let k = k0 + (v % KV) * 8u;
  return mask8(raw8_b(r, k), k, r < p.n);
}

// The next tile's global vectors into registers, and registers into workgroup buffer `buf`. Written
// out with constant indices (the guards are constants) so the staging array is never indexed
// dynamically, which would put it in local memory.
fn fetch(ra: ptr<function, array<vec4<u32>, 8>>, rb: ptr<function, array<vec4<u32>, 8>>, m0: u32, n0: u32, k0: u32, tid: u32) {
  if (A_LOADS > 0u) { (*ra)[0] = load_a(m0, k0, tid); }
  if (A_LOADS > 1u) { (*ra)[1] = load_a(m0, k0, tid + WG); }
  if (A_LOADS > 2u) { (*ra)[2] = load_a(m0, k0, tid + 2u * WG); }
  if (A_LOADS > 3u) { (*ra)[3] = load_a(m0, k0, tid + 3u * WG); }
  if (A_LOADS > 4u) { (*ra)[4] = load_a(m0, k0, tid + 4u * WG); }
  if (A_LOADS > 5u) { (*ra)[5] = load_a(m0, k0, tid + 5u * WG); }
  if (A_LOADS > 6u) { (*ra)[6] = load_a(m0, k0, tid + 6u * WG); }
  if (A_LOADS > 7u) { (*ra)[7] = load_a(m0, k0, tid + 7u * WG); }
  if (B_LOADS > 0u) { (*rb)[0] = load_b(n0, k0, tid); }
  if (B_LOADS > 1u) { (*rb)[1] = load_b(n0, k0, tid + WG); }
  if (B_LOADS > 2u) { (*rb)[2] = load_b(n0, k0, tid + 2u * WG); }
  if (B_LOADS > 3u) { (*rb)[3] = load_b(n0, k0, tid + 3u * WG); }
  if (B_LOADS > 4u) { (*rb)[4] = load_b(n0, k0, tid + 4u * WG); }
  if (B_LOADS > 5u) { (*rb)[5] = load_b(n0, k0, tid + 5u * WG); }
  if (B_LOADS > 6u) { (*rb)[6] = load_b(n0, k0, tid + 6u * WG); }
  if (B_LOADS > 7u) { (*rb)[7] = load_b(n0, k0, tid + 7u * WG); }
}

fn stage(ra: ptr<function, array<vec4<u32>, 8>>, rb: ptr<function, array<vec4<u32>, 8>>, buf: u32, tid: u32) {
  if (A_LOADS > 0u) { store_a(buf, tid, (*ra)[0]); }
  if (A_LOADS > 1u) { store_a(buf, tid + WG, (*ra)[1]); }
  if (A_LOADS > 2u) { store_a(buf, tid + 2u * WG, (*ra)[2]); }
  if (A_LOADS > 3u) { store_a(buf, tid + 3u * WG, (*ra)[3]); }
  if (A_LOADS > 4u) { store_a(buf, tid + 4u * WG, (*ra)[4]); }
  if (A_LOADS > 5u) { store_a(buf, tid + 5u * WG, (*ra)[5]); }
  if (A_LOADS > 6u) { store_a(buf, tid + 6u * WG, (*ra)[6]); }
  if (A_LOADS > 7u) { store_a(buf, tid + 7u * WG, (*ra)[7]); }
  if (B_LOADS > 0u) { store_b(buf, tid, (*rb)[0]); }
  if (B_LOADS > 1u) { store_b(buf, tid + WG, (*rb)[1]); }
  if (B_LOADS > 2u) { store_b(buf, tid + 2u * WG, (*rb)[2]); }
  if (B_LOADS > 3u) { store_b(buf, tid + 3u * WG, (*rb)[3]); }
  if (B_LOADS > 4u) { store_b(buf, tid + 4u * WG, (*rb)[4]); }
  if (B_LOADS > 5u) { store_b(buf, tid + 5u * WG, (*rb)[5]); }
  if (B_LOADS > 6u) { store_b(buf, tid + 6u * WG, (*rb)[6]); }
  if (B_LOADS > 7u) { store_b(buf, tid + 7u * WG, (*rb)[7]); }
}


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
  // Split-K: the grid holds ceil(K / kchunk) copies of the blocks, copy s summing k in
  // [s·kchunk, (s+1)·kchunk) into its own slice of C (a partial buffer that a reduce pass adds up).
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
      // One buffer: the registers loaded during the last tile's multiplies are stored now (the
      // barrier at the end of the last step made the buffer free).
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
