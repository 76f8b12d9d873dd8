// f32 arithmetic ceiling: 4 independent vec4 FMA chains per invocation (16 scalar chains, enough
// ILP to hide the 4-cycle FMA latency), UNROLL steps per loop iteration (autotuned) so the loop's
// own compare and branch are a few % of the instructions at most. x <- x*a + b with a in
// [0.5, 0.75) is a contraction, so values stay bounded and the float64 reference agrees to rounding.
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
  let a = vec4<f32>(0.5) + (vec4<f32>(t) + lanes) * (1.0 / 16.0);
  let b = vec4<f32>(0.25) + vec4<f32>(t) * 0.5;
  var x0 = lanes * 0.125;
  var x1 = (lanes + 1.0) * 0.125;
  var x2 = (lanes + 2.0) * 0.125;
  var x3 = (lanes + 3.0) * 0.125;
  for (var i = 0u; i < p.steps; i += UNROLL) {
    for (var u = 0u; u < UNROLL; u++) {
      x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
    }
  }
  out[id] = dot((x0 + x1) + (x2 + x3), vec4<f32>(1.0));
}
