// f16 operands of the blocked GEMM kernels: A and W (or B) hold IEEE halves, two per u32 word, read
// 8 at a time as vec4<u32> (leading dimensions multiples of 8: 16-byte rows). Word j of a vector
// starting at k holds halves k+2j (low) and k+2j+1 (high). Needs a half-*.wgsl piece for H4 and
// halves() (widened to f32, or kept as f16).
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// The 16-byte vector of halves k .. k+7 (k a multiple of 8) of row r of A or W, the row clamped
// into the matrix (callers zero rows past it and halves at k >= K).
fn raw8_a(r: u32, k: u32) -> vec4<u32> {
  return a[min(r, p.m - 1u) * (p.lda / 8u) + min(k / 8u, p.lda / 8u - 1u)];
}

fn raw8_b(r: u32, k: u32) -> vec4<u32> {
  return b[min(r, p.n - 1u) * (p.ldb / 8u) + min(k / 8u, p.ldb / 8u - 1u)];
}

// Eight halves (k .. k+7) of a K-contiguous row as two H4.
struct Half8 {
  lo: H4,
  hi: H4,
}

// The halves of x (from k), components at k >= K zeroed, all of them unless keep.
fn widen(x: vec4<u32>, k: u32, keep: bool) -> Half8 {
  let h = halves(x);
  let kk = vec4<u32>(k) + LANES;
  let z = H4(0.0);
  return Half8(select(z, h.lo, (kk < vec4<u32>(p.k)) & vec4<bool>(keep)), select(z, h.hi, (kk + vec4<u32>(4u) < vec4<u32>(p.k)) & vec4<bool>(keep)));
}
