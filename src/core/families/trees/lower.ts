/**
 * Lowers a tree-ensemble IR to the C runtime's tables (see c-runtime/include/tinyml/forest.h):
 * preorder node numbering, thresholds rounded the way scikit-learn compares them, optional
 * quantization of features and leaves, and de-duplication of what the device would store
 * twice: equal leaf rows, splits whose two sides are the same subtree, and subtrees that
 * several trees (or several places of one tree) reach as a right child or a root.
 */
import type { Lowered, RoutingChange } from '../family';
import type { FeatureType, LeafType } from '../../options';
import { OptionError } from '../../input';
import { runtimeCode } from '../../runtime/codes';
import { NodeTable, RowTable, float64Column, int32Column } from './intern';
import { Combine, Link, TreeEnsembleIR, TreeIR, goesLeft, isCategorical } from './ir';
import { FLOAT32_MAX, nextFloat32Down } from './float32';

export const LEAF = -1;
const INT16_MAX = 32767;
const INT16_MIN = -32768;
/** Largest whole-number zero point (TML_MAX_FEATURE_OFFSET): offset +- 32767 stays exact in float32. */
const MAX_FEATURE_OFFSET = 2 ** 23;
/** TML_MAX_I16_LEAF_TREES: int16 leaves add up in an int32. */
const MAX_I16_LEAF_TREES = 65536;
/** tml_quantize_i16's code for NaN: no other input reaches it. */
export const QUANTIZED_NAN = runtimeCode('quantized', 'nan');
/** What large inputs (and +inf) saturate to: one below NaN's code. */
const QUANTIZED_SATURATED = INT16_MAX - 1;
/**
 * Range of quantized thresholds per feature type. The top stays below the saturated code of
 * large inputs, so that saturated inputs still go right. Features are always quantized to
 * int16: int8 only narrows the thresholds (and so the scales), which halves their table.
 */
const THRESHOLD_RANGE: Record<'int16' | 'int8', { min: number; max: number }> = {
  int16: { min: INT16_MIN, max: QUANTIZED_SATURATED - 1 },
  int8: { min: -128, max: 126 }
};
/**
 * Most category rows a threshold slot can index (a categorical split stores its row there):
 * float32 holds whole numbers exactly below 2^24.
 */
const MAX_CATEGORY_SETS: Record<FeatureType, number> = { float32: 2 ** 24, int16: INT16_MAX + 1, int8: 128 };

/** node_feature code of a categorical split on feature f (TML_CATEGORICAL in forest.h). */
export function categoricalCode(feature: number): number {
  return -2 - feature;
}

/** The feature a split of node_feature code `code` tests, numeric or categorical. */
export function splitFeature(code: number): number {
  return code >= 0 ? code : -2 - code;
}

/** What de-duplication saved, for the header comment and the widget. */
export interface Sharing {
  /** Nodes in scikit-learn's trees. */
  sklearnNodes: number;
  /** Splits dropped because both sides were the same subtree (after quantization). */
  collapsedSplits: number;
  /** Subtrees stored once and reached from several places. */
  sharedSubtrees: number;
}

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
  /** Whole-number zero points of quantized features, or null when all are 0. */
  featureOffset: Float32Array | null;
  /** node_missing_left: bit (i & 7) of byte i >> 3 set where a NaN goes left at node i; null when none does. */
  nodeMissingLeft: Uint8Array | null;
  /** Rows of categoryWords uint32 words that categorical splits test (row index in the threshold slot), or null. */
  categoryBits: Uint32Array | null;
  nCategorySets: number;
  /** Words per category row: the most any tree uses, rows padded with their splits' missing direction. */
  categoryWords: number;
  /** The leaf rows' values as float32 (for uint8 and int16 leaves: what the stored rows mean). */
  leafValues: Float32Array;
  combine: Combine;
  link: Link;
  linkParam: number;
  /** Raw output before any tree (boosting), or null for zeros. */
  baseline: Float32Array | null;
  /** Output each tree feeds (its leaf rows have width 1), or null: every output. */
  treeOutput: Int16Array | null;
  leafType: LeafType;
  /** The leaf rows as uint8 (leafType uint8): value = u8 * leafScale. */
  leafU8: Uint8Array | null;
  /** The leaf values as int16 fixed point (leafType int16): value = i16 * leafScale. */
  leafI16: Int16Array | null;
  /** Factor that turns stored leaves back into values: 1/255, 2^-k, or 1 for float32. */
  leafScale: number;
  /**
   * The class scikit-learn's predict gives for each leaf row on its own (the first largest of
   * the row's float64 weights), when predict can use it: a single tree's predict is its leaf's
   * class, and a forest whose leaves are all pure votes (see voteCounting). Null otherwise.
   */
  leafClass: Int32Array | null;
  /** Every leaf of every tree holds a single class (one non-zero weight): see voteCounting. */
  pureLeaves: boolean;
  sharing: Sharing;
}

/** A tree ensemble lowered to its tables. */
export type LoweredForest = Lowered<TreeEnsembleIR, ForestTables>;

/** Values in a leaf row: 1 when each tree feeds one output. */
export function leafWidth(tables: Pick<ForestTables, 'treeOutput' | 'nOutputs'>): number {
  return tables.treeOutput ? 1 : tables.nOutputs;
}

/** Values per prediction: two probabilities from one log-odds, else one per raw output. */
export function valueCount(tables: Pick<ForestTables, 'link' | 'nOutputs'>): number {
  return tables.link === 'logistic' ? 2 : tables.nOutputs;
}

