/**
 * The FeatureView's device half (the C runtime on an encoded signal), its comparison with a
 * reference, the chart specs and the panel under jsdom. The float64 reference itself is
 * Python's (tests/python/test_feature_view.py checks the two against each other).
 */
import { decodeArray, encodeArray } from '../../src/core/ir/encoding';
import { featureRuntime } from '../../src/core/features/runtime';
import { Figure } from '../../src/widgets/charts';
import { MAX_SIGNAL_POINTS, envelope, featureViewFigures } from '../../src/widgets/featureCharts';
import {
  Event,
  FeatureViewState,
  compareEvents,
  cutFrames,
  deviceEvents,
  deviceFeatures,
  parseParams,
  runFeatureView
} from '../../src/core/features/view';
import { FeatureViewPanel, describeDifference } from '../../src/widgets/featurePanel';

const SR = 8000;

/** A small deterministic generator (mulberry32), for noise. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/**
 * One second of faint noise with two loud bursts of broadband noise and a 1 kHz tone, at
 * 0.2-0.35 s and 0.6-0.8 s (broadband: the mean log-mel level rises in every band).
 */
function burstAudio(): Float32Array {
  const noise = random(1);
  const burst = random(3);
  return Float32Array.from({ length: SR }, (_, i) => {
    const t = i / SR;
    const loud = (t >= 0.2 && t < 0.35) || (t >= 0.6 && t < 0.8);
    return 0.002 * noise() + (loud ? 0.3 * burst() + 0.3 * Math.sin(2 * Math.PI * 1000 * t) : 0);
  });
}

/** 3-axis accelerometer at 50 Hz: gravity and noise, shaking at 7 Hz from sample 200 to 320. */
function imuStream(n = 500): Float32Array {
  const noise = random(2);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const shaking = i >= 200 && i < 320 ? 4 * Math.sin((2 * Math.PI * 7 * i) / 50) : 0;
    out.set([0.1 * noise() + shaking, 0.1 * noise() + 0.5 * shaking, 9.81 + 0.1 * noise()], i * 3);
  }
  return out;
}

const AUDIO_PARAMS = {
  kind: 'audio',
  sample_rate: SR,
  frame_length: 256,
  hop: 128,
  n_frames: Math.floor((SR - 256) / 128) + 1,
  median: 3,
  on: -30,
  off: -45,
  min_duration: 2,
  score_name: 'mean log-mel (dB)',
  n_fft: 256,
  n_mels: 20,
  fmin: 0,
  fmax: SR / 2,
  amin: 1e-10,
  n_mfcc: 8,
  fft_window: 'hann'
};

const IMU_PARAMS = {
  kind: 'imu',
  sample_rate: 50,
  frame_length: 32,
  hop: 16,
  n_frames: Math.floor((500 - 32) / 16) + 1,
  median: 1,
  on: 10.05,
  off: 9.9,
  min_duration: 1,
  score_name: 'magnitude RMS'
};

/**
 * A reference equal to the device's own output in float64: the comparison must then find no
 * difference at all; tests damage it to see each difference reported.
 */
function stateWithSelfReference(
  signal: Float32Array,
  shape: number[],
  params: Record<string, unknown>,
  model: Record<string, unknown> = {}
): FeatureViewState {
  const x = encodeArray(signal, shape);
  const p = parseParams(params, shape);
  const frames = cutFrames(signal, p.nAxes, p.frameLength, p.hop, p.nFrames);
  const device = deviceFeatures(p, frames);
  const run = runFeatureView({
    signal: { x },
    params,
    model,
    reference: placeholderReference(p.nFrames, device.width, p.nMfcc)
  });
  const f64 = (a: Float32Array, s: number[]) => encodeArray(Float64Array.from(a), s);
  return {
    signal: { x },
    params,
    model,
    reference: {
      features: f64(run.device.features, [p.nFrames, device.width]),
      ...(run.device.mfcc ? { mfcc: f64(run.device.mfcc, [p.nFrames, p.nMfcc]) } : {}),
      score: f64(run.device.score, [p.nFrames]),
      filtered: f64(run.device.filtered, [p.nFrames]),
      events: run.device.events.map(e => [...e]),
      feature_names: []
    }
  };
}

