/**
 * The model IR: what the Python side reads from a fitted estimator's public attributes,
 * and the only input of the compiler. Documented in docs/ir.md; bump IR_VERSION on any
 * change that an older compiler would misread.
 *
 * parseModelIR() is the single gate: everything past it may assume a well-formed model.
 */
import { decodeArray } from './encoding';
import { FeatureStage, parseFeatureStage, stageWidth } from './featureStage';
import { GaussianIR, parseGaussianIR } from './gaussian';
import { NeighborsIR, SvmIR, parseNeighborsIR, parseSvmIR } from './kernels';
import { NeuralNetIR, parseNeuralNetIR, parsePreprocess } from './netIR';

export const IR_FORMAT = 'tinyml-lab-ir';
export const IR_VERSION = 1;

/** Largest feature count of a tree model: node_feature is int16 in the C tables. */
export const MAX_FEATURES = 32767;
/** Largest input of a neural net (its sizes are int32 in the C runtime; this is far below). */
export const MAX_NET_FEATURES = 1 << 24;

export type Task = 'classification' | 'regression' | 'anomaly';
export type Combine = 'mean' | 'sum';
export type Link = 'identity' | 'logistic' | 'softmax' | 'isolation';
export type ClassLabel = number | string;

/** One scikit-learn tree (the arrays of `estimator.tree_`), decoded. */
export interface TreeIR {
  childrenLeft: Int32Array;
  childrenRight: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  /** [n_nodes * width], row-major: class weights (forest classifier) or values. */
  value: Float64Array;
  /** The one raw output this tree feeds (its value rows have width 1), or null: all. */
  output: number | null;
}

export interface TreeEnsembleIR {
  /** tinyml_lab.features transformer exported in front of the model (raw windows in), or none. */
  featureStage?: FeatureStage | null;
  format: typeof IR_FORMAT;
  version: number;
  family: 'tree_ensemble';
  /** Fully qualified estimator class, e.g. sklearn.ensemble.RandomForestClassifier. */
  estimator: string;
  task: Task;
  nFeatures: number;
  /** Classes in the order of sklearn's classes_; [-1, 1] (outlier, inlier) for anomaly. */
  classes: ClassLabel[];
  /** Width of the raw output: classes of a forest, 1 for binary boosting or regression. */
  nOutputs: number;
  featureNames: string[];
  trees: TreeIR[];
  /** mean: forests; sum: boosting (baseline + scaled sum). */
  combine: Combine;
  link: Link;
  /** isolation: c(max_samples), the path length that normalizes the score. */
  linkParam: number;
  /** sum: raw output before any tree, [nOutputs]. */
  baseline: number[];
  /** Factor on every leaf value (the learning rate of boosting). */
  treeScale: number;
  /** anomaly: decision_function = score_samples - offset; predict -1 where it is < 0. */
  offset: number;
}

export type ModelIR = TreeEnsembleIR | NeuralNetIR | GaussianIR | SvmIR | NeighborsIR;
export type Family = ModelIR['family'];
const FAMILIES: Family[] = ['tree_ensemble', 'neural_net', 'gaussian', 'svm', 'neighbors'];

/** A malformed or unsupported IR. `path` says where, e.g. `trees[3].threshold`. */
export class IRError extends Error {
  constructor(
    readonly path: string,
    message: string
  ) {
    super(`malformed model IR at ${path}: ${message}`);
    this.name = 'IRError';
  }
}

function fail(path: string, message: string): never {
  throw new IRError(path, message);
}

function requireInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An array of the IR decoded as dtype; a bad encoding is an IRError at its path. */
export function decodeAt<D extends Parameters<typeof decodeArray>[1]>(
  value: unknown,
  dtype: D,
  path: string
) {
  try {
    return decodeArray(value, dtype, path);
  } catch (e) {
    if (e instanceof IRError) {
      throw e;
    }
    throw new IRError(path, (e as Error).message.replace(`${path}: `, ''));
  }
}

/** A float array of the IR, stored as float32 or float64 (as the Python side encoded it). */
export function decodeFloatsAt(value: unknown, path: string): { array: Float32Array | Float64Array; shape: number[] } {
  const dtype = (value as { dtype?: unknown } | null)?.dtype;
  return dtype === 'float32' ? decodeAt(value, 'float32', path) : decodeAt(value, 'float64', path);
}

/**
 * Checks that a tree is a proper binary tree rooted at node 0: every node reached exactly
 * once, children in range, split features in range, thresholds and values finite.
 * Iterative, so deep trees cannot overflow the JS stack.
 */
