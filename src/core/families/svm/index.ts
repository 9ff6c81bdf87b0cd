/**
 * Support vector machines (family "svm"): SVC, NuSVC, SVR, NuSVR and OneClassSVM with linear,
 * RBF, polynomial and sigmoid kernels, in float32 (c-runtime/include/tinyml/svm.h); a
 * pipeline's scalers or PCA may come first.
 */
import type { DeviceRun, Family, Lowered } from '../family';
import { FLOAT32_VS_FLOAT64 } from '../family';
import { NetTables } from '../nets/lower';
import { floatOnlyOptions, refuseQuantization } from '../float32Only';
import { lowerPreprocess, modelInput, preprocessDescriptorsInRamBytes } from '../preprocess';
import { emitSvmHeader } from './emit';
import { runSvm } from './run';
import { estimateSvmSize, svmCodeFactor, svmLibraries, svmOperations } from './estimate';
import { SvmIR, SvmStructure, describeSvm, parseSvmIR, svmValueCount } from './ir';

/** SVMs run straight from their IR's float32 arrays. */
export type LoweredSvm = Lowered<SvmIR, SvmIR> & { pre: NetTables | null };

/** The runtime's methods give what scikit-learn's do (anomaly classes: 0 = outlier, 1 = inlier). */
function run(model: LoweredSvm, x: Float32Array, nRows: number): DeviceRun {
  const out = runSvm(model.ir, modelInput(model.pre, x, nRows), nRows);
  return { nRows, routingChanges: [], classes: out.classes, values: out.values };
}

export const svm: Family<SvmIR, LoweredSvm, SvmStructure> = {
  id: 'svm',
  pipeline: 'preprocess-net',
  parse: parseSvmIR,
  exportOptions: floatOnlyOptions,
  optionLabel: ({ featureType }) => featureType,
  lower: (ir, options) => {
    refuseQuantization(ir.estimator, options);
    return { family: 'svm', ir, options, tables: ir, pre: lowerPreprocess(ir) };
  },
  describe: model => describeSvm(model.ir),
  emit: (model, _strategy, frame) => emitSvmHeader(model.ir, model.pre, frame),
  tablesSummary: (_model, structure) => ({ stored: structure.stored, stored_per_class: structure.storedPerClass }),
  size: model => estimateSvmSize(model.ir, model.ir.classes.map(String), model.pre),
  descriptorsInRamBytes: model => preprocessDescriptorsInRamBytes(model.pre),
  codeFactor: (_model, _strategy, profile) => svmCodeFactor(profile),
  libraries: model => svmLibraries(model.ir, model.pre),
  operations: model => svmOperations(model.ir, model.pre),
  acceptsNaN: () => false,
  valueCount: model => svmValueCount(model.ir),
  run,
  referencePolicy: () => ({
    rel: 1e-4,
    abs: 1e-6,
    checked: true,
    why: `${FLOAT32_VS_FLOAT64}, kernel sums over the support vectors: 1e-4 of the largest; labels exact`
  }),
  classifierValues: () => 'decision_function'
};