function placeholderReference(nFrames: number, width: number, nMfcc: number): Record<string, unknown> {
  const zeros = (n: number) => encodeArray(new Float64Array(n));
  return {
    features: zeros(nFrames * width),
    mfcc: zeros(nFrames * nMfcc),
    score: zeros(nFrames),
    filtered: zeros(nFrames),
    events: []
  };
}

describe('the device half on audio', () => {
  const signal = burstAudio();
  const state = stateWithSelfReference(signal, [SR], AUDIO_PARAMS);

  it('computes log-mel and MFCC frames with the C runtime, hop by hop', () => {
    const result = runFeatureView(state);
    expect(result.params.nFrames).toBe(61);
    expect(result.device.features).toHaveLength(61 * 20);
    // frame 10 starts at sample 1280: the C runtime on those samples gives the same row
    const f = featureRuntime();
    const power = f.powerSpectrum(signal.slice(1280, 1536), 1, 256, 'hann');
    const row = f.logMel(power, 1, 256, SR, 20, 0, SR / 2, 1e-10);
    expect(Array.from(result.device.features.subarray(200, 220))).toEqual(Array.from(row));
    expect(Array.from(result.device.mfcc!.subarray(80, 88))).toEqual(Array.from(f.mfcc(row, 1, 20, 8)));
    // the frame level is the mean of the row, in float32
    const mean = row.reduce((a, b) => a + b, 0) / 20;
    expect(Math.abs(result.device.score[10] - mean)).toBeLessThan(1e-4);
  });

  it('finds the two bursts as events, within a frame of where they are', () => {
    const result = runFeatureView(state);
    expect(result.device.events).toHaveLength(2);
    const spans = result.device.events.map(([on, off]) => [(on * 128) / SR, ((off - 1) * 128 + 256) / SR]);
    const bursts = [
      [0.2, 0.35],
      [0.6, 0.8]
    ];
    spans.forEach((span, k) => {
      expect(Math.abs(span[0] - bursts[k][0])).toBeLessThanOrEqual(256 / SR);
      expect(Math.abs(span[1] - bursts[k][1])).toBeLessThanOrEqual(256 / SR);
    });
  });

  it('reports no difference against an identical reference', () => {
    const { summary } = runFeatureView(state);
    expect(summary).toMatchObject({
      n_frames: 61,
      feature_width: 20,
      max_abs_feature_diff: 0,
      max_abs_mfcc_diff: 0,
      zero_crossing_mismatches: null,
      max_abs_score_diff: 0,
      device_events: 2,
      reference_events: 2,
      differing_events: [],
      events_identical: true
    });
  });

  it('reports a feature difference at its frame, and events that moved or were missed', () => {
    const features = decodeArray(state.reference.features, 'float64', 'f').array;
    features[33 * 20 + 5] += 0.25;
    const events = (state.reference.events as Event[]).map(e => [...e]);
    events[0][1] += 2;
    const damaged = {
      ...state,
      reference: { ...state.reference, features: encodeArray(features, [61, 20]), events: [...events, [58, 60]] }
    };
    const { summary, frameDiff } = runFeatureView(damaged);
    expect(summary.worst_frame).toBe(33);
    expect(summary.max_abs_feature_diff).toBeCloseTo(0.25, 5);
    expect(frameDiff[32]).toBe(0);
    expect(summary.differing_events).toEqual([
      { device: (state.reference.events as Event[])[0], reference: events[0] },
      { device: null, reference: [58, 60] }
    ]);
    expect(summary.events_identical).toBe(false);
  });

  it('names what is wrong with bad input', () => {
    const run =
      (params: Record<string, unknown>, reference = state.reference) =>
      () =>
        runFeatureView({ ...state, params: { ...AUDIO_PARAMS, ...params }, reference });
    expect(run({ n_fft: 200, frame_length: 200, n_frames: 61 })).toThrow('n_fft: must be a power of two');
    expect(run({ off: -20 })).toThrow('off: (-20) must not be above on (-30)');
    expect(run({ median: 4 })).toThrow('median: must be odd');
    expect(run({ hop: 64, n_frames: 122 })).toThrow('reference.features: has 1220 values, the device computed 2440');
    const nan = Float32Array.from(signal);
    nan[7] = NaN;
    expect(() => runFeatureView({ ...state, signal: { x: encodeArray(nan) } })).toThrow('signal value 7 is NaN');
    expect(() => runFeatureView({ ...state, signal: { x: encodeArray(signal.slice(0, 100)) } })).toThrow(
      '100 samples are shorter than one frame (256)'
    );
  });
});

