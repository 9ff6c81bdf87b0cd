/**
 * Nearest neighbours (family "neighbors"): KNeighborsClassifier and KNeighborsRegressor, a
 * brute-force search of the stored samples in float32 (c-runtime/include/tinyml/knn.h); a
 * pipeline's scalers or PCA may come first.
 */
import type { DeviceRun, Family, Lowered } from '../family';
import { NetTables } from '../nets/lower';
import { floatOnlyOptions, refuseQuantization } from '../float32Only';
import { lowerPreprocess, modelInput, preprocessDescriptorsInRamBytes } from '../preprocess';
import { emitNeighborsHeader } from './emit';
import { runNeighbors } from './run';
import { estimateNeighborsSize, neighborsCodeFactor, neighborsLibraries, neighborsOperations } from './estimate';
import { NeighborsIR, NeighborsStructure, describeNeighbors, parseNeighborsIR } from './ir';

/** Nearest neighbours run straight from their IR's float32 arrays. */
export type LoweredNeighbors = Lowered<NeighborsIR, NeighborsIR> & { pre: NetTables | null };

function run(model: LoweredNeighbors, x: Float32Array, nRows: number): DeviceRun {
  const out = runNeighbors(model.ir, modelInput(model.pre, x, nRows), nRows);
  return { nRows, routingChanges: [], classes: out.classes, values: out.values };
}

export const neighbors: Family<NeighborsIR, LoweredNeighbors, NeighborsStructure> = {
  id: 'neighbors',
  pipeline: 'preprocess-net',
  parse: parseNeighborsIR,
  exportOptions: floatOnlyOptions,
  optionLabel: ({ featureType }) => featureType,
  lower: (ir, options) => {
    refuseQuantization(ir.estimator, options);
    return { family: 'neighbors', ir, options, tables: ir, pre: lowerPreprocess(ir) };
  },
  describe: model => describeNeighbors(model.ir),
  emit: (model, _strategy, frame) => emitNeighborsHeader(model.ir, model.pre, frame),
  tablesSummary: (_model, structure) => ({ stored: structure.stored, stored_per_class: structure.storedPerClass }),
  size: model => estimateNeighborsSize(model.ir, model.ir.classes.map(String), model.pre),
  descriptorsInRamBytes: model => preprocessDescriptorsInRamBytes(model.pre),
  codeFactor: (_model, _strategy, profile) => neighborsCodeFactor(profile),
  libraries: model => neighborsLibraries(model.ir, model.pre),
  operations: model => neighborsOperations(model.ir, model.pre),
  acceptsNaN: () => false,
  valueCount: model => model.ir.nOutputs,
  run,
  referencePolicy: () => ({
    rel: 1e-5,
    abs: 1e-6,
    checked: false,
    why: "nearest neighbours: float32 distances can tie where float64 ones do not and swap a neighbour, so scikit-learn's answers are reported, not checked"
  }),
  classifierValues: () => 'predict_proba'
};