/** Leaf types a model can use: uint8 for averaged class probabilities, int16 for one value per leaf. */
export function leafTypesFor(ir: Pick<TreeEnsembleIR, 'task' | 'combine' | 'nOutputs' | 'trees'>): LeafType[] {
  if (ir.task === 'classification' && ir.combine === 'mean') {
    return ['float32', 'uint8'];
  }
  const oneValuePerLeaf = ir.nOutputs === 1 || ir.trees[0].output !== null;
  return oneValuePerLeaf && ir.trees.length <= MAX_I16_LEAF_TREES ? ['float32', 'int16'] : ['float32'];
}

/**
 * The largest float32 not above t. scikit-learn compares a float32 feature, widened to
 * double, with a double threshold; for float32 x that is the same as x <= this value.
 */
export function thresholdToFloat32(t: number): number {
  const rounded = Math.fround(t);
  return rounded > t ? nextFloat32Down(rounded) : rounded;
}

/** Per-feature quantization: q = floor(x * scale) - offset. */
export interface FeatureQuantization {
  scale: Float32Array;
  offset: Float32Array;
}

/**
 * Fits each feature's quantization to its split thresholds, which training placed between
 * the training values: the largest power-of-two scale whose threshold span fits the type's
 * range, and a whole-number offset that centres the span when it does not fit around 0.
 * A power of two makes x * scale exact in float32, so values on the 1/scale grid (integers
 * included) route exactly as in sklearn; inputs beyond the thresholds saturate and keep
 * their side of every split. An offset buys resolution for features far from 0 (a
 * temperature in kelvin, raw ADC counts); for a feature of one sign near 0 it would buy a
 * single bit, and the feature keeps offset 0.
 */
export function featureQuantization(ir: TreeEnsembleIR, featureType: 'int16' | 'int8' = 'int16'): FeatureQuantization {
  const { min, max } = THRESHOLD_RANGE[featureType];
  const lo = new Float64Array(ir.nFeatures).fill(Infinity);
  const hi = new Float64Array(ir.nFeatures).fill(-Infinity);
  const categorical = new Uint8Array(ir.nFeatures);
  for (const tree of ir.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      if (isCategorical(tree, i)) {
        categorical[tree.feature[i]] = 1;
      } else if (tree.childrenLeft[i] !== -1 && !sendsEveryValueLeft(tree.threshold[i])) {
        const f = tree.feature[i];
        lo[f] = Math.min(lo[f], tree.threshold[i]);
        hi[f] = Math.max(hi[f], tree.threshold[i]);
      }
    }
  }
  const scale = new Float32Array(ir.nFeatures).fill(1);
  const offset = new Float32Array(ir.nFeatures);
  for (let f = 0; f < ir.nFeatures; f++) {
    if (categorical[f]) {
      // scale 1, offset 0: q = floor(x) is the category; numeric splits on the feature must fit
      if (lo[f] <= hi[f] && (Math.floor(lo[f]) < min || Math.floor(hi[f]) > max)) {
        throw new OptionError(
          `feature ${f} has categorical splits, which quantize it with scale 1, and numeric thresholds ` +
            `(${lo[f]} ... ${hi[f]}) beyond ${featureType}'s range at that scale; export with float32 features`
        );
      }
      continue;
    }
    if (lo[f] > hi[f]) {
      continue; // no split tests this feature
    }
    // The largest exponent that fits, without and with an offset; exponents are clamped so
    // that scales stay normal float32 numbers.
    let plain = -40;
    let shifted = -40;
    let shiftedZero = 0;
    for (let k = 40; k > -40; k--) {
      const qLo = Math.floor(lo[f] * 2 ** k);
      const qHi = Math.floor(hi[f] * 2 ** k);
      if (qLo >= min && qHi <= max) {
        plain = k;
        break; // fits around 0: smaller exponents fit as well
      }
      const zero = qLo - min - Math.floor((max - min - (qHi - qLo)) / 2);
      if (shifted === -40 && qHi - qLo <= max - min && Math.abs(zero) <= MAX_FEATURE_OFFSET) {
        shifted = k;
        shiftedZero = zero;
      }
    }
    // An offset costs 4 bytes of flash: worth it when it gains two bits or more.
    const useOffset = shifted - plain >= 2;
    scale[f] = 2 ** (useOffset ? shifted : plain);
    offset[f] = useOffset ? shiftedZero : 0;
  }
  return { scale, offset };
}

/** The per-feature scales alone (see featureQuantization). */
export function featureScales(ir: TreeEnsembleIR, featureType: 'int16' | 'int8' = 'int16'): Float32Array {
  return featureQuantization(ir, featureType).scale;
}

/**
 * floor(t * scale) - offset, the quantized threshold. With features quantized as
 * floor(x * scale) - offset, q(x) <= tq holds exactly when x * scale < floor(t * scale) + 1:
 * inputs on the 1/scale grid and inputs equal to t route as in sklearn.
 */
export function quantizeThreshold(
  t: number,
  scale: number,
  featureType: 'int16' | 'int8' = 'int16',
  offset = 0
): number {
  if (sendsEveryValueLeft(t)) {
    // every input but NaN's code, saturated ones included, goes left (int8 cannot say it: see int8Refusal)
    return QUANTIZED_SATURATED;
  }
  const { min, max } = THRESHOLD_RANGE[featureType];
  return Math.max(min, Math.min(max, Math.floor(t * scale) - offset));
}

/**
 * A split at the largest float32 sends every value left and only NaN the other way (the
 * threshold +inf of scikit-learn's trees trained with NaN, which its reader writes so).
 */
function sendsEveryValueLeft(threshold: number): boolean {
  return threshold >= FLOAT32_MAX;
}

/**
 * Why int8 thresholds cannot hold this model, or null: a split that sends only NaN one way
 * needs a threshold above every input, which int16 has (the saturated code) and int8 has not.
 */
