// Fills a buffer with seeded pseudo-random words on the GPU, so multi-GiB inputs need no host copy.
// Each value is exactly reproducible on the CPU (src/util/hash.ts): the hash is integer-only and
// the float mapping k * 2^-23 - 1 (f32) or k * 2^-10 - 1 (f16) is exact in the target format.
//   MODE 0: f32 in [-1, 1) * scale   MODE 1: two f16 in [-1, 1) * scale per u32 word   MODE 2: raw u32
override WG: u32 = 256;
override MODE: u32 = 0;

struct Params {
  count: u32,   // words to write
  seed: u32,    // already hashed on the CPU
  scale: f32,   // a power of two, so scaling stays exact
  groups_x: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

fn pcg(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn unit_f32(h: u32) -> f32 {
  return f32(h >> 8u) * (1.0 / 8388608.0) - 1.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stride = p.groups_x * WG;
  let i = gid.y * stride + gid.x;
  if (i >= p.count) { return; }
  if (MODE == 0u) {
    dst[i] = bitcast<u32>(unit_f32(pcg(i ^ p.seed)) * p.scale);
  } else if (MODE == 1u) {
    let lo = f32(pcg((2u * i) ^ p.seed) >> 21u) * (1.0 / 1024.0) - 1.0;
    let hi = f32(pcg((2u * i + 1u) ^ p.seed) >> 21u) * (1.0 / 1024.0) - 1.0;
    dst[i] = pack2x16float(vec2<f32>(lo * p.scale, hi * p.scale));
  } else {
    dst[i] = pcg(i ^ p.seed);
  }
}