describe('the device half on an IMU stream', () => {
  const stream = imuStream();
  const state = stateWithSelfReference(stream, [500, 3], IMU_PARAMS);

  it("computes each window's statistics per axis and of the magnitude", () => {
    const result = runFeatureView(state);
    expect(result.summary.feature_width).toBe(28);
    expect(result.summary.zero_crossing_mismatches).toBe(0);
    // window 13 covers samples 208..239: float64 statistics of y and of the magnitude
    const y = Array.from({ length: 32 }, (_, i) => stream[(208 + i) * 3 + 1]);
    const magnitude = Array.from({ length: 32 }, (_, i) =>
      Math.hypot(...stream.subarray((208 + i) * 3, (208 + i) * 3 + 3))
    );
    const row = result.device.features.subarray(13 * 28, 14 * 28);
    const mean = y.reduce((a, b) => a + b, 0) / 32;
    const std = Math.sqrt(y.reduce((a, v) => a + (v - mean) ** 2, 0) / 32);
    expect(row[7]).toBeCloseTo(mean, 5);
    expect(row[8]).toBeCloseTo(std, 5);
    expect(row[11]).toBe(Math.fround(Math.max(...y)));
    const rms = Math.sqrt(magnitude.reduce((a, v) => a + v * v, 0) / 32);
    expect(row[21 + 2]).toBeCloseTo(rms, 4);
    expect(result.device.score[13]).toBe(row[23]); // the score is the magnitude's RMS
  });

  it('finds the shaking as one event', () => {
    const { device } = runFeatureView(state);
    expect(device.events).toHaveLength(1);
    const [on, off] = device.events[0];
    expect(on * 16).toBeGreaterThanOrEqual(200 - 32);
    expect((off - 1) * 16 + 32).toBeLessThanOrEqual(320 + 32);
  });

  it('scores frames with a compiled model, run by the C runtime on the device features', () => {
    // A stump on the x axis's std (feature 1): shaking windows are class 1.
    const tree = {
      children_left: encodeArray(Int32Array.from([1, -1, -1])),
      children_right: encodeArray(Int32Array.from([2, -1, -1])),
      feature: encodeArray(Int32Array.from([1, -2, -2])),
      threshold: encodeArray(Float64Array.from([0.5, -2, -2])),
      value: encodeArray(Float64Array.from([0.5, 0.5, 1, 0, 0, 1]), [3, 2])
    };
    const ir = {
      format: 'tinyml-lab-ir',
      version: 1,
      family: 'tree_ensemble',
      estimator: 'sklearn.tree.DecisionTreeClassifier',
      task: 'classification',
      n_features: 28,
      classes: [0, 1],
      trees: [tree]
    };
    const model = { ir, options: { name: 'model' }, input: 'features', width: 2, column: 1, sign: 1, name: 'P(1)' };
    const params = { ...IMU_PARAMS, on: 0.6, off: 0.4, score_name: 'P(1)' };
    const withModel = stateWithSelfReference(stream, [500, 3], params, model);
    const { device, params: p } = runFeatureView(withModel);
    const std = (r: number) => device.features[r * 28 + 1];
    for (let r = 0; r < p.nFrames; r++) {
      expect(device.score[r]).toBe(std(r) <= Math.fround(0.5) ? 0 : 1);
    }
    expect(device.events).toHaveLength(1);
    expect(() => runFeatureView({ ...withModel, model: { ...model, width: 3 } })).toThrow(
      'the kernel expects 3 outputs per frame, the compiled model gives 2'
    );
    expect(() => runFeatureView({ ...withModel, model: { ...model, input: 'mfcc' } })).toThrow(
      'mfcc were not computed'
    );
  });
});

