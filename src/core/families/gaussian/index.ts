/**
 * Gaussian models (family "gaussian"): GaussianNB, GaussianMixture, BayesianGaussianMixture
 * and EllipticEnvelope as components scored through their precision's Cholesky factor, in
 * float32 (c-runtime/include/tinyml/gauss.h); a pipeline's scalers or PCA may come first.
 */
import type { DeviceRun, Family, Lowered } from '../family';
import { FLOAT32_VS_FLOAT64 } from '../family';
import { NetTables } from '../nets/lower';
import { floatOnlyOptions, refuseQuantization } from '../float32Only';
import { lowerPreprocess, modelInput, preprocessDescriptorsInRamBytes } from '../preprocess';
import { emitGaussianHeader } from './emit';
import { runGaussian } from './run';
import { estimateGaussianSize, gaussianCodeFactor, gaussianLibraries, gaussianOperations } from './estimate';
import {
  GaussianIR,
  GaussianStructure,
  GaussianTables,
  buildGaussianTables,
  describeGaussian,
  parseGaussianIR
} from './ir';

export type LoweredGaussian = Lowered<GaussianIR, GaussianTables> & {
  /** A pipeline's preprocessing as a float32 net, or null. */
  pre: NetTables | null;
};

/**
 * The runtime's methods give what scikit-learn's do: an envelope's score_samples and its
 * classes (0 = outlier, 1 = inlier); a classifier's probabilities, classes and log-likelihoods.
 */
function run(model: LoweredGaussian, x: Float32Array, nRows: number): DeviceRun {
  const anomaly = model.ir.task === 'anomaly';
  const out = runGaussian(model.tables, modelInput(model.pre, x, nRows), nRows, anomaly ? model.ir.offset : null);
  const run = { nRows, routingChanges: [], classes: out.classes, values: out.values };
  return anomaly ? run : { ...run, scores: out.scores };
}

export const gaussian: Family<GaussianIR, LoweredGaussian, GaussianStructure> = {
  id: 'gaussian',
  pipeline: 'preprocess-net',
  parse: parseGaussianIR,
  exportOptions: floatOnlyOptions,
  optionLabel: ({ featureType }) => featureType,
  lower: (ir, options) => {
    refuseQuantization(ir.estimator, options);
    return { family: 'gaussian', ir, options, tables: buildGaussianTables(ir), pre: lowerPreprocess(ir) };
  },
  describe: model => describeGaussian(model.tables),
  emit: (model, _strategy, frame) => emitGaussianHeader(model.ir, model.tables, model.pre, frame),
  tablesSummary: model => ({ n_components: model.tables.nComponents, covariance: model.tables.covariance }),
  size: model => estimateGaussianSize(model.tables, model.ir.classes.map(String), model.ir.task, model.pre),
  descriptorsInRamBytes: model => preprocessDescriptorsInRamBytes(model.pre),
  codeFactor: (_model, _strategy, profile) => gaussianCodeFactor(profile),
  libraries: model => gaussianLibraries(model.pre),
  operations: model => gaussianOperations(model.tables, model.pre),
  acceptsNaN: () => false,
  valueCount: model => (model.ir.task === 'anomaly' ? 1 : model.ir.nComponents),
  run,
  referencePolicy: model =>
    model.ir.task === 'anomaly'
      ? {
          rel: 2e-5,
          abs: 1e-6,
          checked: true,
          why: `${FLOAT32_VS_FLOAT64}: scores within 2e-5 of the largest; labels exact`
        }
      : {
          rel: 1e-5,
          abs: 1e-4,
          checked: true,
          why: `${FLOAT32_VS_FLOAT64} through exp of log-likelihoods: probabilities within 1e-4; labels exact`
        },
  classifierValues: () => 'predict_proba'
};
