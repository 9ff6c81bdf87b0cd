/**
 * The compiler's front door: IR -> tables -> C header + size estimate, and running the
 * compiled model on the WebAssembly runtime to compare it with the reference.
 */
import { ClassAgreement, ValueAgreement, compareClasses, compareValues } from './agreement';
import { COMPILER_VERSION, HeaderOptions, RUNTIME_HEADERS, Strategy, checkModelName, emitForestHeader } from './emit';
import { inputCount, runFeatureStage, stageInputs, withFeatureStage } from './featureStage';
import {
  FeatureType,
  ForestStructure,
  LEAF_TYPES,
  LeafType,
  ForestTables,
  RoutingChange,
  buildForestTables,
  describeForest,
  quantizedRoutingChanges,
  valueCount
} from './forest';
import { ModelIR, TreeEnsembleIR, parseModelIR } from './ir';
import { NetStructure, NetTables, buildFloatNet, describeNet, quantizeNet } from './net';
import { emitNetHeader } from './emitNet';
import { emitGaussianHeader } from './emitGaussian';
import { GaussianIR, GaussianStructure, GaussianTables, buildGaussianTables, describeGaussian } from './gaussian';
import { emitNeighborsHeader, emitSvmHeader } from './emitKernels';
import { KernelStructure, NeighborsIR, SvmIR, describeKernels, svmValueCount } from './kernels';
import { NeuralNetIR } from './netIR';
import { SizeEstimate, estimateForestSize, estimateSize } from './size';
import { WasmRuntime } from './wasmRuntime';