export function int8Refusal(ir: TreeEnsembleIR): string | null {
  for (const [t, tree] of ir.trees.entries()) {
    for (let i = 0; i < tree.threshold.length; i++) {
      if (tree.childrenLeft[i] !== -1 && !isCategorical(tree, i) && sendsEveryValueLeft(tree.threshold[i])) {
        return (
          `trees[${t}] node ${i} sends every value left and only NaN right (a split scikit-learn learns on data ` +
          'with NaN); int8 thresholds cannot lie above every input: export with int16 or float32 features'
        );
      }
    }
  }
  return null;
}

/** Mirrors tml_quantize_i16 in the C runtime: floor, subtract the offset, saturate below NaN's code. */
export function quantizeFeature(x: number, scale: number, offset = 0): number {
  const v = Math.fround(Math.fround(x) * scale);
  if (Number.isNaN(v)) {
    return QUANTIZED_NAN;
  }
  if (v >= offset + QUANTIZED_SATURATED) {
    return QUANTIZED_SATURATED;
  }
  if (v < offset - INT16_MAX) {
    return INT16_MIN;
  }
  return Math.floor(v) - offset;
}

/**
 * A leaf's row as the runtime adds it up: a forest classifier's class weights normalized
 * to sum 1 (as sklearn's DecisionTreeClassifier.predict_proba does), otherwise the value
 * times the tree scale (boosting's learning rate), computed in double as sklearn does.
 * Written into `row` when given (a caller's scratch: one allocation for all leaves).
 */
function leafRow(
  ir: TreeEnsembleIR,
  value: Float64Array,
  width: number,
  node: number,
  row = new Float64Array(width)
): Float64Array {
  const start = node * width;
  if (ir.task === 'classification' && ir.combine === 'mean') {
    let total = 0;
    for (let k = 0; k < width; k++) {
      total += value[start + k];
    }
    const divisor = total === 0 ? 1 : total;
    for (let k = 0; k < width; k++) {
      row[k] = value[start + k] / divisor;
    }
  } else {
    for (let k = 0; k < width; k++) {
      row[k] = value[start + k] * ir.treeScale;
    }
  }
  return row;
}

/**
 * Fixed-point scale for int16 leaves: the smallest 2^-k that still holds the largest leaf
 * value, so rounding moves each leaf by at most half of it.
 */
export function fixedPointScale(values: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < values.length; i++) {
    top = Math.max(top, Math.abs(values[i]));
  }
  if (top === 0) {
    return 1;
  }
  let k = Math.min(100, Math.floor(Math.log2(INT16_MAX / top)));
  while (k > -100 && Math.round(top * 2 ** k) > INT16_MAX) {
    k--; // guard against log2 rounding up
  }
  return 2 ** -k;
}

/** The largest |leaf value| of any tree, as leafRow gives it: what int16 leaves must hold. */
function largestLeaf(ir: TreeEnsembleIR, width: number): number {
  let top = 0;
  for (const tree of ir.trees) {
    for (let node = 0; node < tree.childrenLeft.length; node++) {
      if (tree.childrenLeft[node] === -1) {
        top = Math.max(top, Math.abs(leafRow(ir, tree.value, width, node)[0]));
      }
    }
  }
  return top;
}

/** values x scale as float32 (a loop: Float32Array.from with a map callback is several times slower). */
function scaled(values: Float64Array, scale: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] * scale;
  }
  return out;
}

/**
 * Each tree's nodes in depth-first preorder (parents before children): read backwards, the
 * order lowering interns them in, children first. Per parsed IR, as the Inspector lowers it
 * once per option.
 */
const preordersFound = new WeakMap<TreeEnsembleIR, Int32Array[]>();

function preorders(ir: TreeEnsembleIR): Int32Array[] {
  let orders = preordersFound.get(ir);
  if (!orders) {
    orders = ir.trees.map(tree => {
      const order = new Int32Array(tree.childrenLeft.length);
      let ordered = 0;
      const stack = [0];
      while (stack.length > 0) {
        const node = stack.pop() as number;
        order[ordered++] = node;
        if (tree.childrenLeft[node] !== -1) {
          stack.push(tree.childrenLeft[node], tree.childrenRight[node]);
        }
      }
      return order.subarray(0, ordered);
    });
    preordersFound.set(ir, orders);
  }
  return orders;
}

/** A forest's leaves as one leaf type stores them: the same whatever the feature type. */
interface StoredLeaves {
  /** Per tree, per node: the leaf's stored row (0 at splits). */
  rowOf: Int32Array[];
  /** The distinct stored rows, `width` values each, in the order lowering first meets them. */
  values: Float64Array;
  count: number;
  /** Classifiers: each row's class (sklearn's argmax), -2 where leaves sharing the row disagree; else empty. */
  rowClass: Int32Array;
  pureLeaves: boolean;
  leafScale: number;
}

/** Stored leaves per parsed IR and leaf type: the Inspector lowers each leaf type with every feature type. */
const leavesStored = new WeakMap<TreeEnsembleIR, Map<LeafType, StoredLeaves>>();

function storedLeaves(ir: TreeEnsembleIR, leafType: LeafType, width: number): StoredLeaves {
  const byLeafType = leavesStored.get(ir) ?? new Map<LeafType, StoredLeaves>();
  leavesStored.set(ir, byLeafType);
  let leaves = byLeafType.get(leafType);
  if (!leaves) {
    leaves = storeLeaves(ir, leafType, width);
    byLeafType.set(leafType, leaves);
  }
  return leaves;
}

