/**
 * The quantization trade-off: every export option the compiler offers, its estimated flash
 * and RAM, and how far the C runtime's output moves from the reference on the user's data.
 */
import {
  AgreementReport,
  CompileOptions,
  DeviceRun,
  Reference,
  compareWithReference,
  lowerModel,
  runOnDevice
} from './compile';
import type { Strategy } from './emit';
import { FeatureType } from './forest';
import { estimateForestSize } from './size';

export const FEATURE_TYPES: FeatureType[] = ['float32', 'int16'];
export const CODE_STRATEGIES: Strategy[] = ['tables', 'inline'];

export interface TradeoffPoint {
  featureType: FeatureType;
  strategy: Strategy;
  /** Short name of the option, e.g. "int16 · inline". */
  label: string;
  flashBytes: number;
  ramBytes: number;
  run: DeviceRun;
  report: AgreementReport;
}

/**
 * Lowers and runs the model once per feature type, on the same rows, and sizes it once per
 * strategy: both strategies route every row the same way, so they share one run.
 */
export function evaluateTradeoffs(
  rawIR: unknown,
  base: Partial<CompileOptions>,
  x: Float32Array,
  nRows: number,
  reference: Reference
): TradeoffPoint[] {
  return FEATURE_TYPES.flatMap(featureType => {
    const model = lowerModel(rawIR, { ...base, featureType });
    const run = runOnDevice(model, x, nRows);
    const report = compareWithReference(model, run, reference);
    return CODE_STRATEGIES.map(strategy => {
      const size = estimateForestSize(model.tables, model.ir.classes.map(String), strategy);
      return {
        featureType,
        strategy,
        label: `${featureType} · ${strategy}`,
        flashBytes: size.flashBytes,
        ramBytes: size.ramBytes,
        run,
        report
      };
    });
  });
}
