// Storage prelude for f16 attention data, packed two halves per u32 and unpacked with
// unpack2x16float: it needs no `shader-f16`, so the same kernels run on SwiftShader (CI) and on
// GPUs; arithmetic is f32. A Quad is 4 halves (8 B), a Wide is 8 halves (16 B, one vector load).
alias Quad = vec2<u32>;
alias Wide = vec4<u32>;
/** Elements per Wide. */
const WIDE: u32 = 8u;

fn unpack_quad(x: Quad) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(x.x), unpack2x16float(x.y));
}

fn pack_quad(v: vec4<f32>) -> Quad {
  return vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw));
}

// Elements 4*sub .. 4*sub+3 (sub 0 or 1) of a Wide.
fn unpack_wide(x: Wide, sub: u32) -> vec4<f32> {
  if (sub == 0u) {
    return vec4<f32>(unpack2x16float(x.x), unpack2x16float(x.y));
  }
  return vec4<f32>(unpack2x16float(x.z), unpack2x16float(x.w));
}
