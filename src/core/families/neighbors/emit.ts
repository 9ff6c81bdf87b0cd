/**
 * Emits a C99 header for a nearest-neighbour model (tinyml/knn.h): const samples and labels
 * or targets in flash, a tml_knn_t, and scikit-learn's methods. The k nearest live on the
 * stack.
 */
import {
  HeaderOptions,
  RUNTIME_HEADERS,
  cArray,
  checkModelName,
  formatFloat32,
  formatInt,
  headerEnd
} from '../../emit/frame';
import { runtimeMacro } from '../../runtime/codes';
import { SIGNATURES, floatModelBegin, preprocessingC, validateWithPreprocess } from '../preprocess';
import { NetTables } from '../nets/lower';
import { NeighborsIR } from './ir';

/** What this family's device does with a NaN or infinite feature (every header says it). */
const NON_FINITE_INPUTS =
  'a NaN distance is never the smaller one, so the first stored samples stand in as neighbours: the class and probabilities are not meaningful. scikit-learn refuses such input.';

export function emitNeighborsHeader(ir: NeighborsIR, pre: NetTables | null, options: HeaderOptions): string {
  const { name } = options;
  checkModelName(name);
  const fn = pre ? `${name}_model` : name; // model functions; public wrappers preprocess first
  const upper = name.toUpperCase();
  const out = floatModelBegin(
    ir,
    `${ir.nSamples} stored samples, k = ${ir.k}, ${ir.metric} distance, ${ir.weights} weights`,
    NON_FINITE_INPUTS,
    RUNTIME_HEADERS.knn,
    pre,
    options
  );
  out.push(`#define ${upper}_K ${ir.k}`);
  out.push(`#define ${upper}_N_OUTPUTS ${ir.nOutputs}\n`);
  out.push(cArray('float', `${name}_samples`, ir.samples, formatFloat32));
  if (ir.labels) {
    out.push(cArray('int32_t', `${name}_labels`, ir.labels, formatInt));
  }
  if (ir.targets) {
    out.push(cArray('float', `${name}_targets`, ir.targets, formatFloat32));
  }
  out.push(`static const tml_knn_t ${name}_knn = {
    .n_samples = ${ir.nSamples},
    .n_features = ${ir.modelFeatures},
    .n_outputs = ${ir.nOutputs},
    .k = ${ir.k},
    .metric = ${runtimeMacro('metric', ir.metric)},
    .p = ${formatFloat32(Math.fround(ir.p))},
    .weights = ${runtimeMacro('weights', ir.weights)},
    .samples = ${name}_samples,
    .labels = ${ir.labels ? `${name}_labels` : 'NULL'},
    .targets = ${ir.targets ? `${name}_targets` : 'NULL'}
};

${validateWithPreprocess(name, pre, `tml_knn_validate(&${name}_knn)`)}
/* Class probabilities (classifier) or the prediction (regressor) for x into out[n]. */
static inline int ${fn}_run(const float *x, float *out, int32_t n)
{
    float dist[${upper}_K];
    int32_t index[${upper}_K];
    return tml_knn_predict(&${name}_knn, x, dist, index, ${upper}_K, out, n);
}
`);
  if (ir.task === 'classification') {
    out.push(`/* Class index (see ${name}_class_names) for x[${upper}_N_FEATURES], or a negative TML_E_* code. */
static inline int32_t ${fn}_predict(const float *x)
{
    float dist[${upper}_K];
    int32_t index[${upper}_K];
    float proba[${upper}_N_OUTPUTS];
    return tml_knn_predict_class(&${name}_knn, x, dist, index, ${upper}_K, proba, ${upper}_N_OUTPUTS);
}

/* predict_proba into proba[n] (n >= ${upper}_N_CLASSES). */
static inline int ${fn}_predict_proba(const float *x, float *proba, int32_t n)
{
    float dist[${upper}_K];
    int32_t index[${upper}_K];
    return tml_knn_predict_proba(&${name}_knn, x, dist, index, ${upper}_K, proba, n);
}
`);
  } else {
    out.push(`/* Writes the ${upper}_N_OUTPUTS predicted values for x to y. */
static inline int ${fn}_predict(const float *x, float *y)
{
    float dist[${upper}_K];
    int32_t index[${upper}_K];
    return tml_knn_predict_values(&${name}_knn, x, dist, index, ${upper}_K, y, ${upper}_N_OUTPUTS);
}
`);
  }
  if (pre) {
    const { predictClass, predictProba, predictValues } = SIGNATURES;
    const signatures = ir.task === 'classification' ? [predictClass, predictProba] : [predictValues];
    out.push(...preprocessingC(pre, name, signatures));
  }
  out.push(headerEnd(name));
  return out.join('\n');
}