/** Leaf rows in the form the device stores them; equal stored rows become one row. */
function storeLeaves(ir: TreeEnsembleIR, leafType: LeafType, width: number): StoredLeaves {
  const leafScale =
    leafType === 'uint8' ? 1 / 255 : leafType === 'int16' ? fixedPointScale([largestLeaf(ir, width)]) : 1;
  const rows = new RowTable(width);
  const stored = new Float64Array(width);
  const scratch = new Float64Array(width); // leafRow writes each leaf's row here: no allocation per leaf
  // Each stored row's class (sklearn's argmax of the float64 weights); -2 once two leaves
  // that share a stored row disagree (float32 rounding made two rows equal).
  const classifier = ir.task === 'classification' && ir.combine === 'mean' && ir.trees[0].output === null;
  const rowClass = int32Column();
  let pureLeaves = classifier;
  const orders = preorders(ir);
  // met in the order buildForestTables interns nodes: the rows' order is the header's
  const rowOf = ir.trees.map((tree, t) => {
    const ids = new Int32Array(tree.childrenLeft.length);
    const order = orders[t];
    for (let j = order.length - 1; j >= 0; j--) {
      const node = order[j];
      if (tree.childrenLeft[node] !== -1) {
        continue;
      }
      const row = leafRow(ir, tree.value, width, node, scratch);
      for (let k = 0; k < width; k++) {
        // float32 as the device adds them; else integers: probabilities as k/255 (within 1/510), or fixed point
        stored[k] = leafType === 'float32' ? Math.fround(row[k]) : Math.round(row[k] / leafScale);
      }
      const id = rows.intern(stored);
      ids[node] = id;
      if (classifier) {
        const { argmax, pure } = leafArgmax(tree.value, width, node);
        pureLeaves &&= pure;
        if (id === rowClass.length) {
          rowClass.push(argmax);
        } else if (rowClass.data[id] !== argmax) {
          rowClass.data[id] = -2;
        }
      }
    }
    return ids;
  });
  return {
    rowOf,
    values: rows.values.values(),
    count: rows.count,
    rowClass: rowClass.values(),
    pureLeaves,
    leafScale
  };
}

/** Stored value of one split threshold: what the C table holds for it. */
type ThresholdStore = (threshold: number, feature: number) => number;

function thresholdStore(
  ir: TreeEnsembleIR,
  featureType: FeatureType,
  quant: FeatureQuantization | null
): ThresholdStore {
  if (featureType === 'float32' || !quant) {
    return t => thresholdToFloat32(t);
  }
  return (t, f) => quantizeThreshold(t, quant.scale[f], featureType, quant.offset[f]);
}

