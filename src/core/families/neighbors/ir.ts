/**
 * The IR of nearest-neighbour models (family "neighbors": KNeighborsClassifier/Regressor) as
 * tinyml_lab's neighbour reader writes it, checked here; the runtime (tinyml/knn.h) searches
 * its float32 samples as they are.
 */
import { IRError, fail, finiteNumber, floatArray } from '../../ir/read';
import { decodeArray } from '../../ir/encoding';
import { BaseIR, CommonFields, IR_FORMAT } from '../../ir/types';
import type { PreprocessedIR } from '../preprocess';
import { shown } from '../../ir/show';

export type Metric = 'euclidean' | 'manhattan' | 'chebyshev' | 'minkowski';
const METRICS: Metric[] = ['euclidean', 'manhattan', 'chebyshev', 'minkowski'];

export interface NeighborsIR extends BaseIR, PreprocessedIR {
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

export function parseNeighborsIR(obj: Record<string, unknown>, common: CommonFields): NeighborsIR {
  const task = obj.task as NeighborsIR['task'];
  if (task !== 'classification' && task !== 'regression') {
    fail('task', `nearest neighbours classify or regress, got ${shown(obj.task)}`);
  }
  const samples = floatArray(obj.samples, 'samples', 2);
  if (samples.shape[1] !== common.nFeatures || samples.shape[0] < 1) {
    fail('samples', `expected shape [n_samples, ${common.nFeatures}], got ${shown(samples.shape)}`);
  }
  const nSamples = samples.shape[0];
  const metric = obj.metric as Metric;
  if (!METRICS.includes(metric)) {
    fail('metric', `expected one of ${METRICS.join(', ')}, got ${shown(obj.metric)}`);
  }
  if (obj.weights !== 'uniform' && obj.weights !== 'distance') {
    fail('weights', `expected "uniform" or "distance", got ${shown(obj.weights)}`);
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
    const t = floatArray(obj.targets, 'targets', 2);
    if (t.shape[0] !== nSamples) {
      fail('targets', `expected ${nSamples} rows, got ${t.shape[0]}`);
    }
    targets = t.data;
    nOutputs = t.shape[1];
  }
  return {
    format: IR_FORMAT,
    ...common,
    modelFeatures: common.nFeatures,
    preprocess: null,
    family: 'neighbors',
    task,
    nSamples,
    k: finiteNumber(
      obj.n_neighbors,
      'n_neighbors',
      v => Number.isInteger(v) && v >= 1 && v <= nSamples,
      `an integer in [1, ${nSamples}]`
    ),
    metric,
    p: finiteNumber(obj.p ?? 2, 'p', v => v > 0, "a positive number within float32's range"),
    weights: obj.weights,
    samples: samples.data,
    labels,
    targets,
    nOutputs
  };
}

/** What the widgets show of a nearest-neighbour model: stored samples per class. */
export interface NeighborsStructure {
  /** Samples per class (one entry for a regressor). */
  storedPerClass: number[];
  labels: string[];
  stored: number;
  what: string;
}

export function describeNeighbors(ir: NeighborsIR): NeighborsStructure {
  const counts = ir.labels
    ? ir.classes.map((_, c) => (ir.labels as Int32Array).filter(l => l === c).length)
    : [ir.nSamples];
  return {
    storedPerClass: counts,
    labels: ir.labels ? ir.classes.map(String) : ['all'],
    stored: ir.nSamples,
    what: `stored neighbours (k = ${ir.k}, ${ir.metric})`
  };
}
