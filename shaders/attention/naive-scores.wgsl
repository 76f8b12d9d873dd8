// Naive prefill, step 1 of 3: S[h, i, j] = q_i . k_j * scale for j <= i, one invocation per score,
// dot products straight from device memory; S is materialized as [heads in group, N, N] f32.
// Entries above the diagonal are neither computed nor written (the next steps never read them).
// Prepended by dtype-f32.wgsl or dtype-f16.wgsl.
override HEAD_DIM: u32 = 128u;
override D4: u32 = HEAD_DIM / 4u;

struct Params {
  n: u32,
  heads: u32,
  group: u32,
  scale: f32,
  // first head of this dispatch group (S holds only the group's heads)
  head0: u32,
}

@group(0) @binding(0) var<storage, read> q: array<Quad>;
@group(0) @binding(1) var<storage, read> k: array<Quad>;
@group(0) @binding(2) var<storage, read_write> s: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = params.n;
  let j = gid.x;
  let i = gid.y;
  if (i >= n || j > i) {
    return;
  }
  let h = params.head0 + gid.z;
  let qb = (i * params.heads + h) * D4;
  let kb = ((h / params.group) * n + j) * D4;
  var acc = 0.0;
  for (var c = 0u; c < D4; c++) {
    acc += dot(unpack_quad(q[qb + c]), unpack_quad(k[kb + c]));
  }
  s[(gid.z * n + i) * n + j] = acc * params.scale;
}