export function buildForestTables(
  ir: TreeEnsembleIR,
  featureType: FeatureType,
  leafType: LeafType = 'float32'
): ForestTables {
  const refusal = featureType === 'int8' ? int8Refusal(ir) : null;
  if (refusal) {
    throw new OptionError(refusal);
  }
  if (!leafTypesFor(ir).includes(leafType)) {
    throw new OptionError(
      leafType === 'uint8'
        ? 'uint8 leaves store class probabilities: only forest classifiers (trees averaging probabilities) can ' +
            'use them; export with float32 leaves'
        : `int16 leaves hold one value per leaf: this ${ir.estimator} stores ${ir.nOutputs} per leaf ` +
            `(or has more than ${MAX_I16_LEAF_TREES} trees); use float32 or uint8 leaves`
    );
  }
  const hasOutputs = ir.trees[0].output !== null;
  const width = hasOutputs ? 1 : ir.nOutputs;
  const quant = featureType === 'float32' ? null : featureQuantization(ir, featureType);
  const storeThreshold = thresholdStore(ir, featureType, quant);

  const leaves = storedLeaves(ir, leafType, width);
  const { rowOf, leafScale } = leaves;

  // Category rows as the device stores them: every row as wide as the widest tree's, padded
  // with the split's missing direction (beyond a tree's row is "not a category"); equal rows
  // become one row.
  const categoryWords = ir.trees.reduce((most, tree) => Math.max(most, tree.categoryWords), 0);
  const categoryRows = new RowTable(Math.max(categoryWords, 1));
  const categoryRow = new Float64Array(categoryWords);
  const categoryRowOf = (tree: TreeIR, node: number, missingLeft: number): number => {
    const at = (tree.categorySet as Int32Array)[node] * tree.categoryWords;
    categoryRow.fill(missingLeft ? 0xffffffff : 0);
    categoryRow.set((tree.categoryBits as Uint32Array).subarray(at, at + tree.categoryWords));
    if (featureType !== 'float32') {
      checkQuantizedCategories(categoryRow, missingLeft);
    }
    return categoryRows.intern(categoryRow);
  };

  // Intern every subtree bottom-up (children before parents, iteratively: no recursion limit).
  const nodes = new NodeTable();
  let collapsedSplits = 0;
  const orders = preorders(ir);
  const rootIds = ir.trees.map((tree, t) => {
    const ids = new Int32Array(tree.childrenLeft.length);
    const order = orders[t];
    for (let j = order.length - 1; j >= 0; j--) {
      const node = order[j];
      if (tree.childrenLeft[node] === -1) {
        const row = rowOf[t][node];
        ids[node] = nodes.intern(LEAF, 0, row, row, 1);
        continue;
      }
      const left = ids[tree.childrenLeft[node]];
      const right = ids[tree.childrenRight[node]];
      if (left === right) {
        collapsedSplits++; // both sides reach the same leaves: the test decides nothing
        ids[node] = left;
        continue;
      }
      const f = tree.feature[node];
      const size = 1 + nodes.size.data[left] + nodes.size.data[right];
      const missingLeft = tree.missingLeft?.[node] ?? 0;
      ids[node] = isCategorical(tree, node)
        ? nodes.intern(categoricalCode(f), categoryRowOf(tree, node, missingLeft), left, right, size, missingLeft)
        : nodes.intern(f, storeThreshold(tree.threshold[node], f), left, right, size, missingLeft);
    }
    return ids[0];
  });
  if (categoryRows.count > MAX_CATEGORY_SETS[featureType] && categoryWords > 0) {
    throw new OptionError(
      `${categoryRows.count} distinct category sets: ${featureType} thresholds, which hold a categorical split's ` +
        `set, index at most ${MAX_CATEGORY_SETS[featureType]}; export with ${featureType === 'int8' ? 'int16 or float32' : 'float32'} features`
    );
  }
  const nodeFeatureOf = nodes.feature.data;
  const missingLeftOf = nodes.missingLeft.data;
  const nodeThresholdOf = nodes.threshold.data;
  const leftOf = nodes.left.data;
  const rightOf = nodes.right.data;
  const sizeOf = nodes.size.data;

  // Subtrees reached as a right child or a root from two or more places are stored once,
  // after the trees, largest first: a subtree only contains smaller ones, so every child
  // index stays above its parent's. Left children must sit right after their parent, so
  // a subtree reached as a left child is written out there.
  const references = new Int32Array(nodes.count);
  rootIds.forEach(id => references[id]++);
  for (let id = 0; id < nodes.count; id++) {
    if (nodeFeatureOf[id] !== LEAF) {
      references[rightOf[id]]++;
    }
  }
  const pooled: number[] = [];
  for (let id = 0; id < nodes.count; id++) {
    if (references[id] >= 2) {
      pooled.push(id);
    }
  }
  pooled.sort((a, b) => sizeOf[b] - sizeOf[a]);

  const nodeFeature = int32Column();
  const nodeNext = int32Column();
  const nodeMissingLeft = int32Column();
  const storedThreshold = float64Column();
  const poolIndex = new Map<number, number>(); // pooled id -> node index
  const pendingPoolLinks: Array<{ at: number; id: number }> = [];
  const isPooled = new Uint8Array(nodes.count);
  pooled.forEach(id => (isPooled[id] = 1));
  // Explicit-stack preorder (no recursion limit); a right child's index is known when it is written.
  const stackId = int32Column();
  const stackParent = int32Column();
  const write = (rootId: number): number => {
    const start = nodeFeature.length;
    stackId.push(rootId);
    stackParent.push(-1);
    while (stackId.length > 0) {
      const id = stackId.data[--stackId.length];
      const parent = stackParent.data[--stackParent.length];
      const at = nodeFeature.length;
      if (parent >= 0) {
        nodeNext.data[parent] = at; // this node is that parent's right child
      }
      const leaf = nodeFeatureOf[id] === LEAF;
      nodeFeature.push(nodeFeatureOf[id]);
      nodeMissingLeft.push(missingLeftOf[id]);
      storedThreshold.push(nodeThresholdOf[id]);
      nodeNext.push(leaf ? leftOf[id] : -1);
      if (leaf) {
        continue;
      }
      if (isPooled[rightOf[id]]) {
        pendingPoolLinks.push({ at, id: rightOf[id] });
      } else {
        stackId.push(rightOf[id]);
        stackParent.push(at);
      }
      stackId.push(leftOf[id]); // left child: the next node written
      stackParent.push(-1);
    }
    return start;
  };
  const treeRootList = rootIds.map(id => (isPooled[id] ? -1 : write(id)));
  for (const id of pooled) {
    poolIndex.set(id, write(id));
  }
  rootIds.forEach((id, t) => {
    if (isPooled[id]) {
      treeRootList[t] = poolIndex.get(id) as number;
    }
  });
  for (const { at, id } of pendingPoolLinks) {
    nodeNext.data[at] = poolIndex.get(id) as number;
  }
  const nNodes = nodeFeature.length;
  if (nNodes > 0x7fffffff) {
    throw new Error(`the forest has ${nNodes} nodes, more than int32 node indices can address`);
  }

  let thresholdF32: Float32Array | null = null;
  let thresholdI16: Int16Array | null = null;
  let thresholdI8: Int8Array | null = null;
  const thresholds = storedThreshold.data.subarray(0, nNodes);
  if (featureType === 'float32') {
    thresholdF32 = Float32Array.from(thresholds);
  } else if (featureType === 'int16') {
    thresholdI16 = Int16Array.from(thresholds);
  } else {
    thresholdI8 = Int8Array.from(thresholds);
  }
  const flatStored = leaves.values;
  const sklearnNodes = ir.trees.reduce((sum, tree) => sum + tree.childrenLeft.length, 0);
  return {
    featureType,
    nFeatures: ir.nFeatures,
    nOutputs: ir.nOutputs,
    nTrees: ir.trees.length,
    nNodes,
    nLeafRows: leaves.count,
    treeRoot: Int32Array.from(treeRootList),
    nodeFeature: Int16Array.from(nodeFeature.data.subarray(0, nNodes)),
    nodeNext: nodeNext.values(),
    thresholdF32,
    thresholdI16,
    thresholdI8,
    featureScale: quant ? quant.scale : null,
    featureOffset: quant && quant.offset.some(z => z !== 0) ? quant.offset : null,
    nodeMissingLeft: packBits(nodeMissingLeft.data.subarray(0, nNodes)),
    categoryBits:
      categoryWords > 0 ? Uint32Array.from(categoryRows.values.data.subarray(0, categoryRows.values.length)) : null,
    nCategorySets: categoryWords > 0 ? categoryRows.count : 0,
    categoryWords,
    leafValues: leafType === 'float32' ? Float32Array.from(flatStored) : scaled(flatStored, leafScale),
    combine: ir.combine,
    link: ir.link,
    linkParam: ir.linkParam,
    baseline: ir.combine === 'sum' ? Float32Array.from(ir.baseline) : null,
    treeOutput: hasOutputs ? Int16Array.from(ir.trees, tree => tree.output as number) : null,
    leafType,
    leafU8: leafType === 'uint8' ? Uint8Array.from(flatStored) : null,
    leafI16: leafType === 'int16' ? Int16Array.from(flatStored) : null,
    leafScale,
    ...leafClasses(ir, leaves.rowClass, leaves.pureLeaves),
    sharing: { sklearnNodes, collapsedSplits, sharedSubtrees: pooled.length }
  };
}

