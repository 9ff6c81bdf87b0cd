/**
 * Neural networks (family "neural_net"): scikit-learn MLPs, linear models as one dense layer,
 * pipelines of scalers in front of them, and Keras chain-shaped nets; float32, or int8 with
 * activation ranges the runtime measures on calibration rows (c-runtime/include/tinyml/net.h).
 */
import { runFeatureStage, stageInputs } from '../../features/stage';
import { InputError, checkFeatureMatrix } from '../../input';
import { CompileOptions } from '../../options';
import { OptionError } from '../../input';
import { DeviceRun, FLOAT32_VS_FLOAT64, Family, Lowered, ReferencePolicy } from '../family';
import { NetStructure, describeNet } from './describe';
import { emitNetHeader } from './emit';
import {
  estimateNetSize,
  netCodeFactor,
  netDescriptorsInRamBytes,
  netExtraInstructions,
  netLibraries,
  netOperations
} from './estimate';
import { NeuralNetIR, parseNeuralNetIR } from './ir';
import { NetTables, buildFloatNet, quantizeNet } from './lower';
import { runNet, traceNet } from './run';

export type LoweredNet = Lowered<NeuralNetIR, NetTables>;

const FEATURE_TYPES: Array<NetTables['featureType']> = ['float32', 'int8'];

/**
 * The float32 net, or the int8 one calibrated on options.calibration: the C runtime (its
 * WebAssembly build) runs the float32 net on those rows and reports each layer's range.
 */
function lowerNet(ir: NeuralNetIR, options: CompileOptions): { tables: NetTables; warnings: string[] } {
  if (!(FEATURE_TYPES as string[]).includes(options.featureType)) {
    throw new OptionError(`networks are exported as float32 or int8, not ${options.featureType}`);
  }
  if (options.leafType !== 'float32') {
    throw new OptionError('leaf types apply to tree models only: leave leafType at float32');
  }
  if (options.strategy === 'inline') {
    throw new OptionError(
      'the "inline" strategy applies to tree models only; networks use layer tables ("tables" or "auto")'
    );
  }
  const float = buildFloatNet(ir);
  if (options.featureType === 'float32') {
    const twin = ir.inputQuantization
      ? [
          "float32 from an int8 file: its dequantized weights in float32, without the file's activation " +
            'quantization, so outputs differ from the file\'s; dtype="int8" computes its integers'
        ]
      : [];
    return { tables: float, warnings: twin };
  }
  if (ir.inputQuantization) {
    // a quantized source (a .tflite file): its own integers, no ranges to measure
    const ignored = options.calibration?.length
      ? ["int8: the model's file gives its own quantization, which is used; the calibration rows are not"]
      : [];
    return { tables: quantizeNet(float, null, ir.inputQuantization), warnings: ignored };
  }
  let x = options.calibration;
  if (x && ir.featureStage && x.length % stageInputs(ir.featureStage) === 0) {
    x = runFeatureStage(ir.featureStage, x, x.length / stageInputs(ir.featureStage)); // raw windows in
  }
  if (!x || x.length === 0) {
    throw new InputError(
      'int8 needs representative input rows to measure activation ranges on: pass calibration ' +
        '(a few hundred training rows, e.g. calibration=X_train[:500])'
    );
  }
  const nRows = x.length / ir.nFeatures;
  checkFeatureMatrix(x, nRows, ir.nFeatures, 'calibration');
  const warnings = calibrationWarnings(x, nRows, ir.nFeatures);
  const trace = traceNet(float, x, nRows);
  let inputMin = Infinity;
  let inputMax = -Infinity;
  x.forEach(v => {
    inputMin = Math.min(inputMin, v);
    inputMax = Math.max(inputMax, v);
  });
  return { tables: quantizeNet(float, { rows: nRows, inputMin, inputMax, min: trace.min, max: trace.max }), warnings };
}

/**
 * Calibration rows that cannot stand for the inputs to come: all zero is refused (every range
 * would be zero-width, so any other input saturates); one row repeated is warned about.
 */
