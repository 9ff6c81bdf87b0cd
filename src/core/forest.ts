/**
 * Lowers a tree-ensemble IR to the C runtime's tables (see c-runtime/include/tinyml/forest.h):
 * preorder node numbering, thresholds rounded the way scikit-learn compares them, optional
 * int16 quantization, and de-duplicated leaf rows.
 */
import { Combine, Link, TreeEnsembleIR } from './ir';

export type FeatureType = 'float32' | 'int16' | 'int8';
/** How leaf rows are stored: float32, or probabilities as uint8 (value = u8 / 255). */
export type LeafType = 'float32' | 'uint8';

export const LEAF = -1;
const INT16_MAX = 32767;
const INT16_MIN = -32768;
/**
 * Range of quantized thresholds per feature type. The top stays one below the largest
 * quantized input, so that saturated inputs still go right. Features are always quantized to
 * int16: int8 only narrows the thresholds (and so the scales), which halves their table.
 */
const THRESHOLD_RANGE: Record<'int16' | 'int8', { min: number; max: number }> = {
  int16: { min: INT16_MIN, max: INT16_MAX - 1 },
  int8: { min: -128, max: 126 }
};

/** The tables of tml_forest_t, as typed arrays. */
export interface ForestTables {
  featureType: FeatureType;
  nFeatures: number;
  nOutputs: number;
  nTrees: number;
  nNodes: number;
  nLeafRows: number;
  treeRoot: Int32Array;
  nodeFeature: Int16Array;
  nodeNext: Int32Array;
  thresholdF32: Float32Array | null;
  thresholdI16: Int16Array | null;
  thresholdI8: Int8Array | null;
  featureScale: Float32Array | null;
  leafValues: Float32Array;
  combine: Combine;
  link: Link;
  linkParam: number;
  /** Raw output before any tree (boosting), or null for zeros. */
  baseline: Float32Array | null;
  /** Output each tree feeds (its leaf rows have width 1), or null: every output. */
  treeOutput: Int16Array | null;
  leafType: LeafType;
  /** The leaf rows as uint8 (leafType uint8), each leafValues entry rounded to k / 255. */
  leafU8: Uint8Array | null;
  /** Factor that turns leafU8 back into values. */
  leafScale: number;
}

/** Values in a leaf row: 1 when each tree feeds one output. */
export function leafWidth(tables: ForestTables): number {
  return tables.treeOutput ? 1 : tables.nOutputs;
}

/** Values per prediction: two probabilities from one log-odds, else one per raw output. */
export function valueCount(tables: Pick<ForestTables, 'link' | 'nOutputs'>): number {
  return tables.link === 'logistic' ? 2 : tables.nOutputs;
}

const f32Scratch = new Float32Array(1);
const u32View = new Uint32Array(f32Scratch.buffer);

/** The float32 just below a finite float32 value. */
function nextFloat32Down(value: number): number {
  f32Scratch[0] = value;
  if (value === 0) {
    u32View[0] = 0x80000001; // smallest negative subnormal
  } else if (value > 0) {
    u32View[0] -= 1;
  } else {
    u32View[0] += 1;
  }
  return f32Scratch[0];
}

/**
 * The largest float32 not above t. scikit-learn compares a float32 feature, widened to
 * double, with a double threshold; for float32 x that is the same as x <= this value.
 */
export function thresholdToFloat32(t: number): number {
  const rounded = Math.fround(t);
  return rounded > t ? nextFloat32Down(rounded) : rounded;
}

/**
 * Per-feature power-of-two scale for quantization: the largest 2^k that keeps every
 * threshold of the feature within the threshold range of the type. A power of two makes x * scale exact in
 * float32, so values on the 1/scale grid (integers included) route exactly as in sklearn.
 * Inputs beyond the thresholds saturate, which keeps their side of every split.
 */
export function featureScales(ir: TreeEnsembleIR, featureType: 'int16' | 'int8' = 'int16'): Float32Array {
  const top = THRESHOLD_RANGE[featureType].max;
  const maxAbs = new Float64Array(ir.nFeatures);
  const used = new Uint8Array(ir.nFeatures);
  for (const tree of ir.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.childrenLeft[i] !== -1) {
        const f = tree.feature[i];
        used[f] = 1;
        maxAbs[f] = Math.max(maxAbs[f], Math.abs(tree.threshold[i]));
      }
    }
  }
  const scales = new Float32Array(ir.nFeatures);
  for (let f = 0; f < ir.nFeatures; f++) {
    if (!used[f]) {
      scales[f] = 1;
      continue;
    }
    // Clamp the exponent so that scales stay normal float32 numbers.
    let k = maxAbs[f] > 0 ? Math.floor(Math.log2(top / maxAbs[f])) : 40;
    k = Math.max(-40, Math.min(40, k));
    while (k > -40 && Math.floor(maxAbs[f] * 2 ** k) > top) {
      k--; // guard against log2 rounding up
    }
    scales[f] = 2 ** k;
  }
  return scales;
}

