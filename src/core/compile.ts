/**
 * The compiler's front door: IR -> tables -> C header + size estimate, and running the
 * compiled model on the WebAssembly runtime to compare it with the reference. Which family a
 * model belongs to decides every step (families/registry.ts); this module only strings them
 * together and adds what all families share (the feature stage, the agreement report).
 */
import { ClassAgreement, ValueAgreement, compareClasses, compareValues } from './agreement';
import { COMPILER_VERSION, HeaderOptions, RUNTIME_HEADERS } from './emit/frame';
import { estimateSize } from './estimate/model';
import type { SizeEstimate } from './estimate/size';
import { resolveStrategy } from './estimate/targets';
import type { DeviceRun, RoutingChange } from './families/family';
import { LoweredModel, ModelIR, ModelStructure, familyOf } from './families/registry';
import { inputCount, runFeatureStage, withFeatureStage } from './features/stage';
import { checkFeatureMatrix } from './input';
import { parseModelIR } from './ir/envelope';
import { CompileOptions, ExportOptions, FeatureType, Strategy, resolveOptions } from './options';

export type { DeviceRun, RoutingChange } from './families/family';
export type { LoweredModel, ModelIR } from './families/registry';
export { InputError, checkFeatureMatrix } from './input';

/** A lowered model with its header, size estimate and structure summary. */
export type CompiledModel = LoweredModel & {
  compilerVersion: string;
  /** The strategy used: options.strategy, with "auto" resolved for options.target (resolveStrategy). */
  strategy: Strategy;
  /** What "auto" chose and why, in one line, when it chose between code forms; else null. */
  autoChoice: string | null;
  header: string;
  size: SizeEstimate;
  structure: ModelStructure;
};

/** The export options the model's family offers it. */
export function exportOptions(ir: ModelIR): ExportOptions {
  return familyOf(ir).exportOptions(ir);
}

/** Feature types the model's family offers it (networks quantize to int8 only). */
export function featureTypesFor(ir: ModelIR): FeatureType[] {
  return exportOptions(ir).featureTypes;
}

/**
 * Whether rows with NaN may be run: the family routes NaN, and no feature stage (whose
 * spectra have no rule for a missing sample) comes first.
 */
export function acceptsNaN(ir: ModelIR): boolean {
  return !ir.featureStage && familyOf(ir).acceptsNaN(ir);
}

/** Values per row the device gives: probabilities (two for a binary model), outputs or scores. */
export function deviceValueCount(model: LoweredModel): number {
  return familyOf(model).valueCount(model);
}

/** Parses and validates an IR (a parsed JSON object) and builds its tables. */
export function lowerModel(rawIR: unknown, options?: Partial<CompileOptions>): LoweredModel {
  const resolved = resolveOptions(options);
  return lowerParsed(parseModelIR(rawIR), resolved);
}

/** Builds the tables of an IR that parseModelIR has already checked. */
export function lowerParsed(ir: ModelIR, options: CompileOptions): LoweredModel {
  return familyOf(ir).lower(ir, options);
}

/** lowerModel, then the C header, size estimate and structure summary. */
export function compileModel(rawIR: unknown, options?: Partial<CompileOptions>): CompiledModel {
  return compileLowered(lowerModel(rawIR, options));
}

export function compileLowered(model: LoweredModel): CompiledModel {
  const family = familyOf(model);
  const stage = model.ir.featureStage;
  // A feature stage's runtime joins the model's in one embedded block; its function follows.
  const frame: HeaderOptions = {
    name: model.options.name,
    standalone: model.options.standalone,
    extraRuntime: stage ? [RUNTIME_HEADERS.features] : []
  };
  const { strategy, why } = resolveStrategy(model);
  const structure = family.describe(model);
  const header = family.emit(model, strategy, frame, structure);
  return {
    ...model,
    compilerVersion: COMPILER_VERSION,
    strategy,
    autoChoice: why,
    header: stage ? withFeatureStage(header, stage, frame.name) : header,
    size: estimateSize(model, strategy),
    structure
  };
}

