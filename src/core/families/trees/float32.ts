/** Float32 neighbours of thresholds: how a float64 split becomes a float32 one. */

/** The largest finite float32 (C's FLT_MAX). */
export const FLOAT32_MAX = 3.4028234663852886e38;

const f32Scratch = new Float32Array(1);
const u32View = new Uint32Array(f32Scratch.buffer);

/** The float32 just below a finite float32 value. */
export function nextFloat32Down(value: number): number {
  f32Scratch[0] = value;
  if (value === 0) {
    u32View[0] = 0x80000001; // smallest negative subnormal
  } else if (value > 0) {
    u32View[0] -= 1;
  } else {
    u32View[0] += 1;
  }
  return f32Scratch[0];
}

/**
 * The largest float32 strictly below t: for every float32 x, `x < t` is `x <= this value`
 * (XGBoost's split rule turned into scikit-learn's). -Infinity below float32's range.
 */
export function float32Below(t: number): number {
  const rounded = Math.fround(t);
  return rounded >= t ? nextFloat32Down(rounded) : rounded;
}
