// Tensor-core GEMM through chromium_experimental_subgroup_matrix: C[M,N] = A[M,K] · Wᵀ with A and W
// [N,K] in f16, products accumulated in f32 by 16×16×16 subgroup matrix multiply-accumulates
// (the adapter's f16→f32 16×16×16 configuration; checked before this kernel is built). Assembled by
// buildGemmWgsl with common.wgsl, io-f16.wgsl and half-f16.wgsl (`enable f16;` put first).
//   - each subgroup owns an FM×FN grid of 16×16 result matrices (FM, FN ∈ {2, 4}: 32×32 up to 64×64
//     pieces), so the block shape, the number of subgroups (and so how many workgroups share an SM)
//     and the matrix loads per multiply-accumulate are all override constants;
//   - STAGES = 2: double-buffered tiles, one barrier per BK step, the next tile's 16-byte global loads
//     issued into registers before this tile's multiplies and stored after them; STAGES = 1: one
//     buffer (half the workgroup memory), the next tile's loads still issued before the multiplies,
//     stored after a second barrier;
//   - ORDER = 1: the FN right matrices of a 16-deep step are loaded first, then one left matrix at a
//     time with its row of multiply-accumulates (FN + 1 operand matrices live instead of FM + FN);
//   - PAD halves of padding per staged row (8: rows an odd number of 16-byte groups apart, so the 8
//     rows of a matrix load hit distinct banks; unpadded 32-deep rows were 16% slower on the H100).
// On the H100 the 128×128×16 block of 2×2 subgroups with 64×64 pieces (24 KiB: room for two per SM)
// is the fastest at every large shape; three stages (36 KiB) and 32-deep tiles of 64×64 pieces were
// 1.35–2.5× slower (session 2); see bench/notes/gemm.md for all the configurations that lost.
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

override SG_M: u32 = 2;       // subgroups along m
override SG_N: u32 = 2;       // subgroups along n
override FM: u32 = 4;         // result matrices per subgroup along m: 2 or 4
override FN: u32 = 4;         // result matrices per subgroup along n: 2 or 4
override BK: u32 = 32;        // k depth of one staged tile; multiple of 16
override STAGES: u32 = 2;     // workgroup buffers: 2 (one barrier per tile) or 1 (two)
override PAD: u32 = 8;        // halves of padding per staged row; multiple of 4
override ORDER: u32 = 0;      // 1: right matrices first, then one left matrix at a time

const SG_SIZE = 32u;          // invocations per subgroup this kernel is written for (checked on the host)
override WARP_M: u32 = 16u * FM;
override WARP_N: u32 = 16u * FN;
override BM: u32 = WARP_M * SG_M;
override BN: u32 = WARP_N * SG_N;
override WG: u32 = SG_SIZE * SG_M * SG_N;
override LDS4: u32 = (BK + PAD) / 4u; // staged row stride in vec4<f16> elements
override KV: u32 = BK / 8u;           // 8-half vectors per staged row
override A_LOADS: u32 = BM * KV / WG; // 16-byte global loads per invocation per tile (≤ 8)
override B_LOADS: u32 = BN * KV / WG;

@group(0) @binding(2) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<vec4<f16>, STAGES * BM * LDS4>;
var<workgroup> sb: array<vec4<f16>, STAGES * BN * LDS4>;

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

fn load_left(o: u32) -> Left {
  return subgroupMatrixLoad<Left, row_major>(&sa, o, LDS4);
}

