/**
 * The IR of tree ensembles (family "tree_ensemble", docs/ir.md "Tree"): scikit-learn's trees,
 * forests, gradient boosting and isolation forests as tinyml_lab's tree reader writes them.
 */
import { BaseIR, CommonFields, IR_FORMAT, Task } from '../../ir/types';
import { decodeAt, fail, requireInteger } from '../../ir/read';
import { shown } from '../../ir/show';

export type Combine = 'mean' | 'sum';
export type Link = 'identity' | 'logistic' | 'softmax' | 'isolation';

/** Largest feature count of a tree model: node_feature is int16 in the C tables. */
export const MAX_FEATURES = 32767;

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
    regression: ['identity'],
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
    const tree: TreeIR = {
      childrenLeft: decodeAt(tr.children_left, 'int32', `${path}.children_left`).array,
      childrenRight: decodeAt(tr.children_right, 'int32', `${path}.children_right`).array,
      feature: decodeAt(tr.feature, 'int32', `${path}.feature`).array,
      threshold: decodeAt(tr.threshold, 'float64', `${path}.threshold`).array,
      value: value.array,
      output
    };
    checkTree(tree, nFeatures, width, treeScale, path);
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
    offset
  };
}