/**
 * The first largest weight of a leaf's raw row (scikit-learn's argmax: the first of equal
 * maxima), and whether the row is pure: a single non-zero weight, which normalizes to exactly
 * 1 and 0s. Normalizing divides every weight by the same positive total, which keeps their
 * order, so the argmax is also predict_proba's.
 */
function leafArgmax(value: Float64Array, width: number, node: number): { argmax: number; pure: boolean } {
  const start = node * width;
  let argmax = 0;
  let nonZero = 0;
  for (let k = 0; k < width; k++) {
    nonZero += value[start + k] !== 0 ? 1 : 0;
    if (value[start + k] > value[start + argmax]) {
      argmax = k;
    }
  }
  return { argmax, pure: nonZero === 1 };
}

/** leafClass and pureLeaves of ForestTables, from the classes of the stored rows. */
function leafClasses(
  ir: TreeEnsembleIR,
  rowClass: Int32Array,
  pureLeaves: boolean
): Pick<ForestTables, 'leafClass' | 'pureLeaves'> {
  const usable = rowClass.length > 0 && rowClass.every(c => c >= 0) && (ir.trees.length === 1 || pureLeaves);
  return { leafClass: usable ? Int32Array.from(rowClass) : null, pureLeaves: usable && pureLeaves };
}

/**
 * Whether a forest's predict may count votes: every leaf is pure, so each tree's
 * predict_proba row is exactly one 1 and 0s. scikit-learn adds the trees' rows in float64
 * (whole numbers, exact) and divides by the tree count, the same divisor for every class,
 * so the mean's order and its ties are the vote counts'; np.argmax takes the first of equal
 * maxima, as tml_argmax_votes does. So the votes' argmax is scikit-learn's label, ties
 * included.
 */
export function voteCounting(tables: Pick<ForestTables, 'leafClass' | 'pureLeaves' | 'nTrees'>): boolean {
  return tables.leafClass !== null && tables.pureLeaves && tables.nTrees > 1;
}

/**
 * The packed tables of the generated table walk (emit.ts writes them, the estimate counts
 * them): splits only, each with its feature code, threshold and both children. A child (or a
 * tree's root) below nSplits is a split; from nSplits up it is leaf row (child - nSplits), so
 * leaves take no table space. Feature codes take 8 bits when they fit below 0xff (7 bits and
 * a flag for NaN-left splits when some split sends NaN left), else 16; children take 16 bits
 * when every split and leaf row fits. Null for forests with categorical splits, which the
 * runtime's general walk serves.
 */
export interface PackedSplits {
  feature: 'uint8_t' | 'int16_t';
  child: 'uint16_t' | 'int32_t';
  /** Added to a NaN-left split's feature code, or 0 when no split sends NaN left. */
  missingLeft: number;
  nSplits: number;
}

export function packedSplits(
  tables: Pick<ForestTables, 'nFeatures' | 'nNodes' | 'nLeafRows' | 'categoryBits' | 'nodeMissingLeft' | 'nodeFeature'>
): PackedSplits | null {
  const flagged = Boolean(tables.nodeMissingLeft);
  if (tables.categoryBits || (flagged && tables.nFeatures >= 0x4000)) {
    return null;
  }
  // a plain loop: every size estimate asks (72 for one Inspector), forEach's callback cost 10x
  let nSplits = 0;
  for (let i = 0; i < tables.nodeFeature.length; i++) {
    nSplits += tables.nodeFeature[i] === LEAF ? 0 : 1;
  }
  if (nSplits === 0) {
    return null; // trees of one leaf: C has no empty arrays, the runtime's tables serve them
  }
  const narrow = tables.nFeatures < (flagged ? 0x7f : 0xff);
  return {
    feature: narrow ? 'uint8_t' : 'int16_t',
    child: nSplits + tables.nLeafRows <= 0xffff ? 'uint16_t' : 'int32_t',
    missingLeft: flagged ? (narrow ? 0x80 : 0x4000) : 0,
    nSplits
  };
}

/** The packed tables' contents (packedSplits): split codes, thresholds, children and roots. */
export function packSplits(
  tables: ForestTables,
  packed: PackedSplits
): { feature: Int32Array; threshold: number[]; left: Int32Array; right: Int32Array; root: Int32Array } {
  const splitIndex = new Int32Array(tables.nNodes);
  let n = 0;
  tables.nodeFeature.forEach((code, i) => (splitIndex[i] = code === LEAF ? -1 : n++));
  const ref = (node: number): number =>
    tables.nodeFeature[node] === LEAF ? packed.nSplits + tables.nodeNext[node] : splitIndex[node];
  const thresholds = (tables.thresholdF32 ?? tables.thresholdI16 ?? tables.thresholdI8) as ArrayLike<number>;
  const feature = new Int32Array(packed.nSplits);
  const threshold: number[] = [];
  const left = new Int32Array(packed.nSplits);
  const right = new Int32Array(packed.nSplits);
  for (let i = 0; i < tables.nNodes; i++) {
    const k = splitIndex[i];
    if (k < 0) {
      continue;
    }
    feature[k] = tables.nodeFeature[i] + (missingGoesLeft(tables, i) ? packed.missingLeft : 0);
    threshold.push(thresholds[i]);
    left[k] = ref(i + 1);
    right[k] = ref(tables.nodeNext[i]);
  }
  return { feature, threshold, left, right, root: Int32Array.from(tables.treeRoot, ref) };
}

