/**
 * A pipeline's preprocessing (scalers, PCA) in front of a Gaussian, SVM or neighbour model:
 * a float32 net (families/nets) that the runtime runs before the model. Its lowering, C
 * wrappers, size, cost and device run, shared by the families whose IR carries `preprocess`
 * (Family.pipeline "preprocess-net"); networks take their scalers as layers instead.
 */
import {
  HeaderOptions,
  RuntimeHeader,
  classNamesC,
  commentSafe,
  headerBegin,
  runtimeC,
  validateC
} from '../emit/frame';
import { OperationCount } from '../estimate/costs';
import type { LibraryBytes } from '../estimate/profiles';
import type { SizeItem } from '../estimate/size';
import type { BaseIR } from '../ir/types';
import type { NeuralNetIR } from './nets/ir';
import { LAYER_DESCRIPTOR_BYTES, netDescriptorsInRamBytes, netOperations } from './nets/estimate';
import { netRuntime, netTablesC } from './nets/emit';
import { NetTables, buildFloatNet } from './nets/lower';
import { runNet } from './nets/run';

/**
 * A model that a pipeline's preprocessing (scalers, PCA: a float32 net) may precede, run by
 * the runtime before the model (Gaussian, SVM and neighbour models).
 */
export interface PreprocessedIR {
  /** Features the model itself compares: nFeatures, or the width after `preprocess`. */
  modelFeatures: number;
  /** A pipeline's scalers / PCA in front of the model, or null. */
  preprocess: NeuralNetIR | null;
}

/** The preprocessing net of an IR, lowered (float32), or null. */
export function lowerPreprocess(ir: PreprocessedIR): NetTables | null {
  return ir.preprocess ? buildFloatNet(ir.preprocess) : null;
}

/** Rows in the model's own feature space: after the pipeline's preprocessing, run in C. */
export function modelInput(pre: NetTables | null, x: Float32Array, nRows: number): Float32Array {
  return pre ? runNet(pre, x, nRows).values : x;
}

/** A public function of a header: how to call it with model-space features instead. */
export interface Signature {
  ret: 'int' | 'int32_t';
  name: string;
  /** Parameters after `const float *x`, e.g. ", float *proba, int32_t n". */
  rest: string;
  /** The same as arguments, e.g. ", proba, n". */
  args: string;
}

/** The public functions the families share, as preprocessing wrappers call them. */
export const SIGNATURES: Record<string, Signature> = {
  predictClass: { ret: 'int32_t', name: 'predict', rest: '', args: '' },
  predictProba: { ret: 'int', name: 'predict_proba', rest: ', float *proba, int32_t n', args: ', proba, n' },
  predictValues: { ret: 'int', name: 'predict', rest: ', float *y', args: ', y' },
  predictLabel: { ret: 'int', name: 'predict', rest: ', int32_t *label', args: ', label' },
  scoreSamples: { ret: 'int', name: 'score_samples', rest: ', float *score', args: ', score' },
  decisionValue: { ret: 'int', name: 'decision_function', rest: ', float *d', args: ', d' },
  decisionScores: { ret: 'int', name: 'decision_function', rest: ', float *scores, int32_t n', args: ', scores, n' }
};

/**
 * A pipeline's preprocessing (the float32 net `${name}_pre_net`, emitted with netTablesC
 * before) in front of a model whose functions were emitted as `${name}_model_*`:
 * `${name}_preprocess`, and one public wrapper per signature that transforms x and calls the
 * model. The wrappers keep the model's names and return its codes, so a pipeline's header
 * reads like any other.
 */
export function preprocessingC(pre: NetTables, name: string, signatures: Signature[]): string[] {
  const upper = name.toUpperCase();
  const out: string[] = [];
  out.push(`#define ${upper}_N_MODEL_FEATURES ${pre.nOutputs} /* after the pipeline's preprocessing */
#define ${upper}_PRE_ARENA_BYTES ${pre.arenaBytes}

/* The pipeline's preprocessing (scalers, PCA) of x[${upper}_N_FEATURES] into xt[${upper}_N_MODEL_FEATURES]. */
static inline int ${name}_preprocess(const float *x, float *xt)
{
    float arena[(${upper}_PRE_ARENA_BYTES + 3) / 4];
    return tml_net_predict(&${name}_pre_net, x, arena, ${upper}_PRE_ARENA_BYTES, xt, ${upper}_N_MODEL_FEATURES);
}
`);
  for (const s of signatures) {
    out.push(`static inline ${s.ret} ${name}_${s.name}(const float *x${s.rest})
{
    float xt[${upper}_N_MODEL_FEATURES];
    int status = ${name}_preprocess(x, xt);
    if (status != TML_OK) {
        return status;
    }
    return ${name}_model_${s.name}(xt${s.args});
}
`);
  }
  return out;
}

