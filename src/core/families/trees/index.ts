/**
 * Tree ensembles (family "tree_ensemble"): scikit-learn's decision trees, random forests,
 * extra trees, gradient boosting and isolation forests, as const node tables walked by the
 * runtime (c-runtime/include/tinyml/forest.h) or as inline if/goto code per tree.
 */
import { formatFloat32 } from '../../emit/frame';
import { InputError } from '../../input';
import { CODE_STRATEGIES, FEATURE_TYPES } from '../../options';
import type { DeviceRun, Family, ReferencePolicy } from '../family';
import { emitForestHeader } from './emit';
import { runForest } from './run';
import { estimateForestSize, forestCodeFactor, forestLibraries, forestOperations } from './estimate';
import { MAX_FEATURES, TreeEnsembleIR, parseTreeEnsembleIR } from './ir';
import {
  ForestStructure,
  ForestTables,
  LoweredForest,
  buildForestTables,
  describeForest,
  int8Refusal,
  leafTypesFor,
  quantizedRoutingChanges,
  valueCount
} from './lower';

const LEAF_LABELS = { float32: '', uint8: ' · u8 leaves', int16: ' · i16 leaves' };

/**
 * int16 leaves hold k * 2^-n with n at most 100: leaves far below 1 (1e-30, say) get steps
 * coarser than int16 would allow. Warn when a step exceeds 2^-14 of the largest leaf (int16's
 * own resolution is 2^-15); refuse when every leaf rounds to zero.
 */
function leafPrecisionWarnings(ir: TreeEnsembleIR, tables: ForestTables): string[] {
  if (tables.leafType !== 'int16') {
    return [];
  }
  let largest = 0;
  for (const tree of ir.trees) {
    const width = tree.value.length / tree.childrenLeft.length;
    tree.childrenLeft.forEach((left, i) => {
      for (let k = 0; left === -1 && k < width; k++) {
        largest = Math.max(largest, Math.abs(tree.value[i * width + k] * ir.treeScale));
      }
    });
  }
  if (largest > 0 && largest < tables.leafScale / 2) {
    throw new InputError(
      `int16 leaves cannot hold these leaf values: the largest is ${largest.toExponential(2)}, below half the ` +
        `smallest step (${tables.leafScale.toExponential(2)}), so every leaf would be 0; use leaf_dtype="float32" ` +
        'or rescale the target before fitting'
    );
  }
  const relativeStep = largest > 0 ? tables.leafScale / largest : 0;
  if (relativeStep <= 2 ** -14) {
    return [];
  }
  return [
    `int16 leaves: the largest leaf is ${largest.toExponential(2)}, too small for full int16 precision ` +
      `(steps of ${tables.leafScale.toExponential(2)}): each leaf moves by up to ${((relativeStep / 2) * 100).toPrecision(2)}% ` +
      'of the largest; use leaf_dtype="float32" or rescale the target before fitting'
  ];
}

/** The runtime's methods give scikit-learn's answers (isolation forests: 0 = outlier, 1 = inlier). */
function run(model: LoweredForest, x: Float32Array, nRows: number): DeviceRun {
  const offset = model.ir.task === 'anomaly' ? model.ir.offset : 0;
  const out = runForest(model.tables, x, nRows, offset);
  return {
    nRows,
    routingChanges: quantizedRoutingChanges(model.ir, model.tables, x, nRows),
    classes: out.classes,
    values: out.values
  };
}

/** What scikit-learn's answers may be compared to: the claims of the README. */
function referencePolicy(model: LoweredForest): ReferencePolicy {
  const t = model.tables;
  if (t.featureType !== 'float32') {
    return {
      rel: 1e-5,
      abs: 1e-6,
      checked: false,
      why: `${t.featureType} features: an input strictly between a threshold and the next grid point of its feature may take the other branch (tinyml_lab.evaluate lists these routing changes), so scikit-learn's answers are reported, not checked`
    };
  }
  if (t.leafType === 'uint8') {
    return {
      rel: 0,
      abs: 1 / 510 + 1e-6,
      checked: false,
      why: 'uint8 leaves: each probability within 1/510, and a label may change where the top two classes are within 1/255, so reported, not checked'
    };
  }
  if (t.leafType === 'int16') {
    // Each stored leaf is within half a step; a sum moves by that per tree, a mean by it once;
    // the links (logistic, softmax, isolation) have slopes below 1.
    const bound = ((t.combine === 'sum' ? t.nTrees : 1) * t.leafScale) / 2;
    return {
      rel: 1e-5,
      abs: bound + 1e-6,
      checked: true,
      why: `int16 fixed-point leaves: half a step (${formatFloat32(Math.fround(t.leafScale / 2))}) per ${t.combine === 'sum' ? 'tree summed' : 'mean'}, plus float32 rounding (1e-5 relative); labels exact`
    };
  }
  return {
    rel: 1e-5,
    abs: 1e-6,
    checked: true,
    why: `float32 sums of the leaf values: 1e-5 relative; labels exact (the splits are exactly scikit-learn's on float32 inputs)`
  };
}

export const trees: Family<TreeEnsembleIR, LoweredForest, ForestStructure> = {
  id: 'tree_ensemble',
  maxFeatures: MAX_FEATURES,
  pipeline: 'none',
  parse: parseTreeEnsembleIR,
  exportOptions: ir => ({
    featureTypes: int8Refusal(ir) ? FEATURE_TYPES.filter(type => type !== 'int8') : FEATURE_TYPES,
    strategies: CODE_STRATEGIES,
    leafTypes: leafTypesFor(ir)
  }),
  optionLabel: ({ featureType, strategy, leafType }) => `${featureType} · ${strategy}${LEAF_LABELS[leafType]}`,
  lower: (ir, options) => {
    const tables = buildForestTables(ir, options.featureType, options.leafType);
    return { family: 'tree_ensemble', ir, options, tables, warnings: leafPrecisionWarnings(ir, tables) };
  },
  describe: model => describeForest(model.ir),
  emit: (model, strategy, frame, structure) =>
    emitForestHeader(model.ir, model.tables, structure, { ...frame, strategy }),
  tablesSummary: model => {
    const t = model.tables;
    return {
      n_trees: t.nTrees,
      n_nodes: t.nNodes,
      n_leaf_rows: t.nLeafRows,
      feature_scale: t.featureScale ? Array.from(t.featureScale) : null,
      feature_offset: t.featureOffset ? Array.from(t.featureOffset) : null,
      leaf_scale: t.leafScale,
      sklearn_nodes: t.sharing.sklearnNodes,
      collapsed_splits: t.sharing.collapsedSplits,
      shared_subtrees: t.sharing.sharedSubtrees
    };
  },
  size: (model, strategy) => estimateForestSize(model.tables, model.ir.classes.map(String), strategy),
  codeFactor: forestCodeFactor,
  libraries: forestLibraries,
  operations: forestOperations,
  // every split has a direction for NaN: learned (missing_left) or, without one, right (NaN <= t is false)
  acceptsNaN: () => true,
  valueCount: model => valueCount(model.tables),
  run,
  referencePolicy,
  classifierValues: () => 'predict_proba'
};
