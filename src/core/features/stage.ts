/**
 * A feature stage in front of a model: what a Pipeline's tinyml_lab.features transformer
 * computes, exported with the model so the device computes features exactly as training did
 * (c-runtime/include/tinyml/features.h). The model's own IR then describes features, not
 * raw samples; `inputCount` is what the device takes.
 */
import { cArray, formatFloat32, formatInt } from '../emit/frame';
import { CODES } from '../../generated/runtimeConstants';
import { IRError } from '../ir/read';
import { RuntimeError } from '../runtime/wasmRuntime';
import type { SizeEstimate, SizeItem } from '../estimate/size';
import { LogMelConfig, LogMelTables, featureRuntime, logMelFrames, logMelScratchFloats, logMelWidth } from './runtime';
import { shown } from '../ir/show';

/** IMUFeatures: per-axis window statistics (7 each) and, with magnitude, the magnitude's. */
export interface ImuStatsStage {
  kind: 'imu_stats';
  /** Samples per window. */
  steps: number;
  nAxes: number;
  magnitude: boolean;
}

/** LogMelFeatures: a clip of `samples` cut into frames, log-mel energies (or MFCCs) of each. */
export interface LogMelStage extends LogMelConfig {
  kind: 'log_mel';
  /** Samples per clip. */
  samples: number;
}

export type FeatureStage = ImuStatsStage | LogMelStage;

/** Statistics per axis: mean, std, rms, min, max, peak_to_peak, zero_crossings. */
export const STATS_PER_AXIS = 7;

export function stageWidth(stage: FeatureStage): number {
  if (stage.kind === 'log_mel') {
    return logMelFrames(stage.samples, stage.nFft, stage.hop) * logMelWidth(stage);
  }
  return STATS_PER_AXIS * (stage.nAxes + (stage.magnitude ? 1 : 0));
}

export function stageInputs(stage: FeatureStage): number {
  return stage.kind === 'log_mel' ? stage.samples : stage.steps * stage.nAxes;
}

export function parseFeatureStage(raw: unknown): FeatureStage {
  const s = raw as Record<string, unknown> | null;
  const int = (key: string, min: number, max: number): number => {
    const v = s?.[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new IRError(`feature_stage.${key}`, `expected an integer in [${min}, ${max}], got ${shown(v)}`);
    }
    return v;
  };
  const positive = (key: string): number => {
    const v = s?.[key];
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v)) || v <= 0 || Math.fround(v) <= 0) {
      throw new IRError(`feature_stage.${key}`, `expected a positive number within float32's range, got ${shown(v)}`);
    }
    return v;
  };
  if (s?.kind === 'log_mel') {
    const nFft = int('n_fft', 2, 65536);
    if ((nFft & (nFft - 1)) !== 0) {
      throw new IRError('feature_stage.n_fft', `expected a power of two, got ${nFft}`);
    }
    const samples = int('samples', nFft, 1 << 24);
    const nMels = int('n_mels', 1, 512);
    const sampleRate = positive('sample_rate');
    const fmin = s.fmin === 0 ? 0 : positive('fmin');
    const fmax = positive('fmax');
    if (!(fmax > fmin)) {
      throw new IRError('feature_stage.fmax', `must be above fmin (${fmin}), got ${fmax}`);
    }
    return {
      kind: 'log_mel',
      samples,
      nFft,
      hop: int('hop', 1, 1 << 24),
      sampleRate,
      nMels,
      fmin,
      fmax,
      amin: positive('amin'),
      nMfcc: s.n_mfcc === undefined || s.n_mfcc === null ? 0 : int('n_mfcc', 1, nMels)
    };
  }
  if (s?.kind !== 'imu_stats') {
    throw new IRError('feature_stage.kind', `expected "imu_stats" or "log_mel", got ${shown(s?.kind)}`);
  }
  const nAxes = int('n_axes', 1, 64);
  const magnitude = s.magnitude === true;
  if (magnitude && nAxes !== 3) {
    throw new IRError('feature_stage.magnitude', 'the magnitude needs 3 axes');
  }
  return { kind: 'imu_stats', steps: int('steps', 1, 1 << 16), nAxes, magnitude };
}