/**
 * A pipeline's preprocessing net in front of a Gaussian, SVM or neighbour model: the float32
 * net runtime, not folded (about 950 B measured in front of a KNeighborsClassifier), plus its
 * weights.
 */
const PRE_NET_CODE_BYTES = 950;

/** Flash of a pipeline's preprocessing (scalers, PCA) run as a float32 net before the model. */
export function preprocessItem(pre: NetTables | null | undefined): SizeItem[] {
  if (!pre) {
    return [];
  }
  const weights = pre.layers.reduce((sum, l) => sum + (l.weightF32?.byteLength ?? 0) + (l.biasF32?.byteLength ?? 0), 0);
  return [{ name: 'preprocessing', bytes: weights + LAYER_DESCRIPTOR_BYTES * pre.layers.length + PRE_NET_CODE_BYTES }];
}
/** The preprocessing net's descriptors that stay in AVR's RAM (not folded: its code is not inlined). */
export function preprocessDescriptorsInRamBytes(pre: NetTables | null): number {
  return pre ? netDescriptorsInRamBytes(pre, false) : 0;
}

/**
 * The preprocessing net's libraries (libm and soft float: with an FPU, Thumb-2 and Thumb-1 soft
 * float, RV32IMC). On RV32 the model's own soft-float helpers already hold nearly all of them
 * (a scaler before kNN adds 36 B, before a logistic regression none).
 */
export const PREPROCESS_LIBRARIES: LibraryBytes = [1900, 2000, 2200, 300, 106];

export function preprocessLibraries(pre: NetTables | null): LibraryBytes[] {
  return pre ? [PREPROCESS_LIBRARIES] : [];
}

/** The preprocessing net's instructions, added to the model's (none without one). */
export function preprocessOperations(pre: NetTables | null): OperationCount {
  return pre ? netOperations(pre) : { instructions: 0, floatOps: 0, mathCalls: 0 };
}

/** The runtime headers a pipeline's preprocessing adds (the net runtime, its kernels), before the model's. */
export function preprocessRuntime(pre: NetTables | null, name: string): RuntimeHeader[] {
  return pre ? [netRuntime(pre, `${name}_pre`)] : [];
}

/** The validate function: the preprocessing net, then the model. */
export function validateWithPreprocess(name: string, pre: NetTables | null, check: string): string {
  const body = pre
    ? `int status = tml_net_validate(&${name}_pre_net);\n    return status != TML_OK ? status : ${check};`
    : `return ${check};`;
  return validateC(name, 'tables', body);
}

/**
 * The start of a float32 model's header (SVM, neighbours): banner, runtime, feature count,
 * class names, and the preprocessing net's tables when a pipeline comes first.
 */
export function floatModelBegin(
  ir: BaseIR & PreprocessedIR,
  description: string,
  nonFiniteInputs: string,
  runtime: RuntimeHeader,
  pre: NetTables | null,
  options: HeaderOptions
): string[] {
  const { name, standalone } = options;
  const extraRuntime = options.extraRuntime ?? [];
  const upper = name.toUpperCase();
  const out = [
    headerBegin(
      name,
      ir.version,
      [
        `Model: ${commentSafe(ir.estimator)}, ${description}, ${ir.nFeatures} features, computed in float32.`,
        'All tables are const and stay in flash; prediction uses only the stack.'
      ],
      nonFiniteInputs
    )
  ];
  out.push(...runtimeC([...preprocessRuntime(pre, name), runtime, ...extraRuntime], standalone));
  out.push(`#define ${upper}_N_FEATURES ${ir.nFeatures}`);
  if (ir.task === 'classification') {
    out.push(`#define ${upper}_N_CLASSES ${ir.classes.length}\n`);
    out.push(...classNamesC(name, ir.classes));
  }
  if (pre) {
    out.push(...netTablesC(pre, `${name}_pre`));
  }
  return out;
}