/**
 * floor(t * scale), the quantized threshold. With features quantized as floor(x * scale),
 * q(x) <= tq holds exactly when x * scale < floor(t * scale) + 1: inputs on the 1/scale
 * grid and inputs equal to t route as in sklearn.
 */
export function quantizeThreshold(t: number, scale: number, featureType: 'int16' | 'int8' = 'int16'): number {
  const { min, max } = THRESHOLD_RANGE[featureType];
  return Math.max(min, Math.min(max, Math.floor(t * scale)));
}

/** Mirrors tml_quantize_i16 in the C runtime: floor, saturate, NaN to INT16_MAX. */
export function quantizeFeature(x: number, scale: number): number {
  const v = Math.fround(Math.fround(x) * scale);
  if (Number.isNaN(v) || v >= INT16_MAX) {
    return INT16_MAX;
  }
  if (v <= INT16_MIN) {
    return INT16_MIN;
  }
  return Math.floor(v);
}

/**
 * A leaf's row as the runtime adds it up: a forest classifier's class weights normalized
 * to sum 1 (as sklearn's DecisionTreeClassifier.predict_proba does), otherwise the value
 * times the tree scale (boosting's learning rate), computed in double as sklearn does.
 */
function leafRow(ir: TreeEnsembleIR, value: Float64Array, width: number, node: number): Float64Array {
  const row = value.slice(node * width, (node + 1) * width);
  const normalize = ir.task === 'classification' && ir.combine === 'mean';
  const total = row.reduce((a, b) => a + b, 0);
  const divisor = normalize ? (total === 0 ? 1 : total) : 1;
  for (let k = 0; k < row.length; k++) {
    row[k] = normalize ? row[k] / divisor : row[k] * ir.treeScale;
  }
  return row;
}

export function buildForestTables(ir: TreeEnsembleIR, featureType: FeatureType, leafType: LeafType = 'float32'): ForestTables {
  if (leafType === 'uint8' && !(ir.task === 'classification' && ir.combine === 'mean')) {
    throw new Error(
      'uint8 leaves store class probabilities: only forest classifiers (trees averaging probabilities) can use them'
    );
  }
  const nNodes = ir.trees.reduce((sum, tree) => sum + tree.childrenLeft.length, 0);
  if (nNodes > 0x7fffffff) {
    throw new Error(`the forest has ${nNodes} nodes, more than int32 node indices can address`);
  }
  const treeRoot = new Int32Array(ir.trees.length);
  const nodeFeature = new Int16Array(nNodes);
  const nodeNext = new Int32Array(nNodes);
  const thresholds64 = new Float64Array(nNodes);
  const leafRows: number[] = [];
  const leafIndex = new Map<string, number>();

  let next = 0;
  const hasOutputs = ir.trees[0].output !== null;
  const width = hasOutputs ? 1 : ir.nOutputs;
  ir.trees.forEach((tree, t) => {
    treeRoot[t] = next;
    // Preorder walk with an explicit stack: pushing right before left puts each left child
    // right after its parent, which is what the runtime assumes.
    const newIndex = new Int32Array(tree.childrenLeft.length);
    const stack = [0];
    const order: number[] = [];
    while (stack.length > 0) {
      const node = stack.pop() as number;
      newIndex[node] = next++;
      order.push(node);
      if (tree.childrenLeft[node] !== -1) {
        stack.push(tree.childrenRight[node], tree.childrenLeft[node]);
      }
    }
    for (const node of order) {
      const i = newIndex[node];
      if (tree.childrenLeft[node] === -1) {
        const row = Float32Array.from(leafRow(ir, tree.value, width, node));
        const key = Array.from(row).join(',');
        let rowIndex = leafIndex.get(key);
        if (rowIndex === undefined) {
          rowIndex = leafIndex.size;
          leafIndex.set(key, rowIndex);
          leafRows.push(...row);
        }
        nodeFeature[i] = LEAF;
        nodeNext[i] = rowIndex;
      } else {
        nodeFeature[i] = tree.feature[node];
        nodeNext[i] = newIndex[tree.childrenRight[node]];
        thresholds64[i] = tree.threshold[node];
      }
    }
  });

  let thresholdF32: Float32Array | null = null;
  let thresholdI16: Int16Array | null = null;
  let thresholdI8: Int8Array | null = null;
  let featureScale: Float32Array | null = null;
  if (featureType === 'float32') {
    thresholdF32 = new Float32Array(nNodes);
    for (let i = 0; i < nNodes; i++) {
      thresholdF32[i] = nodeFeature[i] === LEAF ? 0 : thresholdToFloat32(thresholds64[i]);
    }
  } else {
    const scales = featureScales(ir, featureType);
    const quantized = featureType === 'int16' ? new Int16Array(nNodes) : new Int8Array(nNodes);
    for (let i = 0; i < nNodes; i++) {
      quantized[i] =
        nodeFeature[i] === LEAF ? 0 : quantizeThreshold(thresholds64[i], scales[nodeFeature[i]], featureType);
    }
    featureScale = scales;
    if (quantized instanceof Int16Array) {
      thresholdI16 = quantized;
    } else {
      thresholdI8 = quantized;
    }
  }
  const leafValues = Float32Array.from(leafRows);
  const leafScale = leafType === 'uint8' ? 1 / 255 : 1;
  return {
    featureType,
    nFeatures: ir.nFeatures,
    nOutputs: ir.nOutputs,
    nTrees: ir.trees.length,
    nNodes,
    nLeafRows: leafIndex.size,
    treeRoot,
    nodeFeature,
    nodeNext,
    thresholdF32,
    thresholdI16,
    thresholdI8,
    featureScale,
    leafValues,
    combine: ir.combine,
    link: ir.link,
    linkParam: ir.linkParam,
    baseline: ir.combine === 'sum' ? Float32Array.from(ir.baseline) : null,
    treeOutput: hasOutputs ? Int16Array.from(ir.trees, tree => tree.output as number) : null,
    leafType,
    // Probabilities lie in [0, 1]: rounding to k/255 moves each by at most 1/510.
    leafU8: leafType === 'uint8' ? Uint8Array.from(leafValues, v => Math.round(v * 255)) : null,
    leafScale
  };
}

