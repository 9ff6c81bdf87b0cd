/**
 * Gaussian models (family "gaussian"): GaussianNB, GaussianMixture, BayesianGaussianMixture
 * and EllipticEnvelope, as tinyml_lab/gaussian.py writes them. Each is K components scored
 * as log_norm[k] - 0.5 * Mahalanobis^2 through the component's precision Cholesky factor,
 * in its compact form (c-runtime/include/tinyml/gauss.h): full [K][D][D], tied [D][D], diag
 * [K][D], spherical [K]. The IR is parsed here and lowered to float32 tables.
 */
import type { EncodedArray } from '../../ir/encoding';
import { decodeFloatsAt, fail, finiteNumber } from '../../ir/read';
import type { BaseIR, CommonFields } from '../../ir/types';
import type { PreprocessedIR } from '../preprocess';
import { shown } from '../../ir/show';

export type Covariance = 'full' | 'tied' | 'diag' | 'spherical';
const COVARIANCES: Covariance[] = ['full', 'tied', 'diag', 'spherical'];

export interface GaussianIR extends BaseIR, PreprocessedIR {
  family: 'gaussian';
  /** classification: predict = the most likely component or class; anomaly: EllipticEnvelope. */
  task: 'classification' | 'anomaly';
  covariance: Covariance;
  nComponents: number;
  /** [K * D] */
  means: Float64Array;
  precChol: Float64Array;
  /** [K]: log weight (or prior) - D/2 log 2pi + log det of the factor, and any constant. */
  logNorm: Float64Array;
  /** score_samples: the log-likelihood (log-sum-exp over components) or -Mahalanobis^2. */
  score: 'log_likelihood' | 'mahalanobis';
  /** anomaly: decision_function = score_samples - offset. */
  offset: number;
}

export interface GaussianTables {
  nComponents: number;
  nFeatures: number;
  covariance: Covariance;
  means: Float32Array;
  precChol: Float32Array;
  logNorm: Float32Array;
}

function float64(value: unknown, path: string, shape: number[]): Float64Array {
  const decoded = decodeFloatsAt(value, path);
  if (decoded.shape.length !== shape.length || decoded.shape.some((n, i) => n !== shape[i])) {
    fail(path, `expected shape ${JSON.stringify(shape)}, got ${shown(decoded.shape)}`);
  }
  const data = Float64Array.from(decoded.array);
  const bad = data.findIndex(v => !Number.isFinite(v) || Math.abs(v) > 3.4e38);
  if (bad >= 0) {
    fail(path, `value ${bad} is ${data[bad]}: NaN, infinite or outside float32`);
  }
  return data;
}

/** Checks the family's own keys (parseModelIR checked the common ones). */
export function parseGaussianIR(obj: Record<string, unknown>, common: CommonFields): GaussianIR {
  const task = obj.task;
  if (task !== 'classification' && task !== 'anomaly') {
    fail('task', `a Gaussian model is a classifier (or mixture) or an anomaly detector, got ${shown(task)}`);
  }
  const covariance = obj.covariance as Covariance;
  if (!COVARIANCES.includes(covariance)) {
    fail('covariance', `expected one of ${COVARIANCES.join(', ')}, got ${shown(obj.covariance)}`);
  }
  const shape = (obj.means as Partial<EncodedArray> | null)?.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || shape[1] !== common.nFeatures || !(shape[0] >= 1)) {
    fail('means', `expected shape [n_components, ${common.nFeatures}], got ${shown(shape)}`);
  }
  const [k, d] = shape as number[];
  const precShape = { full: [k, d, d], tied: [d, d], diag: [k, d], spherical: [k] }[covariance];
  const score = obj.score;
  if (score !== 'log_likelihood' && score !== 'mahalanobis') {
    fail('score', `expected "log_likelihood" or "mahalanobis", got ${shown(score)}`);
  }
  if (task === 'classification' && common.classes.length !== k) {
    fail('classes', `${k} components need ${k} classes, got ${common.classes.length}`);
  }
  // the task decides what the runtime computes: an anomaly detector scores -Mahalanobis^2
  if (score !== (task === 'anomaly' ? 'mahalanobis' : 'log_likelihood')) {
    fail(
      'score',
      task === 'anomaly'
        ? `an anomaly detector (EllipticEnvelope) scores by "mahalanobis", got ${shown(score)}`
        : `a classifier or mixture scores by "log_likelihood", got ${shown(score)}`
    );
  }
  if (score === 'mahalanobis' && k !== 1) {
    fail('score', 'a Mahalanobis score needs exactly one component');
  }
  const offset = finiteNumber(obj.offset ?? 0, 'offset', () => true, "a finite number within float32's range");
  return {
    format: 'tinyml-lab-ir',
    version: common.version,
    family: 'gaussian',
    estimator: common.estimator,
    task,
    nFeatures: common.nFeatures,
    modelFeatures: common.nFeatures,
    preprocess: null,
    classes: task === 'anomaly' ? [-1, 1] : common.classes,
    featureNames: common.featureNames,
    covariance,
    nComponents: k,
    means: float64(obj.means, 'means', [k, d]),
    precChol: float64(obj.prec_chol, 'prec_chol', precShape),
    logNorm: float64(obj.log_norm, 'log_norm', [k]),
    score,
    offset
  };
}

export function buildGaussianTables(ir: GaussianIR): GaussianTables {
  return {
    nComponents: ir.nComponents,
    nFeatures: ir.modelFeatures,
    covariance: ir.covariance,
    means: Float32Array.from(ir.means),
    precChol: Float32Array.from(ir.precChol),
    logNorm: Float32Array.from(ir.logNorm)
  };
}

/** What the widget shows of a Gaussian model's structure. */
export interface GaussianStructure {
  nComponents: number;
  covariance: Covariance;
  /** Numbers stored per component: mean and its share of the precision factor. */
  parametersPerComponent: number;
  /** Each component's log_norm: its weight (or prior) and spread in one number. */
  logNorm: number[];
}

export function describeGaussian(tables: GaussianTables): GaussianStructure {
  const d = tables.nFeatures;
  const perComponentPrecision = {
    full: (d * (d + 1)) / 2,
    tied: (d * (d + 1)) / 2 / tables.nComponents,
    diag: d,
    spherical: 1
  };
  return {
    nComponents: tables.nComponents,
    covariance: tables.covariance,
    parametersPerComponent: d + perComponentPrecision[tables.covariance],
    logNorm: Array.from(tables.logNorm)
  };
}