function checkTree(tree: TreeIR, nFeatures: number, width: number, path: string): void {
  const n = tree.childrenLeft.length;
  if (n === 0) {
    fail(path, 'a tree must have at least one node');
  }
  for (const [name, length] of [
    ['children_right', tree.childrenRight.length],
    ['feature', tree.feature.length],
    ['threshold', tree.threshold.length]
  ] as const) {
    if (length !== n) {
      fail(`${path}.${name}`, `has ${length} entries, children_left has ${n}`);
    }
  }
  if (tree.value.length !== n * width) {
    fail(`${path}.value`, `expected shape [${n}, ${width}]`);
  }
  const seen = new Uint8Array(n);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const left = tree.childrenLeft[i];
    const right = tree.childrenRight[i];
    if (left === -1 && right === -1) {
      for (let k = 0; k < width; k++) {
        if (!Number.isFinite(tree.value[i * width + k])) {
          fail(`${path}.value[${i}]`, 'leaf value is NaN or infinite');
        }
      }
      continue;
    }
    if (left < 0 || left >= n || right < 0 || right >= n) {
      fail(`${path}.children[${i}]`, `child index out of range (${left}, ${right}) for ${n} nodes`);
    }
    const feature = tree.feature[i];
    if (feature < 0 || feature >= nFeatures) {
      fail(`${path}.feature[${i}]`, `feature ${feature} is outside [0, ${nFeatures})`);
    }
    if (!Number.isFinite(tree.threshold[i])) {
      fail(`${path}.threshold[${i}]`, 'split threshold is NaN or infinite');
    }
    if (Math.abs(tree.threshold[i]) > 3.4e38) {
      fail(`${path}.threshold[${i}]`, 'split threshold is outside the float32 range');
    }
    for (const child of [left, right]) {
      if (seen[child]) {
        fail(`${path}.children[${i}]`, `node ${child} is reached twice (not a tree)`);
      }
      seen[child] = 1;
      stack.push(child);
    }
  }
  const unreached = seen.indexOf(0);
  if (unreached >= 0) {
    fail(`${path}.children`, `node ${unreached} is not reachable from the root`);
  }
}

/** Parses and validates an IR object (already JSON-decoded). Throws IRError. */
export function parseModelIR(raw: unknown): ModelIR {
  const ir = parseFamily(raw);
  const stage = (raw as Record<string, unknown>).feature_stage;
  if (stage == null) {
    return ir;
  }
  const featureStage = parseFeatureStage(stage);
  if (stageWidth(featureStage) !== ir.nFeatures) {
    fail('feature_stage', `gives ${stageWidth(featureStage)} features, the model takes ${ir.nFeatures}`);
  }
  return { ...ir, featureStage };
}

