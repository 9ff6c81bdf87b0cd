/**
 * The FeatureView's device half, no DOM: the C runtime's features.h (its WebAssembly build)
 * on the kernel's float32 signal, as a device computes it: frames, features (log-mel and
 * MFCC for audio, window statistics for an IMU stream), an event score per frame (the frame
 * level, or a compiled model run by the C runtime on the device's own features), the median
 * filter, hysteresis and events; then the comparison with the kernel's float64 reference
 * (tinyml_lab/feature_view.py). The browser runs it for the widget, and the embedded V8 for
 * FeatureView.compute_device() (src/core/headless.ts), so both give the same numbers.
 */
import { InputError, LoweredModel, deviceValueCount, lowerModel, runOnDevice } from '../compile';
import { decodeArray, encodeArray } from '../ir/encoding';
import { STATS_PER_AXIS, inputCount, runFeatureStage } from './stage';
import { WINDOW_CODES, WindowKind, featureRuntime } from './runtime';

export type SignalKind = 'audio' | 'imu';
export type Event = [number, number];
export type ModelInput = 'features' | 'mfcc' | 'frames';

/** tinyml_lab.feature_view.FeatureView's `params` trait, checked. */
export interface FeatureParams {
  kind: SignalKind;
  /** Samples per second, or null (an IMU stream plotted against sample indices). */
  sampleRate: number | null;
  /** Samples per frame: n_fft (audio) or the window (IMU); a new frame every hop samples. */
  frameLength: number;
  hop: number;
  nFrames: number;
  /** Median filter length in frames (odd; 1 leaves the score as it is). */
  median: number;
  on: number;
  off: number;
  minDuration: number;
  scoreName: string;
  /** Audio only (0 or '' for an IMU stream). */
  nFft: number;
  nMels: number;
  fmin: number;
  fmax: number;
  amin: number;
  nMfcc: number;
  fftWindow: WindowKind;
  /** 1 for audio. */
  nAxes: number;
}

/** The widget's traits, as the kernel sends them. */
export interface FeatureViewState {
  signal: Record<string, unknown>;
  params: Record<string, unknown>;
  model: Record<string, unknown>;
  reference: Record<string, unknown>;
}

/** One side's results: features [nFrames x width] row-major, score, filtered score, events. */
export interface FeatureSide<A extends ArrayLike<number>> {
  features: A;
  mfcc: A | null;
  score: A;
  filtered: A;
  events: Event[];
}

/** An event one side found and the other did not find the same: moved, missed or extra. */
export interface EventDifference {
  device: Event | null;
  reference: Event | null;
}

/** The comparison the widget shows and sends back to the kernel (snake_case, as Python reads it). */
export interface FeatureSummary {
  n_frames: number;
  feature_width: number;
  /** Over the features (an IMU's zero-crossing counts apart: they are compared exactly below). */
  max_abs_feature_diff: number;
  worst_frame: number;
  max_abs_mfcc_diff: number | null;
  /** IMU: (window, axis) zero-crossing counts that differ; null for audio. */
  zero_crossing_mismatches: number | null;
  max_abs_score_diff: number;
  max_abs_filtered_diff: number;
  device_events: number;
  reference_events: number;
  differing_events: EventDifference[];
  events_identical: boolean;
}

export interface FeatureViewResult {
  params: FeatureParams;
  /** The signal, [n_samples x nAxes] row-major. */
  signal: Float32Array;
  nSamples: number;
  featureNames: string[];
  device: FeatureSide<Float32Array>;
  reference: FeatureSide<Float64Array>;
  /** Per frame: max |device - reference| over the compared features. */
  frameDiff: Float64Array;
  summary: FeatureSummary;
}

const MAX_AXES = 64;
const FFT_MAX = 65536;

function fail(key: string, what: string): never {
  throw new InputError(`feature view ${key}: ${what}`);
}

