// Split-K reduction: C = Σ_s P[s] over the `splits` slices of the partial buffer that the
// tensor-core kernel wrote (slice s starts `stride4` vec4 after slice s-1), for the first `count4`
// vec4 of C (its rows below M, whole padded rows). Summed in f32 in slice order.
struct Reduce {
  count4: u32,
  stride4: u32,
  splits: u32,
  groups_x: u32,
}

@group(0) @binding(0) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> r: Reduce;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let i = (wid.y * r.groups_x + wid.x) * 256u + tid;
  if (i >= r.count4) {
    return;
  }
  var s = part[i];
  for (var j = 1u; j < r.splits; j++) {
    s += part[j * r.stride4 + i];
  }
  c[i] = s;
}