/** The tables a log-mel stage stores, made by the C runtime (the same bits the device uses). */
export function logMelTables(stage: LogMelStage): LogMelTables {
  let tables: LogMelTables;
  try {
    tables = featureRuntime().logMelTables(stage);
  } catch (e) {
    // what the runtime checks beyond the parser: band edges apart in float32
    if (!(e instanceof RuntimeError) || e.code !== CODES.TML_E_SCALE) {
      throw e;
    }
    throw new IRError(
      'feature_stage',
      `${stage.nMels} mel bands from fmin ${stage.fmin} to fmax ${stage.fmax} Hz are too narrow for float32 ` +
        '(two band edges coincide): widen fmin..fmax or use fewer n_mels'
    );
  }
  if (tables.weights.length === 0) {
    throw new IRError(
      'feature_stage',
      `${stage.nMels} mel bands from fmin ${stage.fmin} to fmax ${stage.fmax} Hz all fall between the FFT's bins ` +
        `(${stage.sampleRate / stage.nFft} Hz apart at n_fft ${stage.nFft}): every filter is empty; ` +
        'widen fmin..fmax or raise n_fft'
    );
  }
  return tables;
}

/** The stage on nRows raw rows, by the C runtime: the model's input rows. */
export function runFeatureStage(stage: FeatureStage, x: Float32Array, nRows: number): Float32Array {
  const f = featureRuntime();
  if (stage.kind === 'log_mel') {
    return f.logMelClips(stage, logMelTables(stage), x, nRows, stage.samples);
  }
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
  if (stage.kind === 'log_mel') {
    return logMelStageC(stage, name);
  }
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

/**
 * C for a log-mel stage: its tables in flash (window, twiddles, sparse mel filterbank, DCT
 * cosines) made by the C runtime, `<name>_frame_features(frame, out)` for one frame (a
 * stream cut by tml_framer_t) and `<name>_features(clip, features)` for a whole clip.
 */
function logMelStageC(stage: LogMelStage, name: string): string {
  const upper = name.toUpperCase();
  const t = logMelTables(stage);
  const frames = logMelFrames(stage.samples, stage.nFft, stage.hop);
  const what = stage.nMfcc > 0 ? `${stage.nMfcc} MFCCs` : `${stage.nMels} log-mel energies (dB)`;
  return `#define ${upper}_N_INPUTS ${stage.samples} /* samples per clip, ${stage.sampleRate} Hz */
#define ${upper}_N_FFT ${stage.nFft}
#define ${upper}_HOP ${stage.hop}
#define ${upper}_N_FRAMES ${frames}
#define ${upper}_N_MELS ${stage.nMels}
#define ${upper}_FRAME_FEATURES ${logMelWidth(stage)} /* ${what} per frame */
#define ${upper}_FEATURES_SCRATCH TML_LOGMEL_SCRATCH(${upper}_N_FFT, ${upper}_N_MELS)

/* Feature tables, made by the same C code that computed the training features: periodic Hann
 * window, FFT twiddles, Slaney mel filterbank (${stage.fmin}-${stage.fmax} Hz, the non-zero run of each band
 * only)${stage.nMfcc > 0 ? ', DCT-II cosines' : ''}. */
${cArray('float', `${name}_window`, t.window, formatFloat32)}
${cArray('float', `${name}_twiddles`, t.twiddles, formatFloat32)}
${cArray('uint16_t', `${name}_mel_first_bin`, t.firstBin, formatInt)}
${cArray('uint16_t', `${name}_mel_n_weights`, t.nWeights, formatInt)}
${cArray('float', `${name}_mel_weights`, t.weights, formatFloat32)}
${stage.nMfcc > 0 ? cArray('float', `${name}_dct`, t.dct, formatFloat32) : ''}
static const tml_logmel_t ${name}_logmel = {
    ${upper}_N_FFT, ${name}_window, ${name}_twiddles,
    { ${upper}_N_MELS, ${upper}_N_FFT / 2 + 1, ${t.weights.length}, ${name}_mel_first_bin, ${name}_mel_n_weights, ${name}_mel_weights },
    ${formatFloat32(Math.fround(stage.amin))}, ${stage.nMfcc}, ${stage.nMfcc > 0 ? `${name}_dct` : 'NULL'}
};

/* Start-up self-test of the feature tables (${name}_validate() checks the model's). */
static inline int ${name}_features_validate(void)
{
    return tml_logmel_validate(&${name}_logmel);
}

/* The features of one frame of ${upper}_N_FFT samples into out[${upper}_FRAME_FEATURES]: for a
 * device that cuts its own stream into frames (tml_framer_t, hop ${upper}_HOP). */
static inline int ${name}_frame_features(const float *frame, float *out)
{
    float scratch[${upper}_FEATURES_SCRATCH];
    return tml_logmel_frame(&${name}_logmel, frame, scratch, out);
}

/* The model's ${upper}_N_FEATURES features of one clip of ${upper}_N_INPUTS samples: ${upper}_N_FRAMES
 * frames every ${upper}_HOP samples, ${upper}_FRAME_FEATURES each, frame after frame, as
 * tinyml_lab.features.LogMelFeatures computed them in training. */
static inline int ${name}_features(const float *clip, float *features)
{
    float scratch[${upper}_FEATURES_SCRATCH];
    return tml_logmel_clip(&${name}_logmel, clip, ${upper}_N_INPUTS, ${upper}_HOP, scratch, features);
}
`;
}

/**
 * Code of each stage on Cortex-M4F (-Os, arm-none-eabi-gcc 12.2, libm functions included),
 * measured as the growth of a firmware calling <name>_features before <name>_predict, tables
 * taken off: the log-mel stage's FFT, filterbank and log10f (with DCT: +100 B); the IMU
 * statistics with sqrtf.
 */
const STAGE_CODE_BYTES = { log_mel: 1500, log_mel_mfcc: 1600, imu_stats: 560 };

/** Flash (tables exact, code measured) and stack of a stage, added to the model's estimate. */
export function stageSize(stage: FeatureStage): { flash: SizeItem[]; stackBytes: number } {
  if (stage.kind === 'imu_stats') {
    return {
      flash: [{ name: 'feature stage code (window statistics)', bytes: STAGE_CODE_BYTES.imu_stats }],
      stackBytes: (stage.magnitude ? 4 * stage.steps : 0) + 64
    };
  }
  const t = logMelTables(stage);
  const tables =
    t.window.byteLength +
    t.twiddles.byteLength +
    t.firstBin.byteLength +
    t.nWeights.byteLength +
    t.weights.byteLength +
    t.dct.byteLength;
  return {
    flash: [
      {
        name: `feature tables (window, twiddles, ${t.weights.length} mel weights${stage.nMfcc ? ', DCT' : ''})`,
        bytes: tables
      },
      {
        name: 'feature stage code (FFT, mel, log)',
        bytes: stage.nMfcc ? STAGE_CODE_BYTES.log_mel_mfcc : STAGE_CODE_BYTES.log_mel
      }
    ],
    stackBytes: 4 * logMelScratchFloats(stage) + 48
  };
}

/**
 * The model's estimate with its stage: the stage's flash added; RAM adds the features buffer
 * the caller holds between the stage and the model, and the larger of the two stacks (the
 * stage runs before the model, not inside it).
 */
export function withStageSize(size: SizeEstimate, stage: FeatureStage): SizeEstimate {
  const s = stageSize(stage);
  const features = 4 * stageWidth(stage);
  const modelStack = size.ramBytes;
  const ramBytes = features + Math.max(modelStack, s.stackBytes);
  return {
    ...size,
    flashBytes: size.flashBytes + s.flash.reduce((sum, item) => sum + item.bytes, 0),
    flash: [...size.flash, ...s.flash],
    ramBytes,
    ram: [
      ...size.ram,
      { name: 'features buffer (caller)', bytes: features },
      { name: "feature stage stack, beyond the model's", bytes: Math.max(0, s.stackBytes - modelStack) }
    ]
  };
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
