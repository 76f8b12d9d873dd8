// Weight formats of the GEMV family, appended to every GEMV kernel by buildGemvWgsl (WGSL has no
// include). A weight row is `units` 16-byte units (vec4<u32>); a unit holds 4 * subs(FORMAT) elements
// and sub-vector s of a unit is its elements 4s..4s+3, in every format:
//   FORMAT 0  f32   4 per unit: word i = element i (IEEE bits).
//   FORMAT 1  f16   8 per unit: word i = elements 2i (low half) and 2i+1 (high half).
//   FORMAT 2  int8 16 per unit: byte j of word i = element 4i+j, two's complement; one f32 scale per row.
//   FORMAT 3  int4 32 per unit (one block): byte j of word i holds element 8i+j in its low nibble and
//             element 8i+4+j in its high nibble, value = d * (nibble - 8); one f16 scale d per block,
//             kept apart from the weights in `sc` (two per u32, block 2i in the low half) so weight
//             units stay 16-byte aligned for vec4 loads.
override FORMAT: u32 = 0u;

// f32 with the bits 0x4B000000 is 2^23; OR-ing an integer m < 2^23 into its mantissa gives exactly
// 2^23 + m, so bytes and nibbles become floats with one integer op and one subtraction instead of
// an int-to-float conversion (a quarter-rate instruction on NVIDIA, where int4 would be ALU-bound).
const MAGIC: u32 = 0x4B000000u;
const TWO_23: f32 = 8388608.0;

@group(0) @binding(1) var<storage, read> sc: array<u32>;

/** Sub-vectors of 4 elements in one 16-byte unit: 1, 2, 4 or 8. */
fn subs() -> u32 {
  return 1u << FORMAT;
}

/** Elements 4s..4s+3 of a unit as f32, before any scale. */
fn decode(wq: vec4<u32>, s: u32) -> vec4<f32> {
  if (FORMAT == 0u) {
    return bitcast<vec4<f32>>(wq);
  }
  if (FORMAT == 1u) {
    return decode_f16(wq, s);
  }
  if (FORMAT == 2u) {
    // XOR 0x80 maps a signed byte q to the unsigned q + 128.
    let word = wq[s] ^ 0x80808080u;
    let b = (vec4<u32>(word, word >> 8u, word >> 16u, word >> 24u) & vec4<u32>(0xFFu)) | vec4<u32>(MAGIC);
    return bitcast<vec4<f32>>(b) - vec4<f32>(TWO_23 + 128.0);
  }
  // Low nibbles (s even) or high nibbles (s odd) of the four bytes, each left alone in its byte; the
  // byte extraction below is then the same as int8's (a byte permute where the hardware has one).
  let word = (wq[s >> 1u] >> (4u * (s & 1u))) & 0x0F0F0F0Fu;
  let b = (vec4<u32>(word, word >> 8u, word >> 16u, word >> 24u) & vec4<u32>(0xFFu)) | vec4<u32>(MAGIC);
  return bitcast<vec4<f32>>(b) - vec4<f32>(TWO_23 + 8.0);
}

/** Scale of unit `unit` (row * units + u): the int4 block scale, 1 for the other formats. */
fn unit_scale(unit: u32) -> f32 {
  if (FORMAT == 3u) {
    // The wanted half shifted to the low 16 bits, then only .x used: one f16 conversion, not two.
    return unpack2x16float(sc[unit >> 1u] >> (16u * (unit & 1u))).x;
  }
  return 1.0;
}

/** Scale of a whole row: the int8 per-row scale, 1 for the other formats. */
fn row_scale(row: u32) -> f32 {
  if (FORMAT == 2u) {
    return bitcast<f32>(sc[row]);
  }
  return 1.0;
}
