/**
 * One interface for every model family. A family (trees, networks, Gaussian models, SVMs,
 * nearest neighbours) is a folder under families/ with its IR parser, lowering to the C
 * runtime's tables, header emitter, size and cost model and device run, and one object that
 * implements `Family` for it. families/registry.ts lists them; the rest of the compiler
 * (compile, estimates, trade-offs, bundles, the headless API) looks a model's family up there
 * and never branches on which family it is. docs/architecture.md tells how to add one.
 */
import type { HeaderOptions } from '../emit/frame';
import type { OperationCount } from '../estimate/costs';
import type { LibraryBytes, TargetProfile } from '../estimate/profiles';
import type { SizeEstimate } from '../estimate/size';
import type { BaseIR, CommonFields, Task } from '../ir/types';
import type { CompileOptions, ExportOptions, FeatureType, LeafType, Strategy } from '../options';

/** A model lowered to the runtime's tables: all that compiling and running it needs. */
export interface Lowered<I extends BaseIR = BaseIR, T = unknown> {
  family: I['family'];
  ir: I;
  options: CompileOptions;
  tables: T;
  /** What these options lose and why, for the report and the widget (none: absent or empty). */
  warnings?: string[];
}

/** A split that quantized features route differently from the reference (trees). */
export interface RoutingChange {
  row: number;
  tree: number;
  /** Node index in scikit-learn's tree_ arrays. */
  node: number;
  feature: number;
  value: number;
  threshold: number;
}

/** What the C runtime (its WebAssembly build) answers on rows of input. */
export interface DeviceRun {
  nRows: number;
  /** Splits that quantization routes differently from sklearn (quantized trees only). */
  routingChanges: RoutingChange[];
  /** Class indices from the C runtime (classifier), or 0 = outlier / 1 = inlier (anomaly). */
  classes: Int32Array;
  /** Probabilities, decision scores, regression values or anomaly scores, [nRows * valueCount]. */
  values: Float32Array;
  /** Mixtures: score_samples (the log-likelihood) per row. */
  scores?: Float32Array;
}

/** How closely scikit-learn's answers must match the device in an export bundle, and why. */
export interface ReferencePolicy {
  rel: number;
  abs: number;
  /** Whether PASS needs every vector within tolerance (else the line is reported only). */
  checked: boolean;
  why: string;
}

/** The reason float32 families give for their tolerances against scikit-learn. */
export const FLOAT32_VS_FLOAT64 = 'float32 arithmetic on the device against float64 in scikit-learn';

/** How a family reads its IR: what a pipeline in front of it becomes. */
export type PipelineForm =
  /** the family's own layers (networks take scalers as layers) */
  | 'layers'
  /** a float32 preprocessing net run before the model (`preprocess` in the IR) */
  | 'preprocess-net'
  /** none: a `preprocess` list is refused */
  | 'none';

export interface Family<I extends BaseIR = BaseIR, M extends Lowered<I> = Lowered<I>, S = unknown> {
  /** The IR's `family` value. */
  readonly id: I['family'];
  /** Largest `n_features` (undefined: the IR's general limit). */
  readonly maxFeatures?: number;
  readonly pipeline: PipelineForm;

  // ---- IR and options
  /** Checks the family's own keys (ir/envelope.ts checked the common ones). Throws IRError. */
  parse(obj: Record<string, unknown>, common: CommonFields & { task: Task }): I;
  /** The export options this model can take. */
  exportOptions(ir: I): ExportOptions;
  /** Short name of an option as tables and charts show it, e.g. "int16 · inline". */
  optionLabel(option: { featureType: FeatureType; strategy: Strategy; leafType: LeafType }): string;

  // ---- compiling
  /** The runtime's tables for these options; refuses options the family does not offer. */
  lower(ir: I, options: CompileOptions): M;
  /** The structure summary the widgets and Python show. */
  describe(model: M): S;
  /** The header: the family's tables and functions in the common frame (emit/frame.ts). */
  emit(model: M, strategy: Strategy, frame: HeaderOptions, structure: S): string;
  /** What the headless API reports of the lowered tables. */
  tablesSummary(model: M, structure: S): Record<string, unknown>;

  // ---- size and cost (estimate/)
  /** Flash and RAM on Cortex-M4F for one code form (a feature stage is added by the caller). */
  size(model: M, strategy: Strategy): SizeEstimate;
  /** The model code's size on `profile` relative to Cortex-M4F. */
  codeFactor(model: M, strategy: Strategy, profile: TargetProfile): number;
  /** The C library code one prediction pulls in (soft float, expf, ...) for one code form. */
  libraries(model: M, strategy: Strategy): LibraryBytes[];
  /** The work of one prediction as Cortex-M4F would execute it. */
  operations(model: M, strategy: Strategy): OperationCount;
  /**
   * Bytes of the header's ordinary const descriptors (not TML_CONST_TABLE) that a core whose
   * program memory is apart keeps in data memory (profile.descriptorsInRam: AVR, whose start-up
   * copies them to RAM). Absent: none, the compiler folds them into the code.
   */
  descriptorsInRamBytes?(model: M): number;
  /** Instructions `profile` adds to the Cortex-M4F count (a portable loop instead of DSP ones). */
  extraInstructions?(model: M, profile: TargetProfile): number;
  /** Networks: estimated Cortex-M4F instructions, shown next to each export option. */
  estimatedInstructions?(model: M): number;

  // ---- running
  /**
   * Whether a NaN feature has a defined answer on the device, so rows with NaN may be run and
   * compared (trees: each split sends NaN its learned way); other families refuse such rows.
   */
  acceptsNaN(ir: I): boolean;
  /** Values per row the device gives: probabilities, decision scores, outputs or scores. */
  valueCount(model: M): number;
  /** Runs the model on rows of its own features (feature stage already applied). */
  run(model: M, x: Float32Array, nRows: number): DeviceRun;
  /** Export bundles: how scikit-learn's answers compare with the device's. */
  referencePolicy(model: M): ReferencePolicy;
  /** A classifier's values besides its label, as a bundle checks them. */
  classifierValues(model: M): 'predict_proba' | 'decision_function';
}
