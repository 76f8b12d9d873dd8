// Naive GEMM, the first rung: one invocation per output element, every operand read from global
// memory (no reuse beyond what the caches give).
//   B_KMAJOR: C[M,N] = A[M,K] · Wᵀ with W [N,K] (framework linear-layer layout, K-contiguous rows)
//   else:     C[M,N] = A[M,K] · B with B [K,N] (the textbook layout)
// Rows are stored with leading dimensions lda/ldb/ldc (elements), shared by the whole family.
override B_KMAJOR: bool = true;
override WG_X: u32 = 16;
override WG_Y: u32 = 16;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  // x runs along n so that neighbouring invocations write neighbouring outputs.
  let n = gid.x;
  let m = gid.y;
  if (m >= p.m || n >= p.n) {
    return;
  }
  let arow = m * p.lda;
  var acc = 0.0;
  if (B_KMAJOR) {
    let brow = n * p.ldb;
    for (var k = 0u; k < p.k; k++) {
      acc = fma(a[arow + k], b[brow + k], acc);
    }
  } else {
    for (var k = 0u; k < p.k; k++) {
      acc = fma(a[arow + k], b[k * p.ldb + n], acc);
    }
  }
  c[m * p.ldc + n] = acc;
}
