// Tiled GEMM, the second rung: a TILE×TILE workgroup stages TILE×TILE tiles of A and of B (or W)
// in workgroup memory, so each global element is read once per workgroup instead of once per output;
// each invocation still computes one output. Same operands and layout as naive.wgsl.
override B_KMAJOR: bool = true;
override TILE: u32 = 16;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

// ta[row][k] and tb[k][col], both TILE×TILE.
var<workgroup> ta: array<f32, TILE * TILE>;
var<workgroup> tb: array<f32, TILE * TILE>;

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = wg.y * TILE + lid.y;
  let n = wg.x * TILE + lid.x;
  var acc = 0.0;
  // Out-of-range rows/columns load zeros (indices are clamped so no read leaves the buffers); every
  // invocation stays in the loop so the barriers are reached by the whole workgroup.
  for (var k0 = 0u; k0 < p.k; k0 += TILE) {
    let ka = k0 + lid.x;
    let av = a[min(m, p.m - 1u) * p.lda + min(ka, p.k - 1u)];
    ta[lid.y * TILE + lid.x] = select(0.0, av, m < p.m && ka < p.k);
    if (B_KMAJOR) {
      // Read W along k (coalesced), store transposed: tb[k][col].
      let nb = wg.x * TILE + lid.y;
      let bv = b[min(nb, p.n - 1u) * p.ldb + min(ka, p.k - 1u)];
      tb[lid.x * TILE + lid.y] = select(0.0, bv, nb < p.n && ka < p.k);
    } else {
      let kb = k0 + lid.y;
      let bv = b[min(kb, p.k - 1u) * p.ldb + min(n, p.n - 1u)];
      tb[lid.y * TILE + lid.x] = select(0.0, bv, kb < p.k && n < p.n);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc = fma(ta[lid.y * TILE + kk], tb[kk * TILE + lid.x], acc);
    }
    workgroupBarrier();
  }
  if (m < p.m && n < p.n) {
    c[m * p.ldc + n] = acc;
  }
}
