// f16 weights with shader-f16 (buildGemvWgsl adds `enable f16;`): the two u32 of sub-vector s are
// reinterpreted as vec4<f16> and widened, so the conversion is the hardware's half type, not the
// unpack builtin. Accumulation stays f32 as in the packed path: only the decode differs.
fn decode_f16(wq: vec4<u32>, s: u32) -> vec4<f32> {
  return vec4<f32>(bitcast<vec4<f16>>(select(wq.xy, wq.zw, s == 1u)));
}