export interface CompileOptions {
  /** C identifier used as the prefix of every symbol, and as the file stem. */
  name: string;
  featureType: FeatureType;
  /** Leaf rows as float32, probabilities as uint8 (forest classifiers) or int16 fixed point (one value per leaf). */
  leafType: LeafType;
  /** Embed the runtime in the header (one self-contained file). */
  standalone: boolean;
  /** Node tables walked by the runtime, inline code per tree, or whichever is smaller (trees). */
  strategy: Strategy | 'auto';
  /**
   * Representative input rows (row-major float32) that an int8 network's activation ranges
   * are measured on: a few hundred training rows. Not needed otherwise.
   */
  calibration?: Float32Array | null;
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
/** Feature types per model family: networks quantize to int8 only. */
export function featureTypesFor(ir: Pick<ModelIR, 'family'>): FeatureType[] {
  return ir.family === 'tree_ensemble' ? FEATURE_TYPES : ir.family === 'neural_net' ? ['float32', 'int8'] : ['float32'];
}

/** A model lowered to the runtime's tables: all that running it needs. */
export type LoweredModel = LoweredForest | LoweredNet | LoweredGaussian | LoweredSvm | LoweredNeighbors;

/** SVMs and nearest neighbours run straight from their IR's float32 arrays. */
export interface LoweredSvm {
  family: 'svm';
  ir: SvmIR;
  options: CompileOptions;
  tables: SvmIR;
  pre: NetTables | null;
}

export interface LoweredNeighbors {
  family: 'neighbors';
  ir: NeighborsIR;
  options: CompileOptions;
  tables: NeighborsIR;
  pre: NetTables | null;
}

export interface LoweredForest {
  family: 'tree_ensemble';
  ir: TreeEnsembleIR;
  options: CompileOptions;
  tables: ForestTables;
}

export interface LoweredNet {
  family: 'neural_net';
  ir: NeuralNetIR;
  options: CompileOptions;
  tables: NetTables;
}

export interface LoweredGaussian {
  family: 'gaussian';
  ir: GaussianIR;
  options: CompileOptions;
  tables: GaussianTables;
  /** A pipeline's preprocessing as a float32 net, or null. */
  pre: NetTables | null;
}

interface CompiledParts {
  compilerVersion: string;
  /** The strategy used: options.strategy, with "auto" resolved by estimated flash. */
  strategy: Strategy;
  header: string;
  size: SizeEstimate;
}

export type CompiledModel =
  | (LoweredForest & CompiledParts & { structure: ForestStructure })
  | (LoweredNet & CompiledParts & { structure: NetStructure })
  | (LoweredGaussian & CompiledParts & { structure: GaussianStructure })
  | ((LoweredSvm | LoweredNeighbors) & CompiledParts & { structure: KernelStructure });

/** Values per row the device gives: probabilities (two for a binary model), outputs or scores. */
export function deviceValueCount(model: LoweredModel): number {
  if (model.family === 'tree_ensemble') {
    return valueCount(model.tables);
  }
  if (model.family === 'gaussian') {
    return model.ir.task === 'anomaly' ? 1 : model.ir.nComponents;
  }
  if (model.family === 'svm') {
    return svmValueCount(model.ir);
  }
  if (model.family === 'neighbors') {
    return model.ir.nOutputs;
  }
  return model.ir.output === 'probabilities' && model.ir.nOutputs === 1 ? 2 : model.ir.nOutputs;
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
  if (ir.family === 'neural_net') {
    return { family: 'neural_net', ir, options, tables: lowerNet(ir, options) };
  }
  if (ir.family === 'gaussian') {
    onlyDefaults(ir.estimator, options);
    return { family: 'gaussian', ir, options, tables: buildGaussianTables(ir), pre: preNet(ir) };
  }
  if (ir.family === 'svm') {
    onlyDefaults(ir.estimator, options);
    return { family: 'svm', ir, options, tables: ir, pre: preNet(ir) };
  }
  if (ir.family === 'neighbors') {
    onlyDefaults(ir.estimator, options);
    return { family: 'neighbors', ir, options, tables: ir, pre: preNet(ir) };
  }
  return { family: 'tree_ensemble', ir, options, tables: buildForestTables(ir, options.featureType, options.leafType) };
}

function preNet(ir: { preprocess: NeuralNetIR | null }): NetTables | null {
  return ir.preprocess ? buildFloatNet(ir.preprocess) : null;
}

/** Rows in the model's own feature space: after the pipeline's preprocessing, run in C. */
function modelInput(pre: NetTables | null, x: Float32Array, nRows: number): Float32Array {
  return pre ? WasmRuntime.load().runNet(pre, x, nRows).values : x;
}

/** Models computed in float32 only: other feature types, leaves and strategies are refused. */
function onlyDefaults(estimator: string, options: CompileOptions): void {
  if (options.featureType !== 'float32' || options.leafType !== 'float32' || options.strategy === 'inline') {
    throw new Error(`${estimator.split('.').pop()} is exported in float32 only (features, values and code form)`);
  }
}

/**
 * The float32 net, or the int8 one calibrated on options.calibration: the C runtime (its
 * WebAssembly build) runs the float32 net on those rows and reports each layer's range.
 */
function lowerNet(ir: NeuralNetIR, options: CompileOptions): NetTables {
  if (!featureTypesFor(ir).includes(options.featureType)) {
    throw new Error(`networks are exported as float32 or int8, not ${options.featureType}`);
  }
  if (options.leafType !== 'float32') {
    throw new Error('leaf types apply to tree models only');
  }
  if (options.strategy === 'inline') {
    throw new Error('the "inline" strategy applies to tree models only; networks use layer tables');
  }
  const float = buildFloatNet(ir);
  if (options.featureType === 'float32') {
    return float;
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
  const trace = WasmRuntime.load().traceNet(float, x, nRows);
  let inputMin = Infinity;
  let inputMax = -Infinity;
  x.forEach(v => {
    inputMin = Math.min(inputMin, v);
    inputMax = Math.max(inputMax, v);
  });
  return quantizeNet(float, { rows: nRows, inputMin, inputMax, min: trace.min, max: trace.max });
}

/** lowerModel, then the C header, size estimate and structure summary. */
export function compileModel(rawIR: unknown, options?: Partial<CompileOptions>): CompiledModel {
  return compileLowered(lowerModel(rawIR, options));
}

export function compileLowered(model: LoweredModel): CompiledModel {
  const stage = model.ir.featureStage;
  // A feature stage's runtime joins the model's in one embedded block; its function follows.
  const emitOptions: HeaderOptions = {
    name: model.options.name,
    standalone: model.options.standalone,
    extraRuntime: stage ? [RUNTIME_HEADERS.features] : []
  };
  const compiled = compileFamily(model, emitOptions);
  if (!stage) {
    return compiled;
  }
  return { ...compiled, header: withFeatureStage(compiled.header, stage, emitOptions.name) };
}

function compileFamily(model: LoweredModel, emitOptions: HeaderOptions): CompiledModel {
  const classNames = model.ir.classes.map(String);
  if (model.family === 'svm' || model.family === 'neighbors') {
    return {
      ...model,
      compilerVersion: COMPILER_VERSION,
      strategy: 'tables',
      header:
        model.ir.family === 'svm'
          ? emitSvmHeader(model.ir, model.pre, emitOptions)
          : emitNeighborsHeader(model.ir, model.pre, emitOptions),
      size: estimateSize(model),
      structure: describeKernels(model.ir)
    };
  }
  if (model.family === 'gaussian') {
    return {
      ...model,
      compilerVersion: COMPILER_VERSION,
      strategy: 'tables',
      header: emitGaussianHeader(model.ir, model.tables, model.pre, emitOptions),
      size: estimateSize(model),
      structure: describeGaussian(model.tables)
    };
  }
  if (model.family === 'neural_net') {
    const structure = describeNet(model.tables);
    return {
      ...model,
      compilerVersion: COMPILER_VERSION,
      strategy: 'tables',
      header: emitNetHeader(model.ir, model.tables, emitOptions),
      size: estimateSize(model),
      structure
    };
  }
  const { ir, options: resolved, tables } = model;
  const structure = describeForest(ir);
  const strategy = resolveStrategy(resolved.strategy, tables, classNames);
  return {
    ...model,
    compilerVersion: COMPILER_VERSION,
    strategy,
    header: emitForestHeader(ir, tables, structure, { ...emitOptions, strategy }),
    size: estimateSize(model, strategy),
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
  /** Mixtures: score_samples (the log-likelihood) per row. */
  scores?: Float32Array;
}

export function runOnDevice(model: LoweredModel, raw: Float32Array, nRows: number): DeviceRun {
  let x = raw;
  if (model.ir.featureStage) {
    // Raw windows in: the C runtime computes the features the model was trained on.
    checkFeatureMatrix(raw, nRows, inputCount(model.ir));
    x = runFeatureStage(model.ir.featureStage, raw, nRows);
  }
  checkFeatureMatrix(x, nRows, model.ir.nFeatures);
  // The C runtime's methods give what sklearn's do (anomaly classes: 0 = outlier, 1 = inlier).
  if (model.family === 'svm') {
    const out = WasmRuntime.load().runSvm(model.ir, modelInput(model.pre, x, nRows), nRows);
    return { nRows, routingChanges: [], classes: out.classes, values: out.values };
  }
  if (model.family === 'neighbors') {
    const out = WasmRuntime.load().runNeighbors(model.ir, modelInput(model.pre, x, nRows), nRows);
    return { nRows, routingChanges: [], classes: out.classes, values: out.values };
  }
  if (model.family === 'gaussian') {
    const anomaly = model.ir.task === 'anomaly';
    const out = WasmRuntime.load().runGaussian(model.tables, modelInput(model.pre, x, nRows), nRows, anomaly ? model.ir.offset : null);
    const run = { nRows, routingChanges: [], classes: out.classes, values: out.values };
    return anomaly ? run : { ...run, scores: out.scores };
  }
  if (model.family === 'neural_net') {
    const out = WasmRuntime.load().runNet(model.tables, x, nRows, model.ir.output === 'probabilities');
    return { nRows, routingChanges: [], classes: out.classes, values: out.values };
  }
  const out = WasmRuntime.load().runForest(model.tables, x, nRows, model.ir.task === 'anomaly' ? model.ir.offset : 0);
  const routingChanges = quantizedRoutingChanges(model.ir, model.tables, x, nRows);
  return { nRows, routingChanges, classes: out.classes, values: out.values };
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
    values: reference.values ? compareValues(run.values, reference.values) : null,
    scores: reference.scores && run.scores ? compareValues(run.scores, reference.scores) : null
  };
}