describe('event comparison', () => {
  it('matches identical events, pairs overlapping ones and lists the rest', () => {
    expect(
      compareEvents(
        [
          [1, 5],
          [10, 12]
        ],
        [
          [1, 5],
          [10, 12]
        ]
      )
    ).toEqual([]);
    const d = compareEvents(
      [
        [1, 5],
        [10, 13],
        [20, 22]
      ],
      [
        [1, 5],
        [9, 12],
        [30, 31]
      ]
    );
    expect(d).toEqual([
      { device: [10, 13], reference: [9, 12] },
      { device: [20, 22], reference: null },
      { device: null, reference: [30, 31] }
    ]);
    expect(d.map(describeDifference)).toEqual([
      'moved (onset +1, offset +1 frames)',
      'only on the device',
      'only in the reference'
    ]);
  });

  it("uses the C runtime's median filter and hysteresis", () => {
    const p = parseParams({ ...IMU_PARAMS, n_frames: 15, median: 3, on: 0.6, off: 0.4, min_duration: 3 }, [
      15 * 16 + 16,
      3
    ]);
    const score = Float32Array.from([0, 0, 0.9, 0.9, 0.9, 0.5, 0.9, 0.1, 0, 0.7, 0, 0, 0.8, 0.8, 0]);
    const { filtered, events } = deviceEvents(p, score);
    expect(Array.from(filtered)).toEqual(
      Array.from(Float32Array.from([0, 0, 0.9, 0.9, 0.9, 0.9, 0.5, 0.1, 0.1, 0, 0, 0, 0.8, 0.8, 0]))
    );
    expect(events).toEqual([[2, 7]]); // the last run is 2 frames: too short
  });
});

