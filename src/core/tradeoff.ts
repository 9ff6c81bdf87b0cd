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

/** A trade-off point without its lowered model: what the Inspector draws (the model stays where it was computed). */
export type TradeoffSummary = Omit<TradeoffPoint, 'model'>;

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
 * Work done a piece at a time: a generator that yields between pieces (each a lowering, a
 * device run, ...) so that its caller may pause there, and returns the result at the end.
 * The Inspector runs its computation in a Web Worker or, where there is none, on the page
 * between other tasks (src/widgets/inspectorCompute.ts).
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs every piece of `steps` at once and returns its result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) {
      return next.value;
    }
  }
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
  return runSteps(tradeoffSteps(current, x, nRows, reference));
}

/** evaluateTradeoffs a piece at a time: it yields after each lowering and each device run. */
export function* tradeoffSteps(
  current: LoweredModel,
  x: Float32Array,
  nRows: number,
  reference: Reference
): Steps<TradeoffPoint[]> {
  const family = familyOf(current);
  const offered = exportOptions(current.ir);
  const points: TradeoffPoint[] = [];
  for (const featureType of offered.featureTypes) {
    for (const leafType of offered.leafTypes) {
      const sameTables = featureType === current.options.featureType && leafType === current.options.leafType;
      const model = sameTables
        ? current
        : lowerParsed(current.ir, {
            ...current.options,
            featureType,
            leafType,
            calibration: current.options.calibration ?? x
          });
      yield;
      const run = runOnDevice(model, x, nRows);
      yield;
      const report = compareWithReference(model, run, reference, x);
      const instructions = family.estimatedInstructions?.(model);
      for (const strategy of offered.strategies) {
        // the model with its feature stage, as the compiled model's size (the summary) counts it
        const size = estimateSize(model, strategy);
        points.push({
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
        });
      }
    }
  }
  return points;
}
