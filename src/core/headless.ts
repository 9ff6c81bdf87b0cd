/**
 * The headless API: plain-JSON functions that the Python package calls inside an
 * embedded V8 (py_mini_racer), so convert/export/evaluate need neither a browser nor Node.
 * Every function takes and returns JSON strings; errors come back as {error, kind}
 * instead of exceptions, so Python can raise a clear exception of its own.
 */
import { compileModel, compareWithReference, CompileOptions, InputError, lowerModel, runOnDevice } from './compile';
import { decodeArray, encodeArray } from './encoding';
import { valueCount } from './forest';
import { IRError } from './ir';

type Json = Record<string, unknown>;

function guarded(fn: () => Json): string {
  try {
    return JSON.stringify({ ok: true, ...fn() });
  } catch (e) {
    const error = e as Error;
    return JSON.stringify({
      ok: false,
      kind: error instanceof IRError ? 'ir' : error.name || 'Error',
      error: error.message
    });
  }
}

/** compile(irJson, optionsJson) -> {header, size, structure, tables summary}. */
export function compile(irJson: string, optionsJson: string): string {
  return guarded(() => {
    const model = compileModel(JSON.parse(irJson), JSON.parse(optionsJson) as Partial<CompileOptions>);
    return {
      compiler_version: model.compilerVersion,
      options: model.options,
      strategy: model.strategy,
      header: model.header,
      size: model.size,
      structure: model.structure,
      tables: {
        n_trees: model.tables.nTrees,
        n_nodes: model.tables.nNodes,
        n_leaf_rows: model.tables.nLeafRows,
        feature_scale: model.tables.featureScale ? Array.from(model.tables.featureScale) : null,
        feature_offset: model.tables.featureOffset ? Array.from(model.tables.featureOffset) : null,
        leaf_scale: model.tables.leafScale,
        sklearn_nodes: model.tables.sharing.sklearnNodes,
        collapsed_splits: model.tables.sharing.collapsedSplits,
        shared_subtrees: model.tables.sharing.sharedSubtrees
      }
    };
  });
}

/**
 * run(irJson, optionsJson, inputJson): input is {x: EncodedArray float32 [n_rows, n_features],
 * reference?: {classes?: int32, values?: float64, truth?: int32}}. Returns the device output
 * as encoded arrays and the agreement report.
 */
export function run(irJson: string, optionsJson: string, inputJson: string): string {
  return guarded(() => {
    const model = lowerModel(JSON.parse(irJson), JSON.parse(optionsJson) as Partial<CompileOptions>);
    const input = JSON.parse(inputJson) as Json;
    const { array: x, shape } = decodeArray(input.x, 'float32', 'x');
    if (shape.length !== 2) {
      throw new InputError(`x: expected a 2-D array, got shape ${JSON.stringify(shape)}`);
    }
    if (shape[1] !== model.tables.nFeatures) {
      throw new InputError(`x has ${shape[1]} features per row, the model expects ${model.tables.nFeatures}`);
    }
    const device = runOnDevice(model, x, shape[0]);
    const ref = (input.reference ?? {}) as Json;
    const optional = (key: string, dtype: 'int32' | 'float64') =>
      ref[key] ? decodeArray(ref[key], dtype, `reference.${key}`).array : null;
    const report = compareWithReference(model, device, {
      classes: optional('classes', 'int32'),
      values: optional('values', 'float64'),
      truth: optional('truth', 'int32')
    });
    return {
      classes: encodeArray(device.classes),
      values: encodeArray(device.values, [shape[0], valueCount(model.tables)]),
      report
    };
  });
}
