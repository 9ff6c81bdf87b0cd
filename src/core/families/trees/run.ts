/** A forest on the C runtime's WebAssembly build: tml_wasm_forest_run through the model methods. */
import { WasmRuntime, packDescriptor } from '../../runtime/wasmRuntime';
import { runtimeCode } from '../../runtime/codes';
import { ForestTables, valueCount } from './lower';

export interface ForestOutput {
  /** Values per row (valueCount of them): probabilities, regression output or anomaly score. */
  values: Float32Array;
  /** Class index per row (classifiers; an isolation forest's 0 = outlier, 1 = inlier). */
  classes: Int32Array;
}

/**
 * Rows a tree walks before the next tree (tml_forest_raw_rows): their features (a few KB) and
 * the tree's nodes stay in cache. Below this many rows a run goes row by row, as a device
 * does: building the walk table would cost more than it saves.
 */
export const FOREST_BLOCK_ROWS = 64;

/**
 * Runs the forest on nRows rows of x (row-major float32); offset: an isolation forest's.
 * blockRows: rows per block of the tree-by-tree run, 0 for row by row (the same values).
 */
export function runForest(
  tables: ForestTables,
  x: Float32Array,
  nRows: number,
  offset = 0,
  blockRows = nRows >= FOREST_BLOCK_ROWS ? FOREST_BLOCK_ROWS : 0
): ForestOutput {
  const runtime = WasmRuntime.load();
  if (x.length !== nRows * tables.nFeatures) {
    throw new Error(`expected ${nRows} x ${tables.nFeatures} features, got ${x.length} values`);
  }
  const arena = runtime.arena();
  const descriptor = packDescriptor(
    arena,
    'forest',
    {
      n_features: tables.nFeatures,
      n_outputs: tables.nOutputs,
      n_trees: tables.nTrees,
      n_nodes: tables.nNodes,
      n_leaf_rows: tables.nLeafRows,
      tree_root: tables.treeRoot,
      node_feature: tables.nodeFeature,
      node_next: tables.nodeNext,
      node_threshold_f32: tables.thresholdF32,
      node_threshold_i16: tables.thresholdI16,
      feature_scale: tables.featureScale,
      leaf_values: tables.leafType === 'float32' ? tables.leafValues : null,
      combine: runtimeCode('combine', tables.combine),
      link: runtimeCode('link', tables.link),
      link_param: tables.linkParam,
      baseline: tables.baseline,
      tree_output: tables.treeOutput,
      leaf_u8: tables.leafU8,
      leaf_scale: tables.leafScale,
      node_threshold_i8: tables.thresholdI8,
      leaf_i16: tables.leafI16,
      feature_offset: tables.featureOffset,
      offset,
      node_missing_left: tables.nodeMissingLeft,
      category_bits: tables.categoryBits,
      n_category_sets: tables.nCategorySets,
      category_words: tables.categoryWords
    },
    { keep: true }
  );
  const descAt = arena.write(descriptor);
  const xAt = arena.write(x);
  const nValues = valueCount(tables);
  const valuesAt = arena.reserve(nRows * nValues * 4);
  const classesAt = arena.reserve(nRows * 4);
  const scratchBytes = runtime.exports.tml_wasm_forest_scratch(descAt, blockRows);
  const scratchAt = arena.reserve(scratchBytes);
  const status = runtime.exports.tml_wasm_forest_run(
    descAt,
    xAt,
    nRows,
    valuesAt,
    classesAt,
    scratchAt,
    scratchBytes,
    blockRows
  );
  runtime.check(status, 'the forest');
  return { values: runtime.floats(valuesAt, nRows * nValues), classes: runtime.ints(classesAt, nRows) };
}
