/**
 * The C runtime's codes under the compiler's names: a value such as 'max_pool' of a kind such
 * as 'layer' stands for the macro TML_LAYER_MAX_POOL, whose value the headers define
 * (src/generated/runtimeConstants.ts, read from the C at build time). Emitters print
 * runtimeMacro(...), the WebAssembly glue passes runtimeCode(...); both refuse a name the
 * headers do not define, so the C stays the one place a code is written.
 */
import { CODES, CodeName } from '../../generated/runtimeConstants';

/** Macro prefix of each kind of code. */
export const RUNTIME_PREFIXES = {
  combine: 'TML_COMBINE_',
  link: 'TML_LINK_',
  covariance: 'TML_COV_',
  gauss: 'TML_GAUSS_',
  kernel: 'TML_KERNEL_',
  svmShape: 'TML_SVM_',
  metric: 'TML_METRIC_',
  weights: 'TML_WEIGHTS_',
  layer: 'TML_LAYER_',
  activation: 'TML_ACT_',
  window: 'TML_WINDOW_',
  quantized: 'TML_QUANTIZED_'
} as const;

export type RuntimeCodeKind = keyof typeof RUNTIME_PREFIXES;

/** The macro for `value` of `kind`, e.g. runtimeMacro('link', 'logistic') = 'TML_LINK_LOGISTIC'. */
export function runtimeMacro(kind: RuntimeCodeKind, value: string): CodeName {
  const name = `${RUNTIME_PREFIXES[kind]}${value.toUpperCase()}`;
  if (!Object.prototype.hasOwnProperty.call(CODES, name)) {
    throw new Error(`the C runtime defines no ${name} (${kind} ${JSON.stringify(value)})`);
  }
  return name as CodeName;
}

/** The value of that macro, e.g. runtimeCode('link', 'logistic') = 1. */
export function runtimeCode(kind: RuntimeCodeKind, value: string): number {
  return CODES[runtimeMacro(kind, value)];
}
