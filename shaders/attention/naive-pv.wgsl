// Naive prefill, step 3 of 3: O[i, h, :] = sum over j <= i of P[h, i, j] * V[j, :], one invocation
// per 4 output elements, P and V straight from device memory. Prepended by dtype-f32/f16.wgsl.
override HEAD_DIM: u32 = 128u;
override D4: u32 = HEAD_DIM / 4u;

struct Params {
  n: u32,
  heads: u32,
  group: u32,
  scale: f32,
  head0: u32,
}

@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<Quad>;
@group(0) @binding(2) var<storage, read_write> o: array<Quad>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = params.n;
  let i = gid.x / D4;
  let c = gid.x % D4;
  if (i >= n) {
    return;
  }
  let h = params.head0 + gid.y;
  let pb = (gid.y * n + i) * n;
  let vb = (h / params.group) * n * D4 + c;
  var acc = vec4<f32>(0.0);
  for (var j = 0u; j <= i; j++) {
    acc = fma(vec4<f32>(s[pb + j]), unpack_quad(v[vb + j * D4]), acc);
  }
  o[(i * params.heads + h) * D4 + c] = pack_quad(acc);
}
