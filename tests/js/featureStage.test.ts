/** Feature stages: IR checks, the log-mel stage's tables and its header text. */
import { IRError, featureRuntime } from '../../src/core';
import { compileModel } from '../../src/core/compile';
import { evaluateTradeoffs, optionLabel } from '../../src/core/tradeoff';
import { cloneIR } from './fixtures';
import {
  featureStageC,
  parseFeatureStage,
  runFeatureStage,
  stageInputs,
  stageWidth,
  withStageSize
} from '../../src/core/features/stage';

const LOG_MEL = {
  kind: 'log_mel',
  samples: 1024,
  n_fft: 256,
  hop: 128,
  sample_rate: 8000,
  n_mels: 20,
  fmin: 0,
  fmax: 4000,
  amin: 1e-10,
  n_mfcc: null
};

describe('log-mel feature stage', () => {
  const stage = parseFeatureStage(LOG_MEL);

  it('takes raw clips and gives frames x mel bands', () => {
    expect(stageInputs(stage)).toBe(1024);
    expect(stageWidth(stage)).toBe(7 * 20); // 1 + (1024 - 256) / 128 frames
    expect(stageWidth(parseFeatureStage({ ...LOG_MEL, n_mfcc: 13 }))).toBe(7 * 13);
  });

  it('computes what the table-free extractors compute, bit for bit', () => {
    const clip = new Float32Array(1024).map((_, i) => Math.sin(0.3 * i) + 0.1 * Math.sin(2.1 * i * i));
    const staged = runFeatureStage(stage, clip, 1);
    const f = featureRuntime();
    const frames = new Float32Array(7 * 256);
    for (let r = 0; r < 7; r++) {
      frames.set(clip.subarray(r * 128, r * 128 + 256), r * 256);
    }
    const power = f.powerSpectrum(frames, 7, 256, 'hann');
    expect(Array.from(staged)).toEqual(Array.from(f.logMel(power, 7, 256, 8000, 20, 0, 4000, 1e-10)));
  });

  it('emits the sparse tables and both entry points', () => {
    const c = featureStageC(stage, 'kw');
    expect(c).toContain('static inline int kw_features(const float *clip, float *features)');
    expect(c).toContain('static inline int kw_frame_features(const float *frame, float *out)');
    expect(c).toContain('static const float kw_twiddles[256]');
    const stored = Number(/kw_mel_weights\[(\d+)\]/.exec(c)?.[1]);
    expect(stored).toBeGreaterThan(20);
    expect(stored).toBeLessThan((20 * 129) / 4);
    expect(c).not.toContain('kw_dct');
  });

  it('adds its tables, code and buffers to the size estimate', () => {
    const base = {
      target: 'cortex-m4f',
      flashBytes: 1000,
      ramBytes: 100,
      flash: [{ name: 'model', bytes: 1000 }],
      ram: [{ name: 'stack', bytes: 100 }]
    };
    const size = withStageSize(base, stage);
    expect(size.flashBytes).toBe(size.flash.reduce((s, i) => s + i.bytes, 0));
    expect(size.ramBytes).toBe(size.ram.reduce((s, i) => s + i.bytes, 0));
    expect(size.ramBytes).toBeGreaterThanOrEqual(4 * (2 * 256 + 129 + 20) + 4 * 140);
  });

  it.each([
    [{ n_fft: 250 }, 'feature_stage.n_fft'],
    [{ samples: 100 }, 'feature_stage.samples'],
    [{ fmax: 0 }, 'feature_stage.fmax'],
    [{ fmin: 5000 }, 'feature_stage.fmax'],
    [{ amin: 0 }, 'feature_stage.amin'],
    [{ n_mfcc: 21 }, 'feature_stage.n_mfcc'],
    [{ kind: 'spectrogram' }, 'feature_stage.kind']
  ])('refuses %j naming %s', (change, path) => {
    expect(() => parseFeatureStage({ ...LOG_MEL, ...change })).toThrow(IRError);
    expect(() => parseFeatureStage({ ...LOG_MEL, ...change })).toThrow(path);
  });
});

describe('a model behind a feature stage', () => {
  it('has the same flash and RAM in its trade-off row as in its compiled size (summary cards)', () => {
    // iris's forest takes 4 features: one frame of 4 mel bands
    const ir = { ...cloneIR('iris_forest'), feature_stage: { ...LOG_MEL, samples: 256, n_mels: 4 } };
    const model = compileModel(ir, { name: 'kw' });
    const clips = new Float32Array(3 * 256).map((_, i) => Math.sin(0.05 * i));
    const points = evaluateTradeoffs(model, clips, 3, {});
    const own = points.find(p => p.label === optionLabel(model, 'float32', model.strategy, 'float32'));
    expect(own?.flashBytes).toBe(model.size.flashBytes);
    expect(own?.ramBytes).toBe(model.size.ramBytes);
  });
});
