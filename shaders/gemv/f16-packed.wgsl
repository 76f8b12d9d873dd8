// f16 weights without shader-f16: two halves per u32 unpacked to f32 with unpack2x16float, so the
// f16 format runs on every WebGPU device.
fn decode_f16(wq: vec4<u32>, s: u32) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(wq[2u * s]), unpack2x16float(wq[2u * s + 1u]));
}