fn load_right(o: u32) -> Right {
  return subgroupMatrixLoad<Right, col_major>(&sb, o, LDS4);
}

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

  // The result matrices of this subgroup, named rather than indexed so they stay in registers;
  // rows 2–3 exist only when FM = 4 and columns 2–3 only when FN = 4 (the guards below are
  // constants once the overrides are set, so the unused ones vanish).
  var c00 = Result(); var c01 = Result(); var c02 = Result(); var c03 = Result();
  var c10 = Result(); var c11 = Result(); var c12 = Result(); var c13 = Result();
  var c20 = Result(); var c21 = Result(); var c22 = Result(); var c23 = Result();
  var c30 = Result(); var c31 = Result(); var c32 = Result(); var c33 = Result();
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
    let abase = cur * BM * LDS4 + wm * WARP_M * LDS4;
    let bbase = cur * BN * LDS4 + wn * WARP_N * LDS4;
    // Offsets written as kk·4 (a multiple of 4 vec4<f16>, i.e. of 32 bytes) rather than ks/4, so the
    // 16-byte alignment of every matrix row is evident to the driver's compiler.
    for (var kk = 0u; kk < BK / 16u; kk++) {
      let ao = abase + kk * 4u;
      let bo = bbase + kk * 4u;
      if (ORDER == 1u) {
        let r0 = load_right(bo);
        let r1 = load_right(bo + 16u * LDS4);
        var r2: Right;
        var r3: Right;
        if (FN == 4u) {
          r2 = load_right(bo + 32u * LDS4);
          r3 = load_right(bo + 48u * LDS4);
        }
        let l0 = load_left(ao);
        c00 = subgroupMatrixMultiplyAccumulate(l0, r0, c00);
        c01 = subgroupMatrixMultiplyAccumulate(l0, r1, c01);
        if (FN == 4u) {
          c02 = subgroupMatrixMultiplyAccumulate(l0, r2, c02);
          c03 = subgroupMatrixMultiplyAccumulate(l0, r3, c03);
        }
        let l1 = load_left(ao + 16u * LDS4);
        c10 = subgroupMatrixMultiplyAccumulate(l1, r0, c10);
        c11 = subgroupMatrixMultiplyAccumulate(l1, r1, c11);
        if (FN == 4u) {
          c12 = subgroupMatrixMultiplyAccumulate(l1, r2, c12);
          c13 = subgroupMatrixMultiplyAccumulate(l1, r3, c13);
        }
        if (FM == 4u) {
          let l2 = load_left(ao + 32u * LDS4);
          c20 = subgroupMatrixMultiplyAccumulate(l2, r0, c20);
          c21 = subgroupMatrixMultiplyAccumulate(l2, r1, c21);
          if (FN == 4u) {
            c22 = subgroupMatrixMultiplyAccumulate(l2, r2, c22);
            c23 = subgroupMatrixMultiplyAccumulate(l2, r3, c23);
          }
          let l3 = load_left(ao + 48u * LDS4);
          c30 = subgroupMatrixMultiplyAccumulate(l3, r0, c30);
          c31 = subgroupMatrixMultiplyAccumulate(l3, r1, c31);
          if (FN == 4u) {
            c32 = subgroupMatrixMultiplyAccumulate(l3, r2, c32);
            c33 = subgroupMatrixMultiplyAccumulate(l3, r3, c33);
          }
        }
        continue;
      }
      let l0 = load_left(ao);
      let l1 = load_left(ao + 16u * LDS4);
      let r0 = load_right(bo);
      let r1 = load_right(bo + 16u * LDS4);
      var l2: Left;
      var l3: Left;
      var r2: Right;
      var r3: Right;
      if (FN == 4u) {
        r2 = load_right(bo + 32u * LDS4);
        r3 = load_right(bo + 48u * LDS4);
      }
      if (FM == 4u) {
        l2 = load_left(ao + 32u * LDS4);
        l3 = load_left(ao + 48u * LDS4);
      }
      c00 = subgroupMatrixMultiplyAccumulate(l0, r0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(l0, r1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(l1, r0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(l1, r1, c11);
      if (FN == 4u) {
        c02 = subgroupMatrixMultiplyAccumulate(l0, r2, c02);
        c03 = subgroupMatrixMultiplyAccumulate(l0, r3, c03);
        c12 = subgroupMatrixMultiplyAccumulate(l1, r2, c12);
        c13 = subgroupMatrixMultiplyAccumulate(l1, r3, c13);
      }
      if (FM == 4u) {
        c20 = subgroupMatrixMultiplyAccumulate(l2, r0, c20);
        c21 = subgroupMatrixMultiplyAccumulate(l2, r1, c21);
        c30 = subgroupMatrixMultiplyAccumulate(l3, r0, c30);
        c31 = subgroupMatrixMultiplyAccumulate(l3, r1, c31);
        if (FN == 4u) {
          c22 = subgroupMatrixMultiplyAccumulate(l2, r2, c22);
          c23 = subgroupMatrixMultiplyAccumulate(l2, r3, c23);
          c32 = subgroupMatrixMultiplyAccumulate(l3, r2, c32);
          c33 = subgroupMatrixMultiplyAccumulate(l3, r3, c33);
        }
      }
    }
    if (STAGES == 2u && more) {
      stage(&ra, &rb, 1u - cur, tid);
    }
    workgroupBarrier();
  }

  // C is padded to whole 256×256 blocks (see the header) and BM, BN divide 256, so every result
  // matrix is stored whole; split s stores into rows s·blocks_m·BM onwards.
  let o0 = (split * blocks_m * BM + m0 + wm * WARP_M) * p.ldc + n0 + wn * WARP_N;
  let o1 = o0 + 16u * p.ldc;
  subgroupMatrixStore<row_major>(&c, o0, c00, p.ldc);
  subgroupMatrixStore<row_major>(&c, o0 + 16u, c01, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1, c10, p.ldc);
  subgroupMatrixStore<row_major>(&c, o1 + 16u, c11, p.ldc);
  if (FN == 4u) {
    subgroupMatrixStore<row_major>(&c, o0 + 32u, c02, p.ldc);
    subgroupMatrixStore<row_major>(&c, o0 + 48u, c03, p.ldc);
    subgroupMatrixStore<row_major>(&c, o1 + 32u, c12, p.ldc);
    subgroupMatrixStore<row_major>(&c, o1 + 48u, c13, p.ldc);
  }
  if (FM == 4u) {
    let o2 = o1 + 16u * p.ldc;
    let o3 = o2 + 16u * p.ldc;
    subgroupMatrixStore<row_major>(&c, o2, c20, p.ldc);
    subgroupMatrixStore<row_major>(&c, o2 + 16u, c21, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3, c30, p.ldc);
    subgroupMatrixStore<row_major>(&c, o3 + 16u, c31, p.ldc);
    if (FN == 4u) {
      subgroupMatrixStore<row_major>(&c, o2 + 32u, c22, p.ldc);
      subgroupMatrixStore<row_major>(&c, o2 + 48u, c23, p.ldc);
      subgroupMatrixStore<row_major>(&c, o3 + 32u, c32, p.ldc);
      subgroupMatrixStore<row_major>(&c, o3 + 48u, c33, p.ldc);
    }
  }
}
