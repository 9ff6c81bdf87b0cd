/**
 * The compiler's front door: IR -> tables -> C header + size estimate, and running the
 * compiled model on the WebAssembly runtime to compare it with the reference.
 */
import { ClassAgreement, ValueAgreement, compareClasses, compareValues } from './agreement';
import { COMPILER_VERSION, Strategy, checkModelName, emitForestHeader } from './emit';
import {
  FeatureType,
  ForestStructure,
  LEAF_TYPES,
  LeafType,
  ForestTables,
  RoutingChange,
  buildForestTables,
  describeForest,
  quantizedRoutingChanges
} from './forest';
import { ModelIR, parseModelIR } from './ir';
import { SizeEstimate, estimateForestSize } from './size';
import { WasmRuntime } from './wasmRuntime';

export interface CompileOptions {
  /** C identifier used as the prefix of every symbol, and as the file stem. */
  name: string;
  featureType: FeatureType;
  /** Leaf rows as float32, probabilities as uint8 (forest classifiers) or int16 fixed point (one value per leaf). */
  leafType: LeafType;
  /** Embed the runtime in the header (one self-contained file). */
  standalone: boolean;
  /** Node tables walked by the runtime, inline code per tree, or whichever is smaller. */
  strategy: Strategy | 'auto';
}

export const DEFAULT_OPTIONS: CompileOptions = {
  name: 'model',
  featureType: 'float32',
  leafType: 'float32',
  standalone: true,
  strategy: 'tables'
};
export const STRATEGIES: Array<CompileOptions['strategy']> = ['tables', 'inline', 'auto'];
export const FEATURE_TYPES: FeatureType[] = ['float32', 'int16', 'int8'];

/** A model lowered to the runtime's tables: all that running it needs. */
export interface LoweredModel {
  ir: ModelIR;
  options: CompileOptions;
  tables: ForestTables;
}

export interface CompiledModel extends LoweredModel {
  compilerVersion: string;
  /** The strategy used: options.strategy, with "auto" resolved by estimated flash. */
  strategy: Strategy;
  header: string;
  size: SizeEstimate;
  structure: ForestStructure;
}

export function resolveOptions(options: Partial<CompileOptions> | undefined): CompileOptions {
  const merged = { ...DEFAULT_OPTIONS, ...(options ?? {}) };
  if (!FEATURE_TYPES.includes(merged.featureType)) {
    throw new Error(`unsupported feature type ${JSON.stringify(merged.featureType)}; use "float32", "int16" or "int8"`);
  }
  if (!LEAF_TYPES.includes(merged.leafType)) {
    throw new Error(`unsupported leaf type ${JSON.stringify(merged.leafType)}; use "float32", "uint8" or "int16"`);
  }
  if (!STRATEGIES.includes(merged.strategy)) {
    throw new Error(`unsupported strategy ${JSON.stringify(merged.strategy)}; use "tables", "inline" or "auto"`);
  }
  checkModelName(merged.name);
  merged.standalone = Boolean(merged.standalone);
  return merged;
}

/** "auto" picks the strategy with the smaller estimated flash. */
export function resolveStrategy(requested: CompileOptions['strategy'], tables: ForestTables, classNames: string[]): Strategy {
  if (requested !== 'auto') {
    return requested;
  }
  const tablesFlash = estimateForestSize(tables, classNames, 'tables').flashBytes;
  return estimateForestSize(tables, classNames, 'inline').flashBytes < tablesFlash ? 'inline' : 'tables';
}

/** Parses and validates an IR (a parsed JSON object) and builds its tables. */
export function lowerModel(rawIR: unknown, options?: Partial<CompileOptions>): LoweredModel {
  const resolved = resolveOptions(options);
  return lowerParsed(parseModelIR(rawIR), resolved);
}

/** Builds the tables of an IR that parseModelIR has already checked. */
export function lowerParsed(ir: ModelIR, options: CompileOptions): LoweredModel {
  return { ir, options, tables: buildForestTables(ir, options.featureType, options.leafType) };
}

