/**
 * Support vector machines (family "svm": SVC, NuSVC, SVR, NuSVR, OneClassSVM) and nearest
 * neighbours (family "neighbors": KNeighborsClassifier/Regressor), as tinyml_lab/kernels.py
 * writes them: the IR parsed and checked here, lowered to the float32 tables of
 * c-runtime/include/tinyml/svm.h and knn.h.
 */
import { decodeArray } from './encoding';
import { ClassLabel, IRError, decodeFloatsAt } from './ir';
import { NeuralNetIR } from './netIR';
import type { FeatureStage } from './featureStage';

export type Kernel = 'linear' | 'rbf' | 'poly' | 'sigmoid';
export type Metric = 'euclidean' | 'manhattan' | 'chebyshev' | 'minkowski';
const KERNELS: Kernel[] = ['linear', 'rbf', 'poly', 'sigmoid'];
const METRICS: Metric[] = ['euclidean', 'manhattan', 'chebyshev', 'minkowski'];

interface Common {
  /** tinyml_lab.features transformer exported in front of the model (raw windows in), or none. */
  featureStage?: FeatureStage | null;
  format: 'tinyml-lab-ir';
  version: number;
  estimator: string;
  nFeatures: number;
  /** Features the model itself compares: nFeatures, or the width after `preprocess`. */
  modelFeatures: number;
  /** A pipeline's scalers / PCA in front of the model, or null. */
  preprocess: NeuralNetIR | null;
  classes: ClassLabel[];
  featureNames: string[];
}

export interface SvmIR extends Common {
  family: 'svm';
  task: 'classification' | 'regression' | 'anomaly';
  kernel: Kernel;
  gamma: number;
  coef0: number;
  degree: number;
  nSupport: number;
  /** [nSupport * D] */
  supportVectors: Float32Array;
  /** Support vectors per class (classification), in class order. */
  supportPerClass: number[];
  /** [rows * nSupport] */
  dualCoef: Float32Array;
  intercept: Float32Array;
  /** decision_function's shape: "ovr" (scikit-learn's default) or the raw "ovo" pairs. */
  decisionShape: 'ovr' | 'ovo';
  /** OneClassSVM: score_samples = decision_function + offset. */
  offset: number;
}

export interface NeighborsIR extends Common {
  family: 'neighbors';
  task: 'classification' | 'regression';
  nSamples: number;
  k: number;
  metric: Metric;
  p: number;
  weights: 'uniform' | 'distance';
  /** [nSamples * D] */
  samples: Float32Array;
  /** classification: class index per sample */
  labels: Int32Array | null;
  /** regression: [nSamples * nOutputs] */
  targets: Float32Array | null;
  nOutputs: number;
}

function fail(path: string, message: string): never {
  throw new IRError(path, message);
}

function floats(value: unknown, path: string, rank: number): { data: Float32Array; shape: number[] } {
  const decoded = decodeFloatsAt(value, path);
  if (decoded.shape.length !== rank) {
    fail(path, `expected ${rank} dimension(s), got shape ${JSON.stringify(decoded.shape)}`);
  }
  const bad = decoded.array.findIndex(v => !Number.isFinite(v) || Math.abs(v) > 3.4e38);
  if (bad >= 0) {
    fail(path, `value ${bad} is ${decoded.array[bad]}: NaN, infinite or outside float32`);
  }
  return { data: Float32Array.from(decoded.array), shape: decoded.shape };
}

