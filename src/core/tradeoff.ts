/**
 * The quantization trade-off: every export option the compiler offers, its estimated flash
 * and RAM, and how far the C runtime's output moves from the reference on the user's data.
 */
import {
  AgreementReport,
  DeviceRun,
  LoweredModel,
  Reference,
  compareWithReference,
  exportOptions,
  lowerParsed,
  runOnDevice
} from './compile';
import { estimateSize } from './estimate/model';
import { familyOf } from './families/registry';
import { FeatureType, LeafType, Strategy } from './options';

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

/** The trade-off label of an option of this model's family. */
export function optionLabel(
  model: { family: string },
  featureType: FeatureType,
  strategy: Strategy,
  leafType: LeafType
): string {
  return familyOf(model).optionLabel({ featureType, strategy, leafType });
}

/**
 * Runs the model once per feature type and leaf type its family offers, on the same rows,
 * and sizes it once per strategy: strategies route every row the same way, so they share a
 * run. The model given (already parsed and lowered) is reused for its own option. Without
 * calibration rows of its own, an int8 network is calibrated on the rows it is compared on
 * (the widget says so).
 */
export function evaluateTradeoffs(
  current: LoweredModel,
  x: Float32Array,
  nRows: number,
  reference: Reference
): TradeoffPoint[] {
  const family = familyOf(current);
  const offered = exportOptions(current.ir);
  return offered.featureTypes.flatMap(featureType =>
    offered.leafTypes.flatMap(leafType => {
      const sameTables = featureType === current.options.featureType && leafType === current.options.leafType;
      const model = sameTables
        ? current
        : lowerParsed(current.ir, {
            ...current.options,
            featureType,
            leafType,
            calibration: current.options.calibration ?? x
          });
      const run = runOnDevice(model, x, nRows);
      const report = compareWithReference(model, run, reference, x);
      const instructions = family.estimatedInstructions?.(model);
      return offered.strategies.map(strategy => {
        // the model with its feature stage, as the compiled model's size (the summary) counts it
        const size = estimateSize(model, strategy);
        return {
          featureType,
          strategy,
          leafType,
          label: family.optionLabel({ featureType, strategy, leafType }),
          flashBytes: size.flashBytes,
          ramBytes: size.ramBytes,
          ...(instructions === undefined ? {} : { instructions }),
          run,
          report,
          model
        };
      });
    })
  );
}
