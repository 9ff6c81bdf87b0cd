/**
 * What the IR mutation fuzzer (tests/fuzz/ir_fuzz.py) found, each kept as a test: a golden
 * case (tests/fixtures/golden/cases.json) with the one mutation that showed the problem,
 * through the headless API as Python calls it. Every refusal is of kind "ir", "InputError" or
 * "OptionError" with one clear line that says what is wrong.
 */
import { headless } from '../../src/core';
import { cArray } from '../../src/core/emit/frame';
import { GOLDEN_CASES as CASES, GoldenCase } from './fixtures';

/** A deep copy of a golden case, for a test to mutate. */
function golden(name: string): GoldenCase {
  const found = CASES.find(c => c.name === name);
  if (!found) {
    throw new Error(`no golden case ${name}`);
  }
  return JSON.parse(JSON.stringify(found));
}

type Call = 'compile' | 'run' | 'estimate' | 'bundle' | 'exportOptions';

/** Sets element i of an encoded array of the IR (float32 or float64) to v. */
function setElement(array: { dtype: string; data: string }, i: number, v: number): void {
  const bytes = Buffer.from(array.data, 'base64');
  if (array.dtype === 'float32') {
    bytes.writeFloatLE(v, 4 * i);
  } else {
    bytes.writeDoubleLE(v, 8 * i);
  }
  array.data = bytes.toString('base64');
}

/** A headless call on a case, its JSON answer parsed. */
function call(fn: Call, c: GoldenCase): Record<string, any> {
  const ir = JSON.stringify(c.ir);
  const options = JSON.stringify(c.options);
  const input = JSON.stringify({ x: c.x });
  const raw =
    fn === 'exportOptions'
      ? headless.exportOptions(ir)
      : fn === 'estimate'
        ? headless.estimate(ir, options, '{}')
        : fn === 'compile'
          ? headless.compile(ir, options)
          : headless[fn](ir, options, input);
  return JSON.parse(raw);
}

/** The refusal of a call: its kind and message, checked to be one clear line. */
function refusal(fn: Call, c: GoldenCase): { kind: string; error: string } {
  const answer = call(fn, c);
  expect(answer.ok).toBe(false);
  expect(answer.error).not.toMatch(/\bundefined\b|\n|TypeError|RangeError|Cannot read/);
  expect(answer.error.length).toBeLessThan(400);
  return { kind: answer.kind, error: answer.error };
}

