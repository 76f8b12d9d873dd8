// f16 arithmetic ceiling, second form: the same 16 chains as fma-f16.wgsl held as eight vec2<f16>
// (the width of one packed HFMA2-style instruction) and written as multiply-add, which compilers
// contract. Which form a driver packs best varies, so the ceiling autotunes over both.
enable f16;

override WG: u32 = 256;
// Steps per loop iteration: the loop's compare and branch cost 1/UNROLL of a step.
override UNROLL: u32 = 4;

struct Params {
  steps: u32,     // a multiple of UNROLL; each step is 8 vec2 FMAs = 16 FMAs = 32 FLOP per invocation
  groups_x: u32,
  _pad0: u32,
  _pad1: u32,
}

// One f32 per invocation (the sum of its 16 chains), as in fma-f16.wgsl.
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.y * p.groups_x * WG + gid.x;
  let t = f32(id & 1023u) * (1.0 / 1024.0);
  // Lanes (0, 1) and (2, 3) of the vec4 form: chain j of lane c starts at (c + j) / 8.
  let lo = vec2<f32>(0.0, 1.0);
  let hi = vec2<f32>(2.0, 3.0);
  let a_lo = vec2<f16>(vec2<f32>(0.5) + (vec2<f32>(t) + lo) * (1.0 / 16.0));
  let a_hi = vec2<f16>(vec2<f32>(0.5) + (vec2<f32>(t) + hi) * (1.0 / 16.0));
  let b = vec2<f16>(vec2<f32>(0.25) + vec2<f32>(t) * 0.5);
  var x0 = vec2<f16>(lo * 0.125);
  var x1 = vec2<f16>((lo + 1.0) * 0.125);
  var x2 = vec2<f16>((lo + 2.0) * 0.125);
  var x3 = vec2<f16>((lo + 3.0) * 0.125);
  var y0 = vec2<f16>(hi * 0.125);
  var y1 = vec2<f16>((hi + 1.0) * 0.125);
  var y2 = vec2<f16>((hi + 2.0) * 0.125);
  var y3 = vec2<f16>((hi + 3.0) * 0.125);
  for (var i = 0u; i < p.steps; i += UNROLL) {
    for (var u = 0u; u < UNROLL; u++) {
      x0 = x0 * a_lo + b; x1 = x1 * a_lo + b; x2 = x2 * a_lo + b; x3 = x3 * a_lo + b;
      y0 = y0 * a_hi + b; y1 = y1 * a_hi + b; y2 = y2 * a_hi + b; y3 = y3 * a_hi + b;
    }
  }
  let s = vec2<f32>(x0) + vec2<f32>(x1) + vec2<f32>(x2) + vec2<f32>(x3) + vec2<f32>(y0) + vec2<f32>(y1) + vec2<f32>(y2) + vec2<f32>(y3);
  out[id] = s.x + s.y;
}
