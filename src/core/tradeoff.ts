/**
 * The quantization trade-off: every export option the compiler offers, its estimated flash
 * and RAM, and how far the C runtime's output moves from the reference on the user's data.
 */
import {
  AgreementReport,
  DeviceRun,
  FEATURE_TYPES,
  LoweredModel,
  Reference,
  compareWithReference,
  lowerParsed,
  runOnDevice
} from './compile';
import type { Strategy } from './emit';
import { FeatureType, LeafType, leafTypesFor } from './forest';
import { estimateForestSize } from './size';

export const CODE_STRATEGIES: Strategy[] = ['tables', 'inline'];

export interface TradeoffPoint {
  featureType: FeatureType;
  strategy: Strategy;
  leafType: LeafType;
  /** Short name of the option, e.g. "int16 · inline" or "float32 · tables · u8 leaves". */
  label: string;
  flashBytes: number;
  ramBytes: number;
  run: DeviceRun;
  report: AgreementReport;
}

export function optionLabel(featureType: FeatureType, strategy: Strategy, leafType: LeafType): string {
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
  return FEATURE_TYPES.flatMap(featureType =>
    leafTypesFor(current.ir).flatMap(leafType => {
      const sameTables = featureType === current.options.featureType && leafType === current.options.leafType;
      const model = sameTables ? current : lowerParsed(current.ir, { ...current.options, featureType, leafType });
      const run = runOnDevice(model, x, nRows);
      const report = compareWithReference(model, run, reference);
      return CODE_STRATEGIES.map(strategy => {
        const size = estimateForestSize(model.tables, model.ir.classes.map(String), strategy);
        return {
          featureType,
          strategy,
          leafType,
          label: optionLabel(featureType, strategy, leafType),
          flashBytes: size.flashBytes,
          ramBytes: size.ramBytes,
          run,
          report
        };
      });
    })
  );
}