/** Whether a NaN goes left at stored node i (its bit of nodeMissingLeft). */
export function missingGoesLeft(tables: Pick<ForestTables, 'nodeMissingLeft'>, i: number): boolean {
  return tables.nodeMissingLeft !== null && ((tables.nodeMissingLeft[i >> 3] >> (i & 7)) & 1) === 1;
}

/** Flags as the bytes of a bit table (bit i & 7 of byte i >> 3), or null when no flag is set. */
function packBits(flags: Int32Array): Uint8Array | null {
  if (!flags.some(flag => flag !== 0)) {
    return null;
  }
  const bytes = new Uint8Array((flags.length + 7) >> 3);
  flags.forEach((flag, i) => (bytes[i >> 3] |= flag << (i & 7)));
  return bytes;
}

/**
 * Quantized inputs saturate at QUANTIZED_SATURATED, which the device reads as "not a
 * category": categories from there up must take the split's missing direction already.
 */
function checkQuantizedCategories(row: Float64Array, missingLeft: number): void {
  for (let c = QUANTIZED_SATURATED; c < 32 * row.length; c++) {
    if (((row[c >>> 5] >>> (c & 31)) & 1) !== missingLeft) {
      throw new OptionError(
        `category ${c} cannot be told apart from larger inputs, which int16 features saturate; export with float32 features`
      );
    }
  }
}

/**
 * Per lowered forest, what treeNodes walks with, reused from one call to the next (a Set and
 * growing arrays per tree cost a large forest's inline size estimate 30 ms and more): which
 * call last reached each node, the walk's stack, and the nodes reached.
 */
const treeWalks = new WeakMap<
  ForestTables,
  { call: number; byNode: Int32Array; stack: Int32Array; reached: Int32Array }
>();

/**
 * Nodes that tree t reaches, in ascending order: the order inline code writes them in (a
 * left child is always the next one). With shared subtrees a tree's nodes need not be
 * contiguous, and a node may belong to several trees.
 */
export function treeNodes(tables: ForestTables, t: number): Int32Array {
  let walk = treeWalks.get(tables);
  if (!walk) {
    const n = tables.nodeFeature.length;
    // a visited split pops one entry and pushes two: the stack never holds more than n + 1
    walk = { call: 0, byNode: new Int32Array(n), stack: new Int32Array(n + 1), reached: new Int32Array(n) };
    treeWalks.set(tables, walk);
  }
  const { byNode, stack, reached } = walk;
  const call = ++walk.call;
  let depth = 0;
  let count = 0;
  stack[depth++] = tables.treeRoot[t];
  while (depth > 0) {
    const i = stack[--depth];
    if (byNode[i] === call) {
      continue;
    }
    byNode[i] = call;
    reached[count++] = i;
    if (tables.nodeFeature[i] !== LEAF) {
      stack[depth++] = i + 1;
      stack[depth++] = tables.nodeNext[i];
    }
  }
  return reached.slice(0, count).sort();
}

/**
 * Splits one prediction evaluates, on average over leaves: the sum over trees of the mean
 * leaf depth. Decides whether a quantized header quantizes every feature up front.
 */
export function expectedSplits(structure: ForestStructure): number {
  let total = 0;
  (structure.pathDepthPerTree ?? structure.meanLeafDepthPerTree).forEach(depth => (total += depth));
  return total;
}

/** Structure of the model for the widget's charts: per-tree sizes and leaf depths. */
export interface ForestStructure {
  nTrees: number;
  nodesPerTree: number[];
  leavesPerTree: number[];
  depthPerTree: number[];
  meanLeafDepthPerTree: number[];
  /**
   * Splits a row is expected to visit per tree: the leaves' depths weighted by the training
   * samples that reached them where the IR has node_samples (lopsided trees, whose big leaves
   * sit near the root); absent without node_samples: then every leaf is taken as equally
   * likely (meanLeafDepthPerTree).
   */
  pathDepthPerTree?: number[];
  /** leafDepthCounts[d] = number of leaves at depth d, over all trees. */
  leafDepthCounts: number[];
  /** How many splits test each feature, over all trees. */
  splitsPerFeature: number[];
  /** Splits that send NaN left (missing_left); absent when none does. */
  missingLeftSplits?: number;
  /** Categorical splits (category_set); absent when none is. */
  categoricalSplits?: number;
}

/**
 * Structures described so far, per parsed IR (which nothing changes once parsed): the size
 * and cycle estimates ask for it once per option and target, 72 times for one Inspector.
 */
const described = new WeakMap<TreeEnsembleIR, ForestStructure>();

export function describeForest(ir: TreeEnsembleIR): ForestStructure {
  let structure = described.get(ir);
  if (!structure) {
    structure = walkForest(ir);
    described.set(ir, structure);
  }
  return structure;
}

