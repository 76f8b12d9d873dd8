// Halves kept as f16 (needs shader-f16; buildGemmWgsl puts `enable f16;` first).
alias H4 = vec4<f16>;

fn halves(x: vec4<u32>) -> Half8 {
  return Half8(vec4<f16>(bitcast<vec2<f16>>(x.x), bitcast<vec2<f16>>(x.y)), vec4<f16>(bitcast<vec2<f16>>(x.z), bitcast<vec2<f16>>(x.w)));
}