/** Checks the kernel's params against the signal's shape. */
export function parseParams(raw: Record<string, unknown>, signalShape: number[]): FeatureParams {
  const num = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail(key, `expected a finite number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const int = (key: string, min: number, max = 2 ** 31 - 1): number => {
    const v = num(key);
    if (!Number.isInteger(v) || v < min || v > max) {
      fail(key, `expected an integer in [${min}, ${max}], got ${v}`);
    }
    return v;
  };
  const kind = raw.kind;
  if (kind !== 'audio' && kind !== 'imu') {
    fail('kind', `expected "audio" or "imu", got ${JSON.stringify(kind)}`);
  }
  const nAxes = kind === 'audio' ? 1 : signalShape[1];
  if (kind === 'audio' ? signalShape.length !== 1 : signalShape.length !== 2 || !(nAxes >= 1 && nAxes <= MAX_AXES)) {
    fail(
      'signal',
      `shape ${JSON.stringify(signalShape)} does not fit ${kind === 'audio' ? 'audio (n_samples)' : 'an IMU stream (n_samples, n_axes)'}`
    );
  }
  const nSamples = signalShape[0];
  const sampleRate = raw.sample_rate === null || raw.sample_rate === undefined ? null : num('sample_rate');
  if (sampleRate !== null && sampleRate <= 0) {
    fail('sample_rate', `must be positive, got ${sampleRate}`);
  }
  const frameLength = int('frame_length', 1);
  const hop = int('hop', 1);
  if (nSamples < frameLength) {
    fail('signal', `${nSamples} samples are shorter than one frame (${frameLength})`);
  }
  const nFrames = Math.floor((nSamples - frameLength) / hop) + 1;
  if (int('n_frames', 1) !== nFrames) {
    fail('n_frames', `${raw.n_frames} does not follow from ${nSamples} samples, frames of ${frameLength} every ${hop}`);
  }
  const median = int('median', 1);
  if (median % 2 === 0) {
    fail('median', `must be odd, got ${median}`);
  }
  const on = num('on');
  const off = num('off');
  if (off > on) {
    fail('off', `(${off}) must not be above on (${on})`);
  }
  const params: FeatureParams = {
    kind,
    sampleRate,
    frameLength,
    hop,
    nFrames,
    median,
    on,
    off,
    minDuration: int('min_duration', 0),
    scoreName: typeof raw.score_name === 'string' ? raw.score_name : 'score',
    nFft: 0,
    nMels: 0,
    fmin: 0,
    fmax: 0,
    amin: 0,
    nMfcc: 0,
    fftWindow: 'hann',
    nAxes
  };
  if (kind === 'imu') {
    return params;
  }
  const nFft = int('n_fft', 2, FFT_MAX);
  if ((nFft & (nFft - 1)) !== 0 || nFft !== frameLength) {
    fail('n_fft', `must be a power of two equal to frame_length (${frameLength}), got ${nFft}`);
  }
  const window = raw.fft_window as WindowKind;
  if (!(window in WINDOW_CODES)) {
    fail(
      'fft_window',
      `expected one of ${Object.keys(WINDOW_CODES).join(', ')}, got ${JSON.stringify(raw.fft_window)}`
    );
  }
  if (sampleRate === null) {
    fail('sample_rate', 'audio needs a sample rate');
  }
  const nMels = int('n_mels', 1);
  return {
    ...params,
    nFft,
    nMels,
    fmin: num('fmin'),
    fmax: num('fmax'),
    amin: num('amin'),
    nMfcc: int('n_mfcc', 0, nMels),
    fftWindow: window
  };
}

/** nFrames frames of frameLength samples (each nAxes values) every hop samples, row-major. */
export function cutFrames(
  signal: Float32Array,
  nAxes: number,
  frameLength: number,
  hop: number,
  nFrames: number
): Float32Array {
  const width = frameLength * nAxes;
  const out = new Float32Array(nFrames * width);
  for (let f = 0; f < nFrames; f++) {
    out.set(signal.subarray(f * hop * nAxes, f * hop * nAxes + width), f * width);
  }
  return out;
}

/** Mean of each row in float32 arithmetic, as a C loop `sum += x[i]; sum / n` computes it. */
export function float32RowMeans(x: Float32Array, nRows: number, width: number): Float32Array {
  const out = new Float32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let sum = 0;
    for (let i = 0; i < width; i++) {
      sum = Math.fround(sum + x[r * width + i]);
    }
    out[r] = Math.fround(sum / width);
  }
  return out;
}

/** Features, MFCCs and the frame level per frame, all by the C runtime (the level's mean in float32). */
export function deviceFeatures(
  params: FeatureParams,
  frames: Float32Array
): { features: Float32Array; mfcc: Float32Array | null; level: Float32Array; width: number } {
  const f = featureRuntime();
  const n = params.nFrames;
  if (params.kind === 'audio') {
    const power = f.powerSpectrum(frames, n, params.nFft, params.fftWindow);
    const logMel = f.logMel(
      power,
      n,
      params.nFft,
      params.sampleRate as number,
      params.nMels,
      params.fmin,
      params.fmax,
      params.amin
    );
    return {
      features: logMel,
      mfcc: params.nMfcc > 0 ? f.mfcc(logMel, n, params.nMels, params.nMfcc) : null,
      level: float32RowMeans(logMel, n, params.nMels),
      width: params.nMels
    };
  }
  // The same layout as tinyml_lab.features.IMUFeatures: each axis's statistics, then the magnitude's.
  const stage = {
    kind: 'imu_stats' as const,
    steps: params.frameLength,
    nAxes: params.nAxes,
    magnitude: params.nAxes === 3
  };
  const features = runFeatureStage(stage, frames, n);
  const width = STATS_PER_AXIS * (params.nAxes + (stage.magnitude ? 1 : 0));
  const rms = (r: number, axis: number) => features[r * width + axis * STATS_PER_AXIS + 2];
  const level = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    if (stage.magnitude) {
      level[r] = rms(r, 3); // the magnitude's RMS, computed by the C runtime
    } else {
      // sqrt(sum of the axes' mean squares): the magnitude's RMS without the magnitude
      let sum = 0;
      for (let a = 0; a < params.nAxes; a++) {
        sum = Math.fround(sum + Math.fround(rms(r, a) * rms(r, a)));
      }
      level[r] = Math.fround(Math.sqrt(sum));
    }
  }
  return { features, mfcc: null, level, width };
}

/** The kernel's `model` trait: the IR, compile options and which output column is the score. */
interface ScoreModel {
  model: LoweredModel;
  input: ModelInput;
  column: number;
  sign: number;
}

function parseScoreModel(raw: Record<string, unknown>): ScoreModel | null {
  if (!raw || Object.keys(raw).length === 0) {
    return null;
  }
  const model = lowerModel(raw.ir, raw.options as Record<string, unknown>);
  const input = raw.input as ModelInput;
  if (!['features', 'mfcc', 'frames'].includes(input)) {
    fail('model.input', `expected features, mfcc or frames, got ${JSON.stringify(raw.input)}`);
  }
  const width = deviceValueCount(model);
  if (raw.width !== width) {
    fail('model.width', `the kernel expects ${String(raw.width)} outputs per frame, the compiled model gives ${width}`);
  }
  const column = raw.column as number;
  if (!Number.isInteger(column) || column < 0 || column >= width) {
    fail('model.column', `expected an output index below ${width}, got ${JSON.stringify(raw.column)}`);
  }
  return { model, input, column, sign: raw.sign === -1 ? -1 : 1 };
}

/** The model's score per frame, by the C runtime on the device's own rows. */
function modelScore(score: ScoreModel, rows: Float32Array | null, nFrames: number): Float32Array {
  if (!rows) {
    fail('model.input', `${score.input} were not computed (n_mfcc is 0)`);
  }
  const expected = inputCount(score.model.ir);
  if (rows.length !== nFrames * expected) {
    fail('model', `takes ${expected} values per frame, ${score.input} give ${rows.length / nFrames}`);
  }
  const run = runOnDevice(score.model, rows, nFrames);
  const width = deviceValueCount(score.model);
  return Float32Array.from({ length: nFrames }, (_, r) => score.sign * run.values[r * width + score.column]);
}

/** Median filter, hysteresis and events by the C runtime. */
export function deviceEvents(params: FeatureParams, score: Float32Array): { filtered: Float32Array; events: Event[] } {
  const f = featureRuntime();
  const filtered = f.medianFilter(score, params.median);
  const found = f.hysteresisEvents(filtered, params.on, params.off, params.minDuration);
  return { filtered, events: Array.from(found.onsets, (onset, i) => [onset, found.offsets[i]] as Event) };
}

/**
 * Pairs the two sides' events: identical ones match; an event overlapping one on the other
 * side is "moved" (onset or offset differs); the rest were found on one side only. Both
 * lists are sorted and non-overlapping, as tml_events writes them.
 */
export function compareEvents(device: Event[], reference: Event[]): EventDifference[] {
  const key = (e: Event) => `${e[0]}:${e[1]}`;
  const referenceKeys = new Set(reference.map(key));
  const deviceKeys = new Set(device.map(key));
  const d = device.filter(e => !referenceKeys.has(key(e)));
  const r = reference.filter(e => !deviceKeys.has(key(e)));
  const out: EventDifference[] = [];
  let i = 0;
  let j = 0;
  while (i < d.length || j < r.length) {
    if (i < d.length && j < r.length && d[i][0] < r[j][1] && r[j][0] < d[i][1]) {
      out.push({ device: d[i++], reference: r[j++] });
    } else if (j >= r.length || (i < d.length && d[i][0] < r[j][0])) {
      out.push({ device: d[i++], reference: null });
    } else {
      out.push({ device: null, reference: r[j++] });
    }
  }
  return out;
}

function decodeReference(
  raw: Record<string, unknown>,
  params: FeatureParams,
  width: number
): FeatureSide<Float64Array> & { names: string[] } {
  const vector = (key: string, length: number): Float64Array => {
    const { array } = decodeArray(raw[key], 'float64', `reference.${key}`);
    if (array.length !== length) {
      fail(
        `reference.${key}`,
        `has ${array.length} values, the device computed ${length} (the reference is out of date)`
      );
    }
    return array;
  };
  const events = raw.events;
  if (!Array.isArray(events) || events.some(e => !Array.isArray(e) || e.length !== 2 || !e.every(Number.isInteger))) {
    fail('reference.events', 'expected a list of [onset, offset] frame pairs');
  }
  const names = Array.isArray(raw.feature_names) ? raw.feature_names.map(String) : [];
  return {
    features: vector('features', params.nFrames * width),
    mfcc: params.nMfcc > 0 ? vector('mfcc', params.nFrames * params.nMfcc) : null,
    score: vector('score', params.nFrames),
    filtered: vector('filtered', params.nFrames),
    events: events as Event[],
    names: names.length === width ? names : Array.from({ length: width }, (_, k) => `feature ${k}`)
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}

/** Runs the device half on the kernel's state and compares it with the reference. */
export function runFeatureView(state: FeatureViewState): FeatureViewResult {
  if (!state.signal || !state.signal.x) {
    throw new InputError('no signal: pass one to tinyml_lab.view_features');
  }
  const { array: signal, shape } = decodeArray(state.signal.x, 'float32', 'signal');
  const params = parseParams(state.params ?? {}, shape);
  for (let i = 0; i < signal.length; i++) {
    if (!Number.isFinite(signal[i])) {
      throw new InputError(`signal value ${i} is ${signal[i]}; the device needs finite samples`);
    }
  }
  const frames = cutFrames(signal, params.nAxes, params.frameLength, params.hop, params.nFrames);
  const { features, mfcc, level, width } = deviceFeatures(params, frames);
  const scorer = parseScoreModel(state.model);
  const score = scorer ? modelScore(scorer, { features, mfcc, frames }[scorer.input], params.nFrames) : level;
  const { filtered, events } = deviceEvents(params, score);
  const reference = decodeReference(state.reference ?? {}, params, width);

  // Zero-crossing counts are integers: they are compared exactly, not as feature distances.
  const counted = (k: number) => params.kind === 'imu' && k % STATS_PER_AXIS === STATS_PER_AXIS - 1;
  const frameDiff = new Float64Array(params.nFrames);
  let zeroCrossingMismatches = 0;
  for (let r = 0; r < params.nFrames; r++) {
    for (let k = 0; k < width; k++) {
      const diff = Math.abs(features[r * width + k] - reference.features[r * width + k]);
      if (counted(k)) {
        zeroCrossingMismatches += diff > 0 ? 1 : 0;
      } else {
        frameDiff[r] = Math.max(frameDiff[r], diff);
      }
    }
  }
  const worstFrame = frameDiff.reduce((best, v, r) => (v > frameDiff[best] ? r : best), 0);
  const differing = compareEvents(events, reference.events);
  return {
    params,
    signal,
    nSamples: shape[0],
    featureNames: reference.names,
    device: { features, mfcc, score, filtered, events },
    reference,
    frameDiff,
    summary: {
      n_frames: params.nFrames,
      feature_width: width,
      max_abs_feature_diff: frameDiff[worstFrame],
      worst_frame: worstFrame,
      max_abs_mfcc_diff: mfcc && reference.mfcc ? maxAbsDiff(mfcc, reference.mfcc) : null,
      zero_crossing_mismatches: params.kind === 'imu' ? zeroCrossingMismatches : null,
      max_abs_score_diff: maxAbsDiff(score, reference.score),
      max_abs_filtered_diff: maxAbsDiff(filtered, reference.filtered),
      device_events: events.length,
      reference_events: reference.events.length,
      differing_events: differing,
      events_identical: differing.length === 0
    }
  };
}

/** What the browser writes into the `device` trait: encoded float32 arrays, events, summary. */
export function deviceTrait(result: FeatureViewResult): Record<string, unknown> {
  const { device, params, summary } = result;
  const trait: Record<string, unknown> = {
    features: encodeArray(device.features, [params.nFrames, summary.feature_width]),
    score: encodeArray(device.score, [params.nFrames]),
    filtered: encodeArray(device.filtered, [params.nFrames]),
    events: device.events,
    summary
  };
  if (device.mfcc) {
    trait.mfcc = encodeArray(device.mfcc, [params.nFrames, params.nMfcc]);
  }
  return trait;
}

/** Seconds (or sample indices without a sample rate) of sample i. */
export function sampleTime(params: FeatureParams, i: number): number {
  return params.sampleRate ? i / params.sampleRate : i;
}

/** The samples an event covers: from its first frame's start to its last frame's end. */
export function eventSpan(params: FeatureParams, event: Event): [number, number] {
  return [event[0] * params.hop, (event[1] - 1) * params.hop + params.frameLength];
}