export function runOnDevice(model: LoweredModel, raw: Float32Array, nRows: number): DeviceRun {
  let x = raw;
  if (model.ir.featureStage) {
    // Raw windows in: the C runtime computes the features the model was trained on.
    checkFeatureMatrix(raw, nRows, inputCount(model.ir));
    x = runFeatureStage(model.ir.featureStage, raw, nRows);
  }
  checkFeatureMatrix(x, nRows, model.ir.nFeatures, 'X', acceptsNaN(model.ir));
  return familyOf(model).run(model, x, nRows);
}

export interface Reference {
  /** Reference class indices (into classes), from model.predict. */
  classes?: ArrayLike<number> | null;
  /** Reference values: predict_proba rows, predict (regressor) or score_samples (anomaly). */
  values?: ArrayLike<number> | null;
  /** True labels as class indices, for accuracy. */
  truth?: ArrayLike<number> | null;
  /** Mixtures: score_samples per row. */
  scores?: ArrayLike<number> | null;
}

export interface AgreementReport {
  task: ModelIR['task'];
  /** Quantization only: splits routed differently from sklearn, and the rows they touch. */
  routingChanges: RoutingChange[];
  rowsWithRoutingChanges: number[];
  classes: ClassAgreement | null;
  values: ValueAgreement | null;
  /** Mixtures: score_samples against the reference's. */
  scores: ValueAgreement | null;
  /** The rows with a NaN feature, compared on their own (null: x not given, or no such row). */
  missing: MissingRowsAgreement | null;
}

/** Labels and values on the rows that hold a NaN: where the learned directions matter. */
export interface MissingRowsAgreement {
  nRows: number;
  classes: ClassAgreement | null;
  values: ValueAgreement | null;
}

/** Rows of x ([nRows, nFeatures] row-major) with at least one NaN. */
function rowsWithNaN(x: ArrayLike<number>, nRows: number): number[] {
  const width = nRows > 0 ? x.length / nRows : 0;
  const rows: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let k = r * width; k < (r + 1) * width; k++) {
      if (Number.isNaN(x[k])) {
        rows.push(r);
        break;
      }
    }
  }
  return rows;
}

/** The given rows of a row-major array of `width` values per row. */
function pickRows(values: ArrayLike<number>, rows: number[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => {
    for (let k = 0; k < width; k++) {
      out[i * width + k] = values[r * width + k];
    }
  });
  return out;
}

/**
 * The device against the reference, overall and, when the rows x are given, on the rows with a
 * NaN feature alone (row indices in that part are positions among those rows).
 */
export function compareWithReference(
  model: LoweredModel,
  run: DeviceRun,
  reference: Reference,
  x?: ArrayLike<number>
): AgreementReport {
  const whole = compareAll(model, run, reference);
  const missing = x ? rowsWithNaN(x, run.nRows) : [];
  if (missing.length === 0) {
    return { ...whole, missing: null };
  }
  const width = deviceValueCount(model);
  const pick = (values: ArrayLike<number> | null | undefined, w = 1) => (values ? pickRows(values, missing, w) : null);
  const subsetRun: DeviceRun = {
    ...run,
    nRows: missing.length,
    routingChanges: [],
    classes: Int32Array.from(pick(run.classes) ?? []),
    values: Float32Array.from(pick(run.values, width) ?? []),
    scores: run.scores ? Float32Array.from(pick(run.scores) ?? []) : undefined
  };
  const part = compareAll(model, subsetRun, {
    classes: pick(reference.classes),
    values: pick(reference.values, width),
    truth: pick(reference.truth),
    scores: pick(reference.scores)
  });
  return { ...whole, missing: { nRows: missing.length, classes: part.classes, values: part.values } };
}

function compareAll(model: LoweredModel, run: DeviceRun, reference: Reference): Omit<AgreementReport, 'missing'> {
  const hasClasses = model.ir.task !== 'regression';
  return {
    task: model.ir.task,
    routingChanges: run.routingChanges,
    rowsWithRoutingChanges: Array.from(new Set(run.routingChanges.map(c => c.row))),
    classes:
      hasClasses && reference.classes
        ? compareClasses(run.classes, reference.classes, model.ir.classes.length, reference.truth)
        : null,
    values: reference.values ? compareValues(run.values, reference.values, deviceValueCount(model)) : null,
    scores: reference.scores && run.scores ? compareValues(run.scores, reference.scores) : null
  };
}