/**
 * Splits one prediction evaluates, on average over leaves: the sum over trees of the mean
 * leaf depth. Decides whether a quantized header quantizes every feature up front.
 */
export function expectedSplits(structure: ForestStructure): number {
  let total = 0;
  structure.meanLeafDepthPerTree.forEach(depth => (total += depth));
  return total;
}

/** Structure of the model for the widget's charts: per-tree sizes and leaf depths. */
export interface ForestStructure {
  nTrees: number;
  nodesPerTree: number[];
  leavesPerTree: number[];
  depthPerTree: number[];
  meanLeafDepthPerTree: number[];
  /** leafDepthCounts[d] = number of leaves at depth d, over all trees. */
  leafDepthCounts: number[];
  /** How many splits test each feature, over all trees. */
  splitsPerFeature: number[];
}

export function describeForest(ir: TreeEnsembleIR): ForestStructure {
  const structure: ForestStructure = {
    nTrees: ir.trees.length,
    nodesPerTree: [],
    leavesPerTree: [],
    depthPerTree: [],
    meanLeafDepthPerTree: [],
    leafDepthCounts: [],
    splitsPerFeature: new Array(ir.nFeatures).fill(0)
  };
  for (const tree of ir.trees) {
    let leaves = 0;
    let maxDepth = 0;
    let depthSum = 0;
    const stack: Array<[number, number]> = [[0, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [number, number];
      maxDepth = Math.max(maxDepth, depth);
      if (tree.childrenLeft[node] === -1) {
        leaves++;
        depthSum += depth;
        while (structure.leafDepthCounts.length <= depth) {
          structure.leafDepthCounts.push(0);
        }
        structure.leafDepthCounts[depth]++;
      } else {
        structure.splitsPerFeature[tree.feature[node]]++;
        stack.push([tree.childrenLeft[node], depth + 1], [tree.childrenRight[node], depth + 1]);
      }
    }
    structure.nodesPerTree.push(tree.childrenLeft.length);
    structure.leavesPerTree.push(leaves);
    structure.depthPerTree.push(maxDepth);
    structure.meanLeafDepthPerTree.push(depthSum / leaves);
  }
  return structure;
}

/** A split that quantization routes differently from scikit-learn for one row. */
export interface RoutingChange {
  row: number;
  tree: number;
  /** Node index in scikit-learn's tree_ arrays. */
  node: number;
  feature: number;
  value: number;
  threshold: number;
}

/**
 * For a quantized forest, the first split in each tree where a row leaves sklearn's path
 * (sklearn compares the float32 value widened to double with the float64 threshold). Rows
 * on the 1/scale grid never appear; others may when they lie between a threshold and the
 * next grid point. Empty for float32 forests, which route exactly.
 */
export function quantizedRoutingChanges(
  ir: TreeEnsembleIR,
  tables: ForestTables,
  x: Float32Array,
  nRows: number
): RoutingChange[] {
  const changes: RoutingChange[] = [];
  const scale = tables.featureScale;
  if (!scale || tables.featureType === 'float32') {
    return changes;
  }
  const featureType = tables.featureType;
  for (let row = 0; row < nRows; row++) {
    const base = row * ir.nFeatures;
    ir.trees.forEach((tree, t) => {
      let node = 0;
      while (tree.childrenLeft[node] !== -1) {
        const f = tree.feature[node];
        const value = x[base + f];
        const threshold = tree.threshold[node];
        const goesLeft = value <= threshold;
        const quantizedLeft = quantizeFeature(value, scale[f]) <= quantizeThreshold(threshold, scale[f], featureType);
        if (goesLeft !== quantizedLeft) {
          changes.push({ row, tree: t, node, feature: f, value, threshold });
          return;
        }
        node = goesLeft ? tree.childrenLeft[node] : tree.childrenRight[node];
      }
    });
  }
  return changes;
}