/** lowerModel, then the C header, size estimate and structure summary. */
export function compileModel(rawIR: unknown, options?: Partial<CompileOptions>): CompiledModel {
  const { ir, options: resolved, tables } = lowerModel(rawIR, options);
  const structure = describeForest(ir);
  const classNames = ir.classes.map(String);
  const strategy = resolveStrategy(resolved.strategy, tables, classNames);
  return {
    compilerVersion: COMPILER_VERSION,
    ir,
    options: resolved,
    strategy,
    tables,
    header: emitForestHeader(ir, tables, structure, { ...resolved, strategy }),
    size: estimateForestSize(tables, classNames, strategy),
    structure
  };
}

/** Feature data that cannot be run: wrong shape, NaN or infinite values. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Rejects feature matrices that the device could not be compared on. */
export function checkFeatureMatrix(x: ArrayLike<number>, nRows: number, nFeatures: number, what = 'X'): void {
  if (!Number.isInteger(nRows) || nRows < 0) {
    throw new InputError(`${what}: row count must be a non-negative integer, got ${nRows}`);
  }
  if (x.length !== nRows * nFeatures) {
    const perRow = nRows > 0 ? x.length / nRows : x.length;
    throw new InputError(
      `${what} has ${Number.isInteger(perRow) ? perRow : x.length} features per row, the model expects ${nFeatures}`
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new InputError(
        `${what} row ${Math.floor(i / nFeatures)}, feature ${i % nFeatures} is ${x[i]}; ` +
          'remove or impute NaN and infinite values first'
      );
    }
  }
}

export interface DeviceRun {
  nRows: number;
  /** Splits that quantization routes differently from sklearn (int16 only). */
  routingChanges: RoutingChange[];
  /** Class indices from the C runtime (classifier), or 0 = outlier / 1 = inlier (anomaly). */
  classes: Int32Array;
  /** Probabilities, regression values or anomaly scores, [nRows * valueCount(tables)]. */
  values: Float32Array;
}

export function runOnDevice(model: LoweredModel, x: Float32Array, nRows: number): DeviceRun {
  checkFeatureMatrix(x, nRows, model.tables.nFeatures);
  const out = WasmRuntime.load().runForest(model.tables, x, nRows);
  const routingChanges = quantizedRoutingChanges(model.ir, model.tables, x, nRows);
  if (model.ir.task === 'anomaly') {
    // Index into classes [-1, 1]: outlier where score_samples < offset, as the header's predict.
    const offset = Math.fround(model.ir.offset);
    out.classes = Int32Array.from(out.values, score => (score < offset ? 0 : 1));
  }
  return { nRows, routingChanges, classes: out.classes, values: out.values };
}

export interface Reference {
  /** Reference class indices (into classes), from model.predict. */
  classes?: ArrayLike<number> | null;
  /** Reference values: predict_proba rows, predict (regressor) or score_samples (anomaly). */
  values?: ArrayLike<number> | null;
  /** True labels as class indices, for accuracy. */
  truth?: ArrayLike<number> | null;
}

export interface AgreementReport {
  task: ModelIR['task'];
  /** Quantization only: splits routed differently from sklearn, and the rows they touch. */
  routingChanges: RoutingChange[];
  rowsWithRoutingChanges: number[];
  classes: ClassAgreement | null;
  values: ValueAgreement | null;
}

export function compareWithReference(model: LoweredModel, run: DeviceRun, reference: Reference): AgreementReport {
  const hasClasses = model.ir.task !== 'regression';
  return {
    task: model.ir.task,
    routingChanges: run.routingChanges,
    rowsWithRoutingChanges: Array.from(new Set(run.routingChanges.map(c => c.row))),
    classes:
      hasClasses && reference.classes
        ? compareClasses(run.classes, reference.classes, model.ir.classes.length, reference.truth)
        : null,
    values: reference.values ? compareValues(run.values, reference.values) : null
  };
}