function walkForest(ir: TreeEnsembleIR): ForestStructure {
  const structure: ForestStructure = {
    nTrees: ir.trees.length,
    nodesPerTree: [],
    leavesPerTree: [],
    depthPerTree: [],
    meanLeafDepthPerTree: [],
    leafDepthCounts: [],
    splitsPerFeature: new Array(ir.nFeatures).fill(0)
  };
  let missingLeftSplits = 0;
  let categoricalSplits = 0;
  const pathDepths: number[] = [];
  for (const tree of ir.trees) {
    let leaves = 0;
    let maxDepth = 0;
    let depthSum = 0;
    let weightedDepthSum = 0;
    let leafSamples = 0;
    const stack: Array<[number, number]> = [[0, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [number, number];
      maxDepth = Math.max(maxDepth, depth);
      if (tree.childrenLeft[node] === -1) {
        leaves++;
        depthSum += depth;
        const samples = tree.nodeSamples?.[node] ?? 0;
        weightedDepthSum += samples * depth;
        leafSamples += samples;
        while (structure.leafDepthCounts.length <= depth) {
          structure.leafDepthCounts.push(0);
        }
        structure.leafDepthCounts[depth]++;
      } else {
        structure.splitsPerFeature[tree.feature[node]]++;
        missingLeftSplits += tree.missingLeft?.[node] ?? 0;
        categoricalSplits += isCategorical(tree, node) ? 1 : 0;
        stack.push([tree.childrenLeft[node], depth + 1], [tree.childrenRight[node], depth + 1]);
      }
    }
    structure.nodesPerTree.push(tree.childrenLeft.length);
    structure.leavesPerTree.push(leaves);
    structure.depthPerTree.push(maxDepth);
    structure.meanLeafDepthPerTree.push(depthSum / leaves);
    pathDepths.push(leafSamples > 0 ? weightedDepthSum / leafSamples : depthSum / leaves);
  }
  // only when there are some: the structure of other forests stays as it was
  if (ir.trees.some(tree => tree.nodeSamples !== null)) {
    structure.pathDepthPerTree = pathDepths;
  }
  if (missingLeftSplits > 0) {
    structure.missingLeftSplits = missingLeftSplits;
  }
  if (categoricalSplits > 0) {
    structure.categoricalSplits = categoricalSplits;
  }
  return structure;
}

/** Routing changes found so far, per IR: options that quantize alike (leaf types, code forms) share them. */
const routingFound = new WeakMap<
  TreeEnsembleIR,
  Array<{
    x: Float32Array;
    nRows: number;
    featureType: FeatureType;
    scale: Float32Array;
    offset: Float32Array | null;
    changes: RoutingChange[];
  }>
>();

const sameNumbers = (a: Float32Array | null, b: Float32Array | null) =>
  a === b || (a !== null && b !== null && a.length === b.length && a.every((v, i) => Object.is(v, b[i])));

/**
 * For a quantized forest, the first split in each tree where a row leaves sklearn's path
 * (sklearn compares the float32 value widened to double with the float64 threshold). Rows
 * on the 1/scale grid never appear; others may when they lie between a threshold and the
 * next grid point. Empty for float32 forests, which route exactly. The routes depend on the
 * feature quantization alone: the Inspector's options that share it (leaf types) are walked once.
 */
export function quantizedRoutingChanges(
  ir: TreeEnsembleIR,
  tables: ForestTables,
  x: Float32Array,
  nRows: number
): RoutingChange[] {
  const scale = tables.featureScale;
  if (!scale || tables.featureType === 'float32') {
    return [];
  }
  const found = routingFound.get(ir) ?? [];
  routingFound.set(ir, found);
  const known = found.find(
    f =>
      f.x === x &&
      f.nRows === nRows &&
      f.featureType === tables.featureType &&
      sameNumbers(f.scale, scale) &&
      sameNumbers(f.offset, tables.featureOffset)
  );
  if (known) {
    return known.changes;
  }
  const changes = walkQuantizedRoutes(ir, tables.featureType, scale, tables.featureOffset, x, nRows);
  found.push({ x, nRows, featureType: tables.featureType, scale, offset: tables.featureOffset, changes });
  return changes;
}

function walkQuantizedRoutes(
  ir: TreeEnsembleIR,
  featureType: 'int16' | 'int8',
  scale: Float32Array,
  featureOffset: Float32Array | null,
  x: Float32Array,
  nRows: number
): RoutingChange[] {
  const changes: RoutingChange[] = [];
  const offsetOf = (f: number) => (featureOffset ? featureOffset[f] : 0);
  // Each split's quantized threshold once, and each row's quantized features once: the walk
  // below visits rows x trees x depth splits.
  const quantizedThresholds = ir.trees.map(tree => {
    const q = new Float64Array(tree.childrenLeft.length);
    for (let node = 0; node < q.length; node++) {
      if (tree.childrenLeft[node] !== -1 && !isCategorical(tree, node)) {
        const f = tree.feature[node];
        q[node] = quantizeThreshold(tree.threshold[node], scale[f], featureType, offsetOf(f));
      }
    }
    return q;
  });
  // Every row's quantized features once; rows with a NaN take the general test (goesLeft).
  const quantizedRows = new Float64Array(nRows * ir.nFeatures);
  const rowHasNaN = new Uint8Array(nRows);
  for (let i = 0; i < quantizedRows.length; i++) {
    const f = i % ir.nFeatures;
    quantizedRows[i] = quantizeFeature(x[i], scale[f], offsetOf(f));
    rowHasNaN[(i - f) / ir.nFeatures] |= Number.isNaN(x[i]) ? 1 : 0;
  }
  // tree by tree, every row through it: one tree's arrays stay in the cache (row by row, a
  // large forest's arrays were read from memory again for every row)
  for (let t = 0; t < ir.trees.length; t++) {
    const tree = ir.trees[t];
    const { childrenLeft, childrenRight, feature, threshold } = tree;
    const quantized = quantizedThresholds[t];
    for (let row = 0; row < nRows; row++) {
      const base = row * ir.nFeatures;
      // categories (whole numbers at scale 1) and NaN (its own code) route exactly
      const exact = tree.categorySet !== null || rowHasNaN[row] === 1;
      let node = 0;
      while (childrenLeft[node] !== -1) {
        const f = feature[node];
        const value = x[base + f];
        let left: boolean;
        if (exact && (isCategorical(tree, node) || Number.isNaN(value))) {
          left = goesLeft(tree, node, value);
        } else {
          left = value <= threshold[node];
          if (left !== quantizedRows[base + f] <= quantized[node]) {
            changes.push({ row, tree: t, node, feature: f, value, threshold: threshold[node] });
            break;
          }
        }
        node = left ? childrenLeft[node] : childrenRight[node];
      }
    }
  }
  // in row order, as a reader of the report goes through them
  changes.sort((a, b) => a.row - b.row || a.tree - b.tree);
  return changes;
}
