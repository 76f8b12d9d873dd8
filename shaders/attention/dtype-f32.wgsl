// Storage prelude for f32 attention data: a Quad is 4 elements (16 B), a Wide is 4 elements (16 B).
// buildAttentionWgsl prepends this (or dtype-f16.wgsl) to a kernel body: WGSL has no type-valued
// override, so the element type of a binding is the one thing chosen in TypeScript.
alias Quad = vec4<f32>;
alias Wide = vec4<f32>;
/** Elements per Wide. */
const WIDE: u32 = 4u;

fn unpack_quad(x: Quad) -> vec4<f32> {
  return x;
}

fn pack_quad(v: vec4<f32>) -> Quad {
  return v;
}

// Four elements `sub` (0 only, for f32) of a Wide.
fn unpack_wide(x: Wide, sub: u32) -> vec4<f32> {
  return x;
}