describe('chart specs', () => {
  it('decimates long signals to an envelope that keeps every extreme', () => {
    const n = 100000;
    const value = (i: number) => (i === 54321 ? 9 : Math.sin(i / 50));
    const e = envelope(n, value);
    expect(e.index.length).toBeLessThanOrEqual(MAX_SIGNAL_POINTS);
    expect(e.value).toContain(9);
    expect(e.index).toEqual([...e.index].sort((a, b) => a - b));
    expect(envelope(10, i => i).index).toHaveLength(10);
  });

  it('draws the signal with event bands, the feature matrix and the score with thresholds', () => {
    const state = stateWithSelfReference(burstAudio(), [SR], AUDIO_PARAMS);
    const result = runFeatureView(state);
    const [signal, matrix, score] = featureViewFigures(result);
    expect([signal.id, matrix.id, score.id]).toEqual(['feature-signal', 'feature-matrix', 'feature-score']);
    const shapes = (f: Figure) => f.layout.shapes as Array<Record<string, number>>;
    // two device bands on top, two reference bands below, in seconds
    expect(shapes(signal)).toHaveLength(4);
    expect(shapes(signal)[0]).toMatchObject({ y0: 0.5, y1: 1, x0: (result.device.events[0][0] * 128) / SR });
    const times = signal.data[0].x as number[];
    expect(times.length).toBeLessThanOrEqual(MAX_SIGNAL_POINTS);
    expect(times[times.length - 1]).toBeGreaterThanOrEqual((SR - 4) / SR); // within the last bucket
    const heatmap = matrix.data[0];
    expect(heatmap.type).toBe('heatmap');
    expect((heatmap.z as number[][]).length).toBe(20); // mel bands as rows
    expect((heatmap.z as number[][])[0].length).toBe(61);
    expect(matrix.data[1]).toMatchObject({ yaxis: 'y2', y: Array(61).fill(0) });
    expect(score.data.map(d => d.name)).toEqual([
      'device mean log-mel (dB)',
      'reference mean log-mel (dB)',
      'device, median of 3',
      'reference, median of 3'
    ]);
    const lines = shapes(score).filter(s => (s as Record<string, unknown>).type === 'line');
    expect(lines.map(l => l.y0)).toEqual([-30, -45]);
  });

  it('standardizes each IMU statistic in the heatmap and hovers its value', () => {
    const result = runFeatureView(stateWithSelfReference(imuStream(), [500, 3], IMU_PARAMS));
    const heatmap = featureViewFigures(result)[1].data[0];
    expect(heatmap.y as string[]).toHaveLength(28);
    const z = heatmap.z as number[][];
    const mean = z[2].reduce((a, b) => a + b, 0) / z[2].length;
    expect(Math.abs(mean)).toBeLessThan(1e-9);
    expect((heatmap.customdata as number[][])[2][0]).toBe(result.device.features[2]);
    expect(featureViewFigures(result)[0].data.map(d => d.name)).toEqual(['x', 'y', 'z']);
  });
});

describe('FeatureViewPanel', () => {
  afterEach(() => document.body.replaceChildren());

  function makePanel() {
    const figures: Figure[] = [];
    const reports: Array<Record<string, unknown>> = [];
    const panel = new FeatureViewPanel({
      plot: (_box, figure) => void figures.push(figure),
      reportDevice: d => void reports.push(d)
    });
    document.body.appendChild(panel.node);
    return { panel, figures, reports };
  }

  it('shows the summary and charts and reports the device results for the kernel', async () => {
    const { panel, figures, reports } = makePanel();
    const state = stateWithSelfReference(burstAudio(), [SR], AUDIO_PARAMS);
    const events = [...(state.reference.events as Event[]), [55, 57]];
    await panel.render({ ...state, reference: { ...state.reference, events } });
    expect(figures.map(f => f.id)).toEqual(['feature-signal', 'feature-matrix', 'feature-score']);
    expect(panel.node.querySelector('.tml-stat-events .tml-stat-value')?.textContent).toBe('2 / 3');
    expect(panel.node.querySelector('.tml-feature-params')?.textContent).toContain(
      'n_fft 256 (hann), hop 128, 20 mel bands, 8 MFCCs'
    );
    const rows = panel.node.querySelectorAll('tr.tml-feature-event');
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toContain('only in the reference');
    const device = reports[0];
    expect(device.events).toEqual(state.reference.events);
    expect(decodeArray(device.features, 'float32', 'features').shape).toEqual([61, 20]);
    expect(decodeArray(device.mfcc, 'float32', 'mfcc').shape).toEqual([61, 8]);
    expect(device.summary).toMatchObject({ reference_events: 3, device_events: 2 });
  });

  it('shows an error that names the problem, and reports nothing', async () => {
    const { panel, reports } = makePanel();
    const state = stateWithSelfReference(burstAudio(), [SR], AUDIO_PARAMS);
    expect(await panel.render({ ...state, params: { ...AUDIO_PARAMS, kind: 'video' } })).toBeNull();
    expect(panel.node.querySelector('.tml-error')?.textContent).toContain(
      'kind: expected "audio" or "imu", got "video"'
    );
    expect(reports).toHaveLength(0);
  });
});
