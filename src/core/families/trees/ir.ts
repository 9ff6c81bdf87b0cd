/**
 * The IR of tree ensembles (family "tree_ensemble", docs/ir.md "Tree"): scikit-learn's trees,
 * forests, gradient boosting and isolation forests as tinyml_lab's tree reader writes them.
 */
import { BaseIR, CommonFields, IR_FORMAT, Task } from '../../ir/types';
import { decodeAt, fail, requireInteger } from '../../ir/read';
import { shown } from '../../ir/show';
import { CODES } from '../../../generated/runtimeConstants';
import { FLOAT32_MAX, float32Below } from './float32';

export type Combine = 'mean' | 'sum';
export type Link = 'identity' | 'logistic' | 'softmax' | 'isolation' | 'exp';
/** "le": x <= threshold goes left (scikit-learn, LightGBM); "lt": x < threshold (XGBoost). */
export type SplitRule = 'le' | 'lt';

/** Largest feature count of a tree model: node_feature is int16 in the C tables. */
export const MAX_FEATURES = 32767;
/** Largest word count of a category_bits row: categories 0 ... 32767. */
export const MAX_CATEGORY_WORDS = CODES.TML_MAX_CATEGORY_WORDS;

/** One scikit-learn tree (the arrays of `estimator.tree_`), decoded. */
export interface TreeIR {
  childrenLeft: Int32Array;
  childrenRight: Int32Array;
  feature: Int32Array;
  /** x <= threshold goes left: parse turns an "lt" IR's thresholds into the largest float32 below. */
  threshold: Float64Array;
  /** [n_nodes * width], row-major: class weights (forest classifier) or values. */
  value: Float64Array;
  /** The one raw output this tree feeds (its value rows have width 1), or null: all. */
  output: number | null;
  /** missing_left: 1 where a NaN goes left at an internal node, or null: NaN goes right everywhere. */
  missingLeft: Uint8Array | null;
  /** category_set: -1 for a numeric split, k >= 0 for a categorical one on row k of categoryBits; or null. */
  categorySet: Int32Array | null;
  /** category_bits, [n_sets * categoryWords] row-major (bit c set: category c goes left), or null. */
  categoryBits: Uint32Array | null;
  /** Words per row of categoryBits (0 without categorical splits). */
  categoryWords: number;
  /**
   * node_samples: the training samples (or their weight) that reached each node, or null. Only
   * the cost estimate reads them: the splits a row visits, weighted as the training data went.
   */
  nodeSamples: Float32Array | null;
}

/** Whether node i of a tree is a categorical split. */
export function isCategorical(tree: TreeIR, i: number): boolean {
  return tree.categorySet !== null && tree.categorySet[i] >= 0;
}

/**
 * Whether a categorical split with bit row `row` (its first word at `at`, `words` words) sends x
 * left: NaN, x < 0 and trunc(x) beyond the row are not categories and take the missing direction.
 */
export function categoryGoesLeft(
  bits: Uint32Array,
  at: number,
  words: number,
  x: number,
  missingLeft: boolean
): boolean {
  if (!(x >= 0 && x < 32 * words)) {
    return missingLeft;
  }
  const c = Math.trunc(x);
  return ((bits[at + (c >>> 5)] >>> (c & 31)) & 1) === 1;
}

/** Whether internal node i sends feature value x left, as the IR defines it (docs/ir.md "Tree"). */
export function goesLeft(tree: TreeIR, i: number, x: number): boolean {
  const missingLeft = tree.missingLeft !== null && tree.missingLeft[i] === 1;
  if (isCategorical(tree, i)) {
    const words = tree.categoryWords;
    return categoryGoesLeft(
      tree.categoryBits as Uint32Array,
      (tree.categorySet as Int32Array)[i] * words,
      words,
      x,
      missingLeft
    );
  }
  return Number.isNaN(x) ? missingLeft : x <= tree.threshold[i];
}

export interface TreeEnsembleIR extends BaseIR {
  family: 'tree_ensemble';
  /** Width of the raw output: classes of a forest, 1 for binary boosting or regression. */
  nOutputs: number;
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
  /** The IR's split rule; the trees' thresholds are already in "le" form. */
  splitRule: SplitRule;
}

/**
 * Checks that a tree is a proper binary tree rooted at node 0: every node reached exactly
 * once, children in range, split features in range, thresholds and values finite.
 * Iterative, so deep trees cannot overflow the JS stack.
 */
