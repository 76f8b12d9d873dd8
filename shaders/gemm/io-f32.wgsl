// f32 operands of the blocked GEMM kernels: A and W (or B) read as vec4<f32> (leading dimensions
// multiples of 4, so rows start on 16-byte boundaries).
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;

const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Zeroes the components of a K-contiguous vec4 that lie at k >= K (the row padding).
fn mask_k(v: vec4<f32>, k: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, vec4<u32>(k) + LANES < vec4<u32>(p.k));
}

// Four consecutive k (from k, a multiple of 4) of row r of A or W: rows past the matrix are clamped
// and zeroed, k >= K masked.
fn fetch_a(r: u32, k: u32) -> vec4<f32> {
  let x = a[min(r, p.m - 1u) * (p.lda / 4u) + min(k / 4u, p.lda / 4u - 1u)];
  return select(vec4<f32>(0.0), mask_k(x, k), r < p.m);
}

fn fetch_b(r: u32, k: u32) -> vec4<f32> {
  let x = b[min(r, p.n - 1u) * (p.ldb / 4u) + min(k / 4u, p.ldb / 4u - 1u)];
  return select(vec4<f32>(0.0), mask_k(x, k), r < p.n);
}
