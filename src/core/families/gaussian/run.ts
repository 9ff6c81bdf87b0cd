/** A Gaussian model on the C runtime's WebAssembly build: tml_wasm_gauss_run through the model methods. */
import { runtimeCode } from '../../runtime/codes';
import { WasmRuntime, packDescriptor } from '../../runtime/wasmRuntime';
import { GaussianTables } from './ir';

export interface GaussianOutput {
  /** predict_proba [nRows * K], or an elliptic envelope's score_samples [nRows]. */
  values: Float32Array;
  /** score_samples (the log-likelihood) of a log-likelihood model; empty for an envelope. */
  scores: Float32Array;
  /** predict's class index (an envelope's 0 = outlier, 1 = inlier). */
  classes: Int32Array;
}

/**
 * Runs a Gaussian model on nRows rows of x (row-major float32): a log-likelihood model, or
 * with envelopeOffset an elliptic envelope (outliers where score_samples < offset).
 */
export function runGaussian(
  tables: GaussianTables,
  x: Float32Array,
  nRows: number,
  envelopeOffset: number | null = null
): GaussianOutput {
  const runtime = WasmRuntime.load();
  if (x.length !== nRows * tables.nFeatures) {
    throw new Error(`expected ${nRows} x ${tables.nFeatures} features, got ${x.length} values`);
  }
  const arena = runtime.arena();
  const envelope = envelopeOffset !== null;
  const descriptor = packDescriptor(
    arena,
    'gauss',
    {
      n_components: tables.nComponents,
      n_features: tables.nFeatures,
      covariance: runtimeCode('covariance', tables.covariance),
      means: tables.means,
      prec_chol: tables.precChol,
      log_norm: tables.logNorm,
      kind: runtimeCode('gauss', envelope ? 'envelope' : 'likelihood'),
      offset: envelopeOffset ?? 0
    },
    { keep: true }
  );
  const k = tables.nComponents;
  const width = envelope ? 1 : k;
  const descAt = arena.write(descriptor);
  const xAt = arena.write(x);
  const scratchAt = arena.reserve(4 * k);
  const valuesAt = arena.reserve(4 * nRows * width);
  const scoresAt = envelope ? 0 : arena.reserve(4 * nRows);
  const classesAt = arena.reserve(4 * nRows);
  const status = runtime.exports.tml_wasm_gauss_run(descAt, xAt, nRows, scratchAt, valuesAt, scoresAt, classesAt);
  runtime.check(status, 'the Gaussian model');
  return {
    values: runtime.floats(valuesAt, nRows * width),
    scores: envelope ? new Float32Array(0) : runtime.floats(scoresAt, nRows),
    classes: runtime.ints(classesAt, nRows)
  };
}
