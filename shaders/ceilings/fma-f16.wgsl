// f16 arithmetic ceiling (needs shader-f16): the f32 kernel's chains in vec4<f16>, where GPUs with
// packed half math (HFMA2) issue two lanes per instruction. Constants are formed in f32 (exact) and
// rounded once to f16; the reference rounds them the same way.
enable f16;

override WG: u32 = 256;
// Steps per loop iteration: the loop's compare and branch cost 1/UNROLL of a step.
override UNROLL: u32 = 4;

struct Params {
  steps: u32,     // a multiple of UNROLL; each step is 4 vec4 FMAs = 16 FMAs = 32 FLOP per invocation
  groups_x: u32,
  _pad0: u32,
  _pad1: u32,
}

// One f32 per invocation (the sum of its 16 chains): 4 B of output per 16k FMAs keeps the store
// traffic far below 1% of the time.
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.y * p.groups_x * WG + gid.x;
  let t = f32(id & 1023u) * (1.0 / 1024.0);
  let lanes = vec4<f32>(0.0, 1.0, 2.0, 3.0);
  let a = vec4<f16>(vec4<f32>(0.5) + (vec4<f32>(t) + lanes) * (1.0 / 16.0));
  let b = vec4<f16>(vec4<f32>(0.25) + vec4<f32>(t) * 0.5);
  var x0 = vec4<f16>(lanes * 0.125);
  var x1 = vec4<f16>((lanes + 1.0) * 0.125);
  var x2 = vec4<f16>((lanes + 2.0) * 0.125);
  var x3 = vec4<f16>((lanes + 3.0) * 0.125);
  for (var i = 0u; i < p.steps; i += UNROLL) {
    for (var u = 0u; u < UNROLL; u++) {
      x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
    }
  }
  out[id] = dot(vec4<f32>(x0) + vec4<f32>(x1) + vec4<f32>(x2) + vec4<f32>(x3), vec4<f32>(1.0));
}