function calibrationWarnings(x: Float32Array, nRows: number, nFeatures: number): string[] {
  if (x.every(v => v === 0)) {
    throw new InputError(
      `int8 calibration: all ${nRows} row(s) are zeros, so the activation ranges measured on them are ` +
        'zero-width and every other input saturates; pass representative training rows (calibration=X_train[:500])'
    );
  }
  const first = x.subarray(0, nFeatures);
  const differing = (r: number): boolean => first.some((v, f) => x[r * nFeatures + f] !== v);
  for (let r = 1; r < nRows; r++) {
    if (differing(r)) {
      return [];
    }
  }
  return [
    `int8 calibration: ${nRows === 1 ? 'one row' : `all ${nRows} rows are the same row`}, so the activation ranges ` +
      'fit that input only and others may saturate; pass a few hundred representative training rows'
  ];
}

/** predict_proba through the runtime (one logistic output gives [1 - p, p]), else the outputs. */
function run(model: LoweredNet, x: Float32Array, nRows: number): DeviceRun {
  const out = runNet(model.tables, x, nRows, model.ir.output === 'probabilities');
  return { nRows, routingChanges: [], classes: out.classes, values: out.values };
}

function referencePolicy(model: LoweredNet): ReferencePolicy {
  if (model.tables.featureType === 'int8' && model.ir.inputQuantization) {
    return {
      rel: 0,
      abs: 1e-7,
      checked: true,
      why: "int8 from a quantized file: the file's own integers, the same as TensorFlow Lite Micro's reference kernels compute them (outputs compared dequantized: equal)"
    };
  }
  if (model.tables.featureType === 'int8') {
    return {
      rel: 1e-5,
      abs: 1e-5,
      checked: false,
      why: "int8 network: quantization changes outputs by design (tinyml_lab.evaluate reports the accuracy it costs), so scikit-learn's answers are reported, not checked; the wasm runtime set checks the device bit for bit where the integers decide"
    };
  }
  return {
    rel: 1e-5,
    abs: 1e-5,
    checked: true,
    why: `${FLOAT32_VS_FLOAT64}: outputs within 1e-5 (plus 1e-5 of the largest); labels exact`
  };
}

export const nets: Family<NeuralNetIR, LoweredNet, NetStructure> = {
  id: 'neural_net',
  pipeline: 'layers',
  parse: parseNeuralNetIR,
  exportOptions: () => ({ featureTypes: FEATURE_TYPES, strategies: ['tables'], leafTypes: ['float32'] }),
  optionLabel: ({ featureType }) => featureType, // one code form, no leaves
  lower: (ir, options) => ({ family: 'neural_net', ir, options, ...lowerNet(ir, options) }),
  describe: model => describeNet(model.tables),
  emit: (model, _strategy, frame) => emitNetHeader(model.ir, model.tables, frame),
  tablesSummary: model => {
    const t = model.tables;
    return {
      n_layers: t.layers.length,
      arena_bytes: t.arenaBytes,
      layers: t.layers.map(l => ({
        name: l.name,
        kind: l.kind,
        activation: l.activation,
        out_shape: l.outShape,
        in_scale: l.inScale,
        in_zero: l.inZero,
        out_scale: l.outScale,
        out_zero: l.outZero
      })),
      calibration: t.calibration
        ? { rows: t.calibration.rows, min: Array.from(t.calibration.min), max: Array.from(t.calibration.max) }
        : null
    };
  },
  size: model => estimateNetSize(model.tables, model.ir.classes.map(String)),
  // a one-layer float32 net's descriptor folds into its inlined code; an int8 one's does not
  descriptorsInRamBytes: model => netDescriptorsInRamBytes(model.tables, model.tables.featureType !== 'int8'),
  codeFactor: (model, _strategy, profile) => netCodeFactor(model.tables, profile),
  libraries: model => netLibraries(model.tables),
  operations: model => netOperations(model.tables),
  extraInstructions: (model, profile) => netExtraInstructions(model.tables, profile),
  estimatedInstructions: model => describeNet(model.tables).estimatedInstructions,
  acceptsNaN: () => false,
  valueCount: model => (model.ir.output === 'probabilities' && model.ir.nOutputs === 1 ? 2 : model.ir.nOutputs),
  run,
  referencePolicy,
  classifierValues: model => (model.ir.output === 'decision' ? 'decision_function' : 'predict_proba')
};
