/**
 * The quantization trade-off: every export option the compiler offers, its estimated flash
 * and RAM, and how far the C runtime's output moves from the reference on the user's data.
 */
import {
  AgreementReport,
  DeviceRun,
  FEATURE_TYPES,
  LoweredModel,
  LoweredNet,
  featureTypesFor,
  Reference,
  compareWithReference,
  lowerParsed,
  runOnDevice
} from './compile';
import type { Strategy } from './emit';
import { FeatureType, ForestTables, LeafType, leafTypesFor } from './forest';
import { describeNet } from './net';
import { estimateForestSize, estimateGaussianSize, estimateKernelSize, estimateNetSize } from './size';

export const CODE_STRATEGIES: Strategy[] = ['tables', 'inline'];

export interface TradeoffPoint {
  featureType: FeatureType;
  strategy: Strategy;
  leafType: LeafType;
  /** Short name of the option, e.g. "int16 · inline" or "float32 · tables · u8 leaves". */
  label: string;
  flashBytes: number;
  ramBytes: number;
  /** Networks: estimated Cortex-M4F instructions per prediction. */
  instructions?: number;
  run: DeviceRun;
  report: AgreementReport;
  /** The lowered model of this option (shared by options that differ in strategy only). */
  model: LoweredModel;
}

export function optionLabel(featureType: FeatureType, strategy: Strategy, leafType: LeafType, family = 'tree_ensemble'): string {
  if (family !== 'tree_ensemble') {
    return featureType; // networks have one code form and no leaves
  }
  const leaves = { float32: '', uint8: ' · u8 leaves', int16: ' · i16 leaves' }[leafType];
  return `${featureType} · ${strategy}${leaves}`;
}

/**
 * Runs the model once per feature type and leaf type, on the same rows, and sizes it once
 * per strategy: both strategies route every row the same way, so they share a run. The
 * model given (already parsed and lowered) is reused for its own option.
 */
export function evaluateTradeoffs(
  current: LoweredModel,
  x: Float32Array,
  nRows: number,
  reference: Reference
): TradeoffPoint[] {
  if (current.family === 'neural_net') {
    return netTradeoffs(current, x, nRows, reference);
  }
  if (current.family !== 'tree_ensemble') {
    // One export form: the point shows its size and agreement next to nothing else.
    const run = runOnDevice(current, x, nRows);
    const size =
      current.family === 'gaussian'
        ? estimateGaussianSize(current.tables, current.ir.classes.map(String), current.ir.task)
        : estimateKernelSize(current.ir, current.ir.classes.map(String));
    return [
      {
        featureType: 'float32',
        strategy: 'tables',
        leafType: 'float32',
        label: 'float32',
        flashBytes: size.flashBytes,
        ramBytes: size.ramBytes,
        run,
        report: compareWithReference(current, run, reference),
        model: current
      }
    ];
  }
  return FEATURE_TYPES.flatMap(featureType =>
    leafTypesFor(current.ir).flatMap(leafType => {
      const sameTables = featureType === current.options.featureType && leafType === current.options.leafType;
      const model = sameTables ? current : lowerParsed(current.ir, { ...current.options, featureType, leafType });
      const run = runOnDevice(model, x, nRows);
      const report = compareWithReference(model, run, reference);
      return CODE_STRATEGIES.map(strategy => {
        const size = estimateForestSize(model.tables as ForestTables, model.ir.classes.map(String), strategy);
        return {
          featureType,
          strategy,
          leafType,
          label: optionLabel(featureType, strategy, leafType),
          flashBytes: size.flashBytes,
          ramBytes: size.ramBytes,
          run,
          report,
          model
        };
      });
    })
  );
}

/**
 * float32 and int8 for a network. Without calibration rows of its own, int8 is calibrated
 * on the rows it is compared on (the widget says so).
 */
function netTradeoffs(current: LoweredNet, x: Float32Array, nRows: number, reference: Reference): TradeoffPoint[] {
  return featureTypesFor(current.ir).map(featureType => {
    const model =
      featureType === current.options.featureType
        ? current
        : (lowerParsed(current.ir, {
            ...current.options,
            featureType,
            calibration: current.options.calibration ?? x
          }) as LoweredNet);
    const run = runOnDevice(model, x, nRows);
    const size = estimateNetSize(model.tables, model.ir.classes.map(String));
    return {
      featureType,
      strategy: 'tables',
      leafType: 'float32',
      label: optionLabel(featureType, 'tables', 'float32', 'neural_net'),
      flashBytes: size.flashBytes,
      ramBytes: size.ramBytes,
      instructions: describeNet(model.tables).estimatedInstructions,
      run,
      report: compareWithReference(model, run, reference),
      model
    };
  });
}