function checkTree(tree: TreeIR, nFeatures: number, width: number, treeScale: number, path: string): void {
  const n = tree.childrenLeft.length;
  if (n === 0) {
    fail(path, 'a tree must have at least one node');
  }
  for (const [name, length] of [
    ['children_right', tree.childrenRight.length],
    ['feature', tree.feature.length],
    ['threshold', tree.threshold.length],
    ['missing_left', tree.missingLeft?.length ?? n],
    ['category_set', tree.categorySet?.length ?? n],
    ['node_samples', tree.nodeSamples?.length ?? n]
  ] as const) {
    if (length !== n) {
      fail(`${path}.${name}`, `has ${length} entries, children_left has ${n}`);
    }
  }
  checkMissingAndCategories(tree, path);
  const badSamples = tree.nodeSamples?.findIndex(v => !(v >= 0 && v < Infinity)) ?? -1;
  if (badSamples >= 0) {
    fail(
      `${path}.node_samples[${badSamples}]`,
      `expected a count or weight >= 0, got ${shown(tree.nodeSamples?.[badSamples])}`
    );
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
        const v = tree.value[i * width + k];
        if (!Number.isFinite(v)) {
          fail(`${path}.value[${i}]`, 'leaf value is NaN or infinite');
        }
        if (!isFloat32(v * treeScale)) {
          // the device stores leaf values times tree_scale as float32
          fail(
            `${path}.value[${i}]`,
            `leaf value ${v}${treeScale === 1 ? '' : ` times tree_scale ${treeScale}`} is beyond float32's range ` +
              '(±3.4e38), which the device stores leaves in; rescale the target before fitting'
          );
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
    // a categorical split ignores its threshold
    if (!isCategorical(tree, i) && !Number.isFinite(tree.threshold[i])) {
      fail(`${path}.threshold[${i}]`, 'split threshold is NaN or infinite');
    }
    // Above the largest float32 every float32 goes left, as at the largest float32 itself
    // (LightGBM's NaN-against-the-rest splits are at the largest double); below the lowest
    // none would, which no split on float32 values can say.
    if (!isCategorical(tree, i) && tree.threshold[i] > FLOAT32_MAX) {
      tree.threshold[i] = FLOAT32_MAX;
    }
    if (!isCategorical(tree, i) && tree.threshold[i] < -FLOAT32_MAX) {
      fail(`${path}.threshold[${i}]`, 'split threshold is below the float32 range: no value would go left');
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

/**
 * Checks missing_left (0 or 1), category_set (-1 or a row of category_bits) and that
 * category_bits is given exactly when some node uses it.
 */
function checkMissingAndCategories(tree: TreeIR, path: string): void {
  const flag = tree.missingLeft?.findIndex(v => v > 1) ?? -1;
  if (flag >= 0) {
    fail(`${path}.missing_left[${flag}]`, `expected 0 or 1, got ${(tree.missingLeft as Uint8Array)[flag]}`);
  }
  const used = tree.categorySet?.some(k => k >= 0) ?? false;
  if (used !== (tree.categoryBits !== null)) {
    fail(
      `${path}.category_bits`,
      used
        ? 'missing: category_set names categorical splits, whose category rows category_bits holds'
        : 'given, but no entry of category_set is a categorical split (>= 0)'
    );
  }
  const nSets = tree.categoryBits ? tree.categoryBits.length / Math.max(tree.categoryWords, 1) : 0;
  const set = tree.categorySet?.findIndex(k => k < -1 || k >= nSets) ?? -1;
  if (set >= 0) {
    const k = (tree.categorySet as Int32Array)[set];
    fail(
      `${path}.category_set[${set}]`,
      `expected -1 (a numeric split) or a row of category_bits in [0, ${nSets}), got ${k}`
    );
  }
}

/** category_bits of a tree: [n_sets, n_words] uint32 with 1 <= n_words <= MAX_CATEGORY_WORDS. */
function categoryBitsAt(value: unknown, path: string): { bits: Uint32Array; words: number } {
  const decoded = decodeAt(value, 'uint32', path);
  const [nSets, words] = decoded.shape;
  if (decoded.shape.length !== 2 || !(words >= 1 && words <= MAX_CATEGORY_WORDS)) {
    fail(
      path,
      `expected shape [n_sets, n_words] with n_words in [1, ${MAX_CATEGORY_WORDS}], got ${shown(decoded.shape)}`
    );
  }
  if (nSets === 0) {
    fail(path, 'has no rows: leave category_bits out when no split is categorical');
  }
  return { bits: decoded.array, words };
}

/**
 * Turns "lt" thresholds into "le" ones, in place: the largest float32 below each (checkTree
 * keeps thresholds within float32's range; `x < -FLT_MAX` sends no finite x left, which no
 * `x <= t` with a finite t can say, so it is refused).
 */
function toLessOrEqual(tree: TreeIR, path: string): void {
  for (let i = 0; i < tree.threshold.length; i++) {
    if (tree.childrenLeft[i] !== -1 && !isCategorical(tree, i)) {
      const below = float32Below(tree.threshold[i]);
      if (!Number.isFinite(below)) {
        fail(`${path}.threshold[${i}]`, 'an "lt" split at the lowest float32 sends nothing left; remove the split');
      }
      tree.threshold[i] = below;
    }
  }
}

/** A number the header can hold as a float32: finite after rounding to float32. */
function isFloat32(v: number): boolean {
  return Number.isFinite(v) && Number.isFinite(Math.fround(v));
}

/** Checks the keys of a tree ensemble (parseModelIR checked the common ones). */
export function parseTreeEnsembleIR(
  obj: Record<string, unknown>,
  common: CommonFields & { task: Task }
): TreeEnsembleIR {
  const { version, estimator, task, nFeatures, classes, featureNames } = common;
  const combine = (obj.combine ?? 'mean') as Combine;
  if (combine !== 'mean' && combine !== 'sum') {
    fail('combine', `expected "mean" or "sum", got ${shown(obj.combine)}`);
  }
  const link = (obj.link ?? (task === 'anomaly' ? 'isolation' : 'identity')) as Link;
  const splitRule = (obj.split_rule ?? 'le') as SplitRule;
  if (splitRule !== 'le' && splitRule !== 'lt') {
    fail('split_rule', `expected "le" or "lt", got ${shown(obj.split_rule)}`);
  }
  // The raw output width follows from the task and link unless boosting states it.
  const expectedOutputs = task === 'classification' && link !== 'logistic' ? classes.length : 1;
  const nOutputs =
    obj.n_outputs === undefined ? expectedOutputs : requireInteger(obj.n_outputs, 'n_outputs', 1, 0x7fff);
  if (nOutputs !== expectedOutputs) {
    fail(
      'n_outputs',
      `${task} with link "${link}" and ${classes.length} classes has ${expectedOutputs} raw outputs, not ${nOutputs}`
    );
  }
  const allowedLinks: Record<Task, Link[]> = {
    classification: combine === 'mean' ? ['identity'] : classes.length === 2 ? ['logistic'] : ['softmax'],
    regression: combine === 'sum' ? ['identity', 'exp'] : ['identity'],
    anomaly: ['isolation']
  };
  if (!allowedLinks[task].includes(link)) {
    fail(
      'link',
      `a ${combine === 'sum' ? 'boosted' : 'averaged'} ${task} model with ${classes.length} classes needs link ${allowedLinks[task].map(l => `"${l}"`).join(' or ')}, got ${shown(obj.link)}`
    );
  }
  // every number ends up a float32 constant of the header
  const number = (key: string, fallback: number, check: (v: number) => boolean, what: string): number => {
    const v = obj[key] ?? fallback;
    if (typeof v !== 'number' || !isFloat32(v) || !check(v) || !check(Math.fround(v))) {
      fail(key, `expected ${what}, got ${shown(obj[key])}`);
    }
    return v;
  };
  const linkParam = number(
    'link_param',
    link === 'isolation' ? NaN : 0,
    v => link !== 'isolation' || v > 0,
    "a positive number within float32's range"
  );
  const treeScale = number('tree_scale', 1, v => v !== 0, "a non-zero finite number within float32's range");
  const offset = number('offset', 0, () => true, "a finite number within float32's range");
  let baseline = new Array<number>(nOutputs).fill(0);
  if (obj.baseline !== undefined) {
    if (
      combine !== 'sum' ||
      !Array.isArray(obj.baseline) ||
      obj.baseline.length !== nOutputs ||
      obj.baseline.some(v => typeof v !== 'number' || !isFloat32(v))
    ) {
      fail('baseline', `expected ${nOutputs} numbers within float32's range, and only with combine "sum"`);
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
    const output =
      tr.output === undefined || tr.output === null
        ? null
        : requireInteger(tr.output, `${path}.output`, 0, nOutputs - 1);
    const width = output === null ? nOutputs : 1;
    const value = decodeAt(tr.value, 'float64', `${path}.value`);
    if (value.shape.length !== 2 || value.shape[1] !== width) {
      fail(`${path}.value`, `expected shape [n_nodes, ${width}], got ${shown(value.shape)}`);
    }
    const categories =
      tr.category_bits === undefined ? null : categoryBitsAt(tr.category_bits, `${path}.category_bits`);
    const tree: TreeIR = {
      childrenLeft: decodeAt(tr.children_left, 'int32', `${path}.children_left`).array,
      childrenRight: decodeAt(tr.children_right, 'int32', `${path}.children_right`).array,
      feature: decodeAt(tr.feature, 'int32', `${path}.feature`).array,
      threshold: decodeAt(tr.threshold, 'float64', `${path}.threshold`).array,
      value: value.array,
      output,
      missingLeft:
        tr.missing_left === undefined ? null : decodeAt(tr.missing_left, 'uint8', `${path}.missing_left`).array,
      categorySet:
        tr.category_set === undefined ? null : decodeAt(tr.category_set, 'int32', `${path}.category_set`).array,
      categoryBits: categories?.bits ?? null,
      categoryWords: categories?.words ?? 0,
      nodeSamples:
        tr.node_samples === undefined ? null : decodeAt(tr.node_samples, 'float32', `${path}.node_samples`).array
    };
    checkTree(tree, nFeatures, width, treeScale, path);
    if (splitRule === 'lt') {
      toLessOrEqual(tree, path);
    }
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
    estimator,
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
    offset,
    splitRule
  };
}