function finite(value: unknown, path: string, check: (v: number) => boolean, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    fail(path, `expected ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

type CommonIn = Omit<Common, 'format' | 'modelFeatures' | 'preprocess'>;

export function parseSvmIR(obj: Record<string, unknown>, common: CommonIn): SvmIR {
  const task = obj.task as SvmIR['task'];
  const kernel = obj.kernel as Kernel;
  if (!KERNELS.includes(kernel)) {
    fail('kernel', `expected one of ${KERNELS.join(', ')}, got ${JSON.stringify(obj.kernel)}`);
  }
  const sv = floats(obj.support_vectors, 'support_vectors', 2);
  if (sv.shape[1] !== common.nFeatures || sv.shape[0] < 1) {
    fail('support_vectors', `expected shape [n_support, ${common.nFeatures}], got ${JSON.stringify(sv.shape)}`);
  }
  const nSupport = sv.shape[0];
  const nClasses = task === 'classification' ? common.classes.length : 1;
  const dual = floats(obj.dual_coef, 'dual_coef', 2);
  if (dual.shape[0] !== Math.max(nClasses - 1, 1) || dual.shape[1] !== nSupport) {
    fail('dual_coef', `expected shape [${Math.max(nClasses - 1, 1)}, ${nSupport}], got ${JSON.stringify(dual.shape)}`);
  }
  const intercept = floats(obj.intercept, 'intercept', 1).data;
  const nDecisions = nClasses >= 3 ? (nClasses * (nClasses - 1)) / 2 : 1;
  if (intercept.length !== nDecisions) {
    fail('intercept', `expected ${nDecisions} value(s), got ${intercept.length}`);
  }
  let supportPerClass: number[] = [];
  if (task === 'classification') {
    const counts = obj.n_support;
    if (!Array.isArray(counts) || counts.length !== nClasses || counts.some(n => !Number.isInteger(n) || n < 1) ||
        counts.reduce((a: number, b: number) => a + b, 0) !== nSupport) {
      fail('n_support', `expected ${nClasses} positive counts adding up to ${nSupport}`);
    }
    supportPerClass = counts as number[];
  }
  return {
    format: 'tinyml-lab-ir',
    ...common,
    modelFeatures: common.nFeatures,
    preprocess: null,
    family: 'svm',
    task,
    kernel,
    gamma: finite(obj.gamma, 'gamma', v => v > 0, 'a positive number'),
    coef0: finite(obj.coef0 ?? 0, 'coef0', () => true, 'a finite number'),
    degree: finite(obj.degree ?? 3, 'degree', v => Number.isInteger(v) && v >= 1 && v <= 32, 'an integer in [1, 32]'),
    nSupport,
    supportVectors: sv.data,
    supportPerClass,
    dualCoef: dual.data,
    intercept,
    decisionShape: obj.decision_shape === 'ovo' ? 'ovo' : 'ovr',
    offset: finite(obj.offset ?? 0, 'offset', () => true, 'a finite number')
  };
}

export function parseNeighborsIR(obj: Record<string, unknown>, common: CommonIn): NeighborsIR {
  const task = obj.task as NeighborsIR['task'];
  if (task !== 'classification' && task !== 'regression') {
    fail('task', `nearest neighbours classify or regress, got ${JSON.stringify(obj.task)}`);
  }
  const samples = floats(obj.samples, 'samples', 2);
  if (samples.shape[1] !== common.nFeatures || samples.shape[0] < 1) {
    fail('samples', `expected shape [n_samples, ${common.nFeatures}], got ${JSON.stringify(samples.shape)}`);
  }
  const nSamples = samples.shape[0];
  const metric = obj.metric as Metric;
  if (!METRICS.includes(metric)) {
    fail('metric', `expected one of ${METRICS.join(', ')}, got ${JSON.stringify(obj.metric)}`);
  }
  if (obj.weights !== 'uniform' && obj.weights !== 'distance') {
    fail('weights', `expected "uniform" or "distance", got ${JSON.stringify(obj.weights)}`);
  }
  let labels: Int32Array | null = null;
  let targets: Float32Array | null = null;
  let nOutputs = common.classes.length;
  if (task === 'classification') {
    let decoded: Int32Array;
    try {
      decoded = decodeArray(obj.labels, 'int32', 'labels').array;
    } catch (e) {
      throw new IRError('labels', (e as Error).message);
    }
    if (decoded.length !== nSamples || decoded.some(l => l < 0 || l >= common.classes.length)) {
      fail('labels', `expected ${nSamples} class indices in [0, ${common.classes.length})`);
    }
    labels = decoded;
  } else {
    const t = floats(obj.targets, 'targets', 2);
    if (t.shape[0] !== nSamples) {
      fail('targets', `expected ${nSamples} rows, got ${t.shape[0]}`);
    }
    targets = t.data;
    nOutputs = t.shape[1];
  }
  return {
    format: 'tinyml-lab-ir',
    ...common,
    modelFeatures: common.nFeatures,
    preprocess: null,
    family: 'neighbors',
    task,
    nSamples,
    k: finite(obj.n_neighbors, 'n_neighbors', v => Number.isInteger(v) && v >= 1 && v <= nSamples, `an integer in [1, ${nSamples}]`),
    metric,
    p: finite(obj.p ?? 2, 'p', v => v > 0, 'a positive number'),
    weights: obj.weights,
    samples: samples.data,
    labels,
    targets,
    nOutputs
  };
}

/** Decisions an SVM computes per row: one per class pair (3+ classes), else one. */
export function svmDecisions(ir: SvmIR): number {
  const c = ir.task === 'classification' ? ir.classes.length : 1;
  return c >= 3 ? (c * (c - 1)) / 2 : 1;
}

/** Values per row the device reports: decision_function's columns, or the prediction. */
export function svmValueCount(ir: SvmIR): number {
  const c = ir.classes.length;
  if (ir.task !== 'classification' || c === 2) {
    return 1;
  }
  return ir.decisionShape === 'ovo' ? svmDecisions(ir) : c;
}

/** Class start offsets of the support vectors (the runtime's class_start). */
export function classStart(ir: SvmIR): Int32Array {
  const start = new Int32Array(ir.supportPerClass.length + 1);
  ir.supportPerClass.forEach((n, c) => (start[c + 1] = start[c] + n));
  return start;
}

export interface KernelStructure {
  /** SVM: support vectors per class (one entry for regression / one-class); KNN: samples per class. */
  storedPerClass: number[];
  labels: string[];
  stored: number;
  what: string;
}

export function describeKernels(ir: SvmIR | NeighborsIR): KernelStructure {
  if (ir.family === 'svm') {
    const per = ir.task === 'classification' ? ir.supportPerClass : [ir.nSupport];
    return {
      storedPerClass: per,
      labels: ir.task === 'classification' ? ir.classes.map(String) : ['all'],
      stored: ir.nSupport,
      what: `support vectors (${ir.kernel} kernel)`
    };
  }
  const counts = ir.labels ? ir.classes.map((_, c) => (ir.labels as Int32Array).filter(l => l === c).length) : [ir.nSamples];
  return {
    storedPerClass: counts,
    labels: ir.labels ? ir.classes.map(String) : ['all'],
    stored: ir.nSamples,
    what: `stored neighbours (k = ${ir.k}, ${ir.metric})`
  };
}
