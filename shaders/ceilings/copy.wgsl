// Copy ceiling: dst = src as vec4<f32>, grid-stride so any size fits the dispatch limits.
// Each invocation moves ITEMS vec4s per pass over the grid; consecutive invocations touch consecutive
// 16-byte words, so every warp reads and writes whole 512-byte segments (coalesced).
override WG: u32 = 256;

struct Params {
  n: u32,         // vec4 elements
  groups_x: u32,  // workgroups along x (the grid may be 2-D when n is large)
  groups_y: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stride = p.groups_x * WG * p.groups_y;
  var i = gid.y * p.groups_x * WG + gid.x;
  loop {
    if (i >= p.n) { break; }
    dst[i] = src[i];
    i += stride;
  }
}
