/**
 * The quantization trade-off: every export option the compiler offers, its estimated flash
 * and RAM, and how far the C runtime's output moves from the reference on the user's data.
 */
import { AgreementReport, CompileOptions, DeviceRun, Reference, compareWithReference, lowerModel, runOnDevice } from './compile';
import { FeatureType } from './forest';
import { estimateForestSize } from './size';

export const FEATURE_TYPES: FeatureType[] = ['float32', 'int16'];

export interface TradeoffPoint {
  options: CompileOptions;
  /** Short name of the option, e.g. "int16". */
  label: string;
  flashBytes: number;
  ramBytes: number;
  run: DeviceRun;
  report: AgreementReport;
}

/** Lowers, sizes and runs the model once per feature type, on the same rows. */
export function evaluateTradeoffs(
  rawIR: unknown,
  base: Partial<CompileOptions>,
  x: Float32Array,
  nRows: number,
  reference: Reference
): TradeoffPoint[] {
  return FEATURE_TYPES.map(featureType => {
    const model = lowerModel(rawIR, { ...base, featureType });
    const size = estimateForestSize(model.tables, model.ir.classes.map(String));
    const run = runOnDevice(model, x, nRows);
    return {
      options: model.options,
      label: featureType,
      flashBytes: size.flashBytes,
      ramBytes: size.ramBytes,
      run,
      report: compareWithReference(model, run, reference)
    };
  });
}
