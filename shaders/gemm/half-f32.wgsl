// Halves widened to f32 with unpack2x16float (core WGSL: no shader-f16 needed).
alias H4 = vec4<f32>;

fn halves(x: vec4<u32>) -> Half8 {
  return Half8(vec4<f32>(unpack2x16float(x.x), unpack2x16float(x.y)), vec4<f32>(unpack2x16float(x.z), unpack2x16float(x.w)));
}
