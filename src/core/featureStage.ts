/**
 * A feature stage in front of a model: what a Pipeline's tinyml_lab.features transformer
 * computes, exported with the model so the device computes features exactly as training did
 * (c-runtime/include/tinyml/features.h). The model's own IR then describes features, not
 * raw samples; `inputCount` is what the device takes.
 */
import { IRError } from './ir';
import { WasmRuntime } from './wasmRuntime';

/** IMUFeatures: per-axis window statistics (7 each) and, with magnitude, the magnitude's. */
export interface FeatureStage {
  kind: 'imu_stats';
  /** Samples per window. */
  steps: number;
  nAxes: number;
  magnitude: boolean;
}

/** Statistics per axis: mean, std, rms, min, max, peak_to_peak, zero_crossings. */
export const STATS_PER_AXIS = 7;

export function stageWidth(stage: FeatureStage): number {
  return STATS_PER_AXIS * (stage.nAxes + (stage.magnitude ? 1 : 0));
}

export function stageInputs(stage: FeatureStage): number {
  return stage.steps * stage.nAxes;
}

export function parseFeatureStage(raw: unknown): FeatureStage {
  const s = raw as Record<string, unknown> | null;
  const int = (key: string, max: number): number => {
    const v = s?.[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new IRError(`feature_stage.${key}`, `expected an integer in [1, ${max}], got ${JSON.stringify(v)}`);
    }
    return v;
  };
  if (s?.kind !== 'imu_stats') {
    throw new IRError('feature_stage.kind', `expected "imu_stats", got ${JSON.stringify(s?.kind)}`);
  }
  const nAxes = int('n_axes', 64);
  const magnitude = s.magnitude === true;
  if (magnitude && nAxes !== 3) {
    throw new IRError('feature_stage.magnitude', 'the magnitude needs 3 axes');
  }
  return { kind: 'imu_stats', steps: int('steps', 1 << 16), nAxes, magnitude };
}

/** The stage on nRows raw rows, by the C runtime: the model's input rows. */
export function runFeatureStage(stage: FeatureStage, x: Float32Array, nRows: number): Float32Array {
  const f = WasmRuntime.load().features();
  const perAxis = f.windowStats(x, nRows, stage.steps, stage.nAxes, stage.nAxes);
  if (!stage.magnitude) {
    return perAxis;
  }
  const magnitude = f.windowStats(f.magnitude(x), nRows, stage.steps, 1, 1);
  const width = stageWidth(stage);
  const out = new Float32Array(nRows * width);
  for (let r = 0; r < nRows; r++) {
    out.set(perAxis.subarray(r * 7 * stage.nAxes, (r + 1) * 7 * stage.nAxes), r * width);
    out.set(magnitude.subarray(r * 7, (r + 1) * 7), r * width + 7 * stage.nAxes);
  }
  return out;
}

/**
 * C for the stage: `<name>_features(window, features)` with the window sample-major
 * (steps x n_axes interleaved) and the features in the order the model was trained on.
 */
export function featureStageC(stage: FeatureStage, name: string): string {
  const upper = name.toUpperCase();
  const axes = Array.from({ length: stage.nAxes }, (_, a) => a);
  const stat = (target: string) =>
    `    *out++ = ${target}.mean; *out++ = ${target}.std; *out++ = ${target}.rms; *out++ = ${target}.min;
    *out++ = ${target}.max; *out++ = ${target}.peak_to_peak; *out++ = (float)${target}.zero_crossings;`;
  return `#define ${upper}_N_INPUTS ${stageInputs(stage)} /* raw samples per window: ${stage.steps} x ${stage.nAxes} axes */
#define ${upper}_WINDOW_STEPS ${stage.steps}

/* The model's ${upper}_N_FEATURES features of one window (sample-major, ${stage.nAxes} axes interleaved),
 * computed as tinyml_lab.features.IMUFeatures computed them in training. */
static inline int ${name}_features(const float *window, float *features)
{
    tml_stats_t s;
    float *out = features;
    int status;
${axes
  .map(
    a => `    status = tml_window_stats(window + ${a}, ${upper}_WINDOW_STEPS, ${stage.nAxes}, &s);
    if (status != TML_OK) {
        return status;
    }
${stat('s')}`
  )
  .join('\n')}${
    stage.magnitude
      ? `
    {
        float magnitude[${upper}_WINDOW_STEPS];
        status = tml_magnitude(window, ${upper}_WINDOW_STEPS, magnitude);
        if (status == TML_OK) {
            status = tml_window_stats(magnitude, ${upper}_WINDOW_STEPS, 1, &s);
        }
        if (status != TML_OK) {
            return status;
        }
${stat('s')}
    }`
      : ''
  }
    return TML_OK;
}
`;
}

/** Values per row the device takes: raw window samples with a feature stage, else features. */
export function inputCount(ir: { nFeatures: number; featureStage?: FeatureStage | null }): number {
  return ir.featureStage ? stageInputs(ir.featureStage) : ir.nFeatures;
}

/**
 * The header with the stage's function added before its closing #endif; the header was
 * emitted with features.h among its runtime headers (HeaderOptions.extraRuntime).
 */
export function withFeatureStage(header: string, stage: FeatureStage, name: string): string {
  const guardEnd = header.lastIndexOf('#endif /* TINYML_MODEL_');
  return `${header.slice(0, guardEnd)}${featureStageC(stage, name)}\n${header.slice(guardEnd)}`;
}