describe('IR fuzzer findings', () => {
  it('names a missing key as missing, not as "undefined"', () => {
    const c = golden('svr_diabetes');
    delete c.ir.gamma;
    expect(refusal('compile', c)).toEqual({
      kind: 'ir',
      error:
        "malformed model IR at gamma: expected a positive number within float32's range, got nothing (the key is missing)"
    });
    const net = golden('keras_conv1d_int8');
    delete net.ir.layers[1].padding;
    expect(refusal('run', net).error).toBe(
      'malformed model IR at layers[1].padding: expected "valid" or "same", got nothing (the key is missing)'
    );
    const forest = golden('etr_diabetes');
    delete forest.ir.trees[0].threshold.dtype;
    expect(refusal('exportOptions', forest).error).toBe(
      'malformed model IR at trees[0].threshold: expected dtype float64, got nothing (the key is missing)'
    );
  });

  it('quotes a long value cut short', () => {
    const c = golden('envelope_wine');
    c.ir.covariance = 'x'.repeat(5000);
    expect(refusal('compile', c).error).toBe(
      `malformed model IR at covariance: expected one of full, tied, diag, spherical, got "${'x'.repeat(76)}"...`
    );
    const trees = golden('gb_cancer_binary');
    trees.ir.version = trees.ir.trees;
    expect(refusal('estimate', trees).error).toMatch(/^malformed model IR at version: expected an integer .*\.\.\.$/);
  });

  it('refuses a badly encoded input array (rows, calibration) as an input problem', () => {
    const c = golden('dt_iris_tables');
    c.x.dtype = 'float64';
    expect(refusal('run', c)).toEqual({ kind: 'InputError', error: 'x: expected dtype float32, got float64' });
    c.x.dtype = 'float32';
    c.x.data = c.x.data.slice(0, -4);
    expect(refusal('bundle', c)).toEqual({
      kind: 'InputError',
      error: 'x: shape [24,4] needs 384 bytes, data has 381'
    });
    const net = golden('mlp_digits_int8');
    net.options.calibration.data = 'AA!A' + net.options.calibration.data.slice(4);
    expect(refusal('compile', net)).toEqual({
      kind: 'InputError',
      error: 'calibration: base64 data has an invalid character at offset 2'
    });
  });

  it('refuses an export option the model does not offer as an OptionError that says what to choose', () => {
    const regressor = golden('rfr_diabetes_leaf_int16');
    regressor.options.leafType = 'uint8';
    expect(refusal('compile', regressor)).toEqual({
      kind: 'OptionError',
      error:
        'uint8 leaves store class probabilities: only forest classifiers (trees averaging probabilities) can use ' +
        'them; export with float32 leaves'
    });
    const svc = golden('svc_rbf_iris');
    svc.options.featureType = 'int16';
    expect(refusal('estimate', svc)).toEqual({
      kind: 'OptionError',
      error:
        'SVC is exported in float32 only (features, values and code form): leave featureType and leafType at ' +
        'float32 and strategy at tables or auto'
    });
    const net = golden('mlp_digits');
    net.options.leafType = 'int16';
    expect(refusal('run', net)).toEqual({
      kind: 'OptionError',
      error: 'leaf types apply to tree models only: leave leafType at float32'
    });
  });

  it('refuses an int8 network whose ranges int8 cannot requantize, saying to export it as float32', () => {
    const c = golden('keras_conv1d_int8');
    setElement(c.ir.layers[0].bias, 0, 1e30);
    const { kind, error } = refusal('compile', c);
    expect(kind).toBe('OptionError');
    expect(error).toMatch(
      /^dense 6: requantization factor .* is too large for int8 .*; export the network as float32$/
    );
  });

  it("refuses a network whose layers do not fit each other at the IR's path, not with a plain Error", () => {
    const c = golden('keras_conv1d');
    c.ir.n_outputs = 2;
    c.ir.classes = [0, 1];
    expect(refusal('compile', c)).toEqual({
      kind: 'ir',
      error: 'malformed model IR at n_outputs: the last layer gives 3 outputs, n_outputs says 2'
    });
    const pooled = golden('keras_conv1d');
    pooled.ir.layers[1].pool_size = [2000];
    expect(refusal('run', pooled)).toEqual({
      kind: 'ir',
      error: 'malformed model IR at layers[1].pool_size: a window of 2000 is larger than its input of 28'
    });
    const early = golden('mlp_digits');
    early.ir.layers[0].activation = 'softmax';
    expect(refusal('estimate', early)).toEqual({
      kind: 'ir',
      error: 'malformed model IR at layers[0]: dense 0: softmax is supported as the last layer only'
    });
    const scaler = golden('linearsvc_wine');
    scaler.ir.layers[1] = scaler.ir.layers[0];
    expect(refusal('bundle', scaler)).toEqual({
      kind: 'ir',
      error: 'malformed model IR at n_outputs: the last layer gives 13 outputs, n_outputs says 3'
    });
  });

  it('refuses a batch norm that folds into weights beyond float32 at its layer', () => {
    const c = golden('keras_conv1d');
    const norm = c.ir.layers[3];
    setElement(norm.variance, 2, 0);
    norm.epsilon = 0;
    const { kind, error } = refusal('compile', c);
    expect(kind).toBe('ir');
    expect(error).toMatch(
      /^malformed model IR at layers\[2\]: conv1d 2 \+ batch_norm 3 \+ relu: weight \d+ comes to -?Infinity/
    );
  });

  it('refuses numbers that leave float32 (or round to 0 in it) at their IR path', () => {
    const svm = golden('svc_rbf_iris');
    svm.ir.coef0 = 1e308;
    expect(refusal('compile', svm)).toEqual({
      kind: 'ir',
      error: "malformed model IR at coef0: expected a finite number within float32's range, got 1e+308"
    });
    const forest = golden('iso_wine');
    forest.ir.link_param = 1e-320;
    expect(refusal('bundle', forest)).toEqual({
      kind: 'ir',
      error: "malformed model IR at link_param: expected a positive number within float32's range, got 1e-320"
    });
    const knn = golden('knn_wine_minkowski');
    knn.ir.p = 1e-320;
    expect(refusal('run', knn).error).toBe(
      "malformed model IR at p: expected a positive number within float32's range, got 1e-320"
    );
    const envelope = golden('envelope_wine');
    envelope.ir.offset = -1e300;
    expect(refusal('estimate', envelope).error).toBe(
      "malformed model IR at offset: expected a finite number within float32's range, got -1e+300"
    );
    const stage = golden('mfcc_mlp');
    stage.ir.feature_stage.fmax = 1e308;
    expect(refusal('compile', stage).error).toBe(
      "malformed model IR at feature_stage.fmax: expected a positive number within float32's range, got 1e+308"
    );
  });

  it('refuses mel bands too narrow for float32 at the feature stage, not as a C runtime error', () => {
    const c = golden('logmel_forest');
    c.ir.feature_stage.fmin = 1000;
    c.ir.feature_stage.fmax = 1000.0005;
    expect(refusal('compile', c)).toEqual({
      kind: 'ir',
      error:
        'malformed model IR at feature_stage: 16 mel bands from fmin 1000 to fmax 1000.0005 Hz are too narrow ' +
        'for float32 (two band edges coincide): widen fmin..fmax or use fewer n_mels'
    });
  });

  it('refuses mel bands that all fall between FFT bins (every filter empty), not with a header that does not compile', () => {
    const c = golden('logmel_forest');
    c.ir.feature_stage.fmax = 2;
    // and no table is ever emitted as a zero-size array, which C99 refuses
    expect(cArray('float', 'm_weights', [], String)).toBe(
      'static const float m_weights[1] TML_CONST_TABLE = {0}; /* no values */\n'
    );
    expect(refusal('compile', c)).toEqual({
      kind: 'ir',
      error:
        "malformed model IR at feature_stage: 16 mel bands from fmin 0 to fmax 2 Hz all fall between the FFT's bins " +
        '(31.25 Hz apart at n_fft 256): every filter is empty; widen fmin..fmax or raise n_fft'
    });
  });

  it('refuses a Gaussian anomaly detector that does not score by Mahalanobis distance', () => {
    const c = golden('gmm_wine_spherical');
    c.ir.task = 'anomaly';
    expect(refusal('bundle', c)).toEqual({
      kind: 'ir',
      error:
        'malformed model IR at score: an anomaly detector (EllipticEnvelope) scores by "mahalanobis", ' +
        'got "log_likelihood"'
    });
  });

  it('refuses a bundle whose model overflows on a row, naming the row, rather than failing to emit it', () => {
    const c = golden('ridge_diabetes_pca');
    setElement(c.ir.layers[0].offset, 2, 3e38);
    expect(call('compile', c).ok).toBe(true);
    expect(refusal('bundle', c)).toEqual({
      kind: 'InputError',
      error:
        'row 0 of X gives a non-finite output on the device (value 0 is Infinity), which a test vector cannot ' +
        'hold: leave that row out'
    });
  });

  it('refuses an int8 network whose float32 outputs overflow on the calibration rows, saying why', () => {
    const c = golden('mlp_digits_int8');
    setElement(c.ir.layers[0].weights, 680, 1e38);
    const expected = {
      kind: 'OptionError',
      error:
        'dense 0: its outputs on the calibration rows reach 0 .. Infinity, beyond float32, so int8 has no range ' +
        'to quantize them to; check the weights, or export as float32'
    };
    expect(refusal('run', c)).toEqual(expected);
    expect(refusal('compile', c)).toEqual(expected);
  });
});