function parseFamily(raw: unknown): ModelIR {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('$', 'expected a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  if (obj.format !== IR_FORMAT) {
    fail('format', `expected "${IR_FORMAT}", got ${JSON.stringify(obj.format)}`);
  }
  const version = requireInteger(obj.version, 'version', 1, Number.MAX_SAFE_INTEGER);
  if (version > IR_VERSION) {
    fail('version', `IR version ${version} is newer than this compiler (${IR_VERSION}); upgrade tinyml-lab`);
  }
  if (!FAMILIES.includes(obj.family as Family)) {
    fail('family', `unsupported model family ${JSON.stringify(obj.family)}`);
  }
  if (typeof obj.estimator !== 'string' || obj.estimator.length === 0) {
    fail('estimator', 'expected the estimator class name');
  }
  if (obj.task !== 'classification' && obj.task !== 'regression' && obj.task !== 'anomaly') {
    fail('task', `expected "classification", "regression" or "anomaly", got ${JSON.stringify(obj.task)}`);
  }
  const task = obj.task;
  const nFeatures = requireInteger(
    obj.n_features,
    'n_features',
    1,
    obj.family === 'tree_ensemble' ? MAX_FEATURES : MAX_NET_FEATURES
  );
  let classes: ClassLabel[] = [-1, 1];
  if (task === 'classification') {
    if (!Array.isArray(obj.classes) || obj.classes.length < 1) {
      fail('classes', 'a classifier needs its list of classes');
    }
    if (obj.classes.some(c => typeof c !== 'string' && !(typeof c === 'number' && Number.isFinite(c)))) {
      fail('classes', 'class labels must be numbers or strings');
    }
    classes = obj.classes as ClassLabel[];
  } else if (task === 'regression') {
    classes = [];
  }
  let featureNames: string[] = [];
  if (obj.feature_names !== undefined && obj.feature_names !== null) {
    if (
      !Array.isArray(obj.feature_names) ||
      (obj.feature_names.length !== nFeatures && obj.feature_names.length !== 0) ||
      obj.feature_names.some(s => typeof s !== 'string')
    ) {
      fail('feature_names', `expected ${nFeatures} strings`);
    }
    featureNames = obj.feature_names as string[];
  }
  const common = { version, estimator: obj.estimator, classes, featureNames, nFeatures };
  if (obj.family === 'neural_net') {
    return parseNeuralNetIR(obj, common);
  }
  if (obj.family === 'gaussian' || obj.family === 'svm' || obj.family === 'neighbors') {
    // A pipeline's preprocessing runs first; the model's own arrays are in its output space.
    const preprocess = obj.preprocess == null ? null : parsePreprocess(obj.preprocess, nFeatures, common);
    const inner = { ...common, nFeatures: preprocess ? preprocess.nOutputs : nFeatures };
    const parsed =
      obj.family === 'gaussian'
        ? parseGaussianIR(obj, inner)
        : obj.family === 'svm'
          ? parseSvmIR(obj, inner)
          : parseNeighborsIR(obj, inner);
    return { ...parsed, nFeatures, modelFeatures: inner.nFeatures, preprocess };
  }
  if (obj.preprocess != null) {
    fail('preprocess', 'trees and networks take no preprocess list (a network has its scalers as layers)');
  }
  const combine = (obj.combine ?? 'mean') as Combine;
  if (combine !== 'mean' && combine !== 'sum') {
    fail('combine', `expected "mean" or "sum", got ${JSON.stringify(obj.combine)}`);
  }
  const link = (obj.link ?? (task === 'anomaly' ? 'isolation' : 'identity')) as Link;
  // The raw output width follows from the task and link unless boosting states it.
  const expectedOutputs =
    task === 'classification' && link !== 'logistic' ? classes.length : 1;
  const nOutputs = obj.n_outputs === undefined ? expectedOutputs : requireInteger(obj.n_outputs, 'n_outputs', 1, 0x7fff);
  if (nOutputs !== expectedOutputs) {
    fail('n_outputs', `${task} with link "${link}" and ${classes.length} classes has ${expectedOutputs} raw outputs, not ${nOutputs}`);
  }
  const allowedLinks: Record<Task, Link[]> = {
    classification: combine === 'mean' ? ['identity'] : classes.length === 2 ? ['logistic'] : ['softmax'],
    regression: ['identity'],
    anomaly: ['isolation']
  };
  if (!allowedLinks[task].includes(link)) {
    fail('link', `a ${combine === 'sum' ? 'boosted' : 'averaged'} ${task} model with ${classes.length} classes needs link ${allowedLinks[task].map(l => `"${l}"`).join(' or ')}, got ${JSON.stringify(obj.link)}`);
  }
  const number = (key: string, fallback: number, check: (v: number) => boolean, what: string): number => {
    const v = obj[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
      fail(key, `expected ${what}, got ${JSON.stringify(obj[key])}`);
    }
    return v;
  };
  const linkParam = number('link_param', link === 'isolation' ? NaN : 0, v => link !== 'isolation' || v > 0, 'a positive number');
  const treeScale = number('tree_scale', 1, v => v !== 0, 'a non-zero finite number');
  const offset = number('offset', 0, () => true, 'a finite number');
  let baseline = new Array<number>(nOutputs).fill(0);
  if (obj.baseline !== undefined) {
    if (
      combine !== 'sum' ||
      !Array.isArray(obj.baseline) ||
      obj.baseline.length !== nOutputs ||
      obj.baseline.some(v => typeof v !== 'number' || !Number.isFinite(v))
    ) {
      fail('baseline', `expected ${nOutputs} finite numbers, and only with combine "sum"`);
    }
    baseline = obj.baseline as number[];
  }
  if (!Array.isArray(obj.trees) || obj.trees.length === 0) {
    fail('trees', 'expected a non-empty list of trees');
  }
  const trees = obj.trees.map((rawTree: unknown, t: number): TreeIR => {
    const path = `trees[${t}]`;
    if (typeof rawTree !== 'object' || rawTree === null) {
      fail(path, 'expected an object');
    }
    const tr = rawTree as Record<string, unknown>;
    const output = tr.output === undefined || tr.output === null ? null : requireInteger(tr.output, `${path}.output`, 0, nOutputs - 1);
    const width = output === null ? nOutputs : 1;
    const value = decodeAt(tr.value, 'float64', `${path}.value`);
    if (value.shape.length !== 2 || value.shape[1] !== width) {
      fail(`${path}.value`, `expected shape [n_nodes, ${width}], got ${JSON.stringify(value.shape)}`);
    }
    const tree: TreeIR = {
      childrenLeft: decodeAt(tr.children_left, 'int32', `${path}.children_left`).array,
      childrenRight: decodeAt(tr.children_right, 'int32', `${path}.children_right`).array,
      feature: decodeAt(tr.feature, 'int32', `${path}.feature`).array,
      threshold: decodeAt(tr.threshold, 'float64', `${path}.threshold`).array,
      value: value.array,
      output
    };
    checkTree(tree, nFeatures, width, path);
    return tree;
  });
  const withOutput = trees.filter(t => t.output !== null).length;
  if (withOutput !== 0 && withOutput !== trees.length) {
    fail('trees', 'either every tree names its output or none does');
  }
  return {
    format: IR_FORMAT,
    version,
    family: 'tree_ensemble',
    estimator: obj.estimator,
    task,
    nFeatures,
    classes,
    nOutputs,
    featureNames,
    trees,
    combine,
    link,
    linkParam,
    baseline,
    treeScale,
    offset
  };
}
