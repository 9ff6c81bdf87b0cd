/**
 * Emits a C99 header for a support vector machine (tinyml/svm.h): const support vectors and
 * coefficients in flash, a tml_svm_t, and scikit-learn's methods. The kernel values live on
 * the stack.
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
import { SIGNATURES, floatModelBegin, preprocessingC, validateWithPreprocess } from '../preprocess';
import { NetTables } from '../nets/lower';
import { SvmIR, classStart, svmDecisions, svmValueCount } from './ir';

const KERNEL_MACROS = { linear: 'TML_KERNEL_LINEAR', rbf: 'TML_KERNEL_RBF', poly: 'TML_KERNEL_POLY', sigmoid: 'TML_KERNEL_SIGMOID' };

export function emitSvmHeader(ir: SvmIR, pre: NetTables | null, options: HeaderOptions): string {
  const { name } = options;
  checkModelName(name);
  const fn = pre ? `${name}_model` : name; // model functions; public wrappers preprocess first
  const upper = name.toUpperCase();
  const nClasses = ir.task === 'classification' ? ir.classes.length : 1;
  const nDecisions = svmDecisions(ir);
  const out = floatModelBegin(ir, `${ir.nSupport} support vectors, ${ir.kernel} kernel`, RUNTIME_HEADERS.svm, pre, options);
  out.push(`#define ${upper}_N_SUPPORT ${ir.nSupport}`);
  out.push(`#define ${upper}_N_DECISIONS ${nDecisions}`);
  if (ir.task === 'classification') {
    out.push(`#define ${upper}_N_SCORES ${svmValueCount(ir)} /* decision_function values */`);
  }
  if (ir.task === 'anomaly') {
    out.push(`#define ${upper}_OFFSET ${formatFloat32(Math.fround(ir.offset))}`);
  }
  out.push('');
  out.push(cArray('float', `${name}_support`, ir.supportVectors, formatFloat32));
  if (nClasses >= 2) {
    out.push(cArray('int32_t', `${name}_class_start`, classStart(ir), formatInt));
  }
  out.push(cArray('float', `${name}_dual_coef`, ir.dualCoef, formatFloat32));
  out.push(cArray('float', `${name}_intercept`, ir.intercept, formatFloat32));
  out.push(`static const tml_svm_t ${name}_svm = {
    .n_features = ${ir.modelFeatures},
    .n_support = ${ir.nSupport},
    .n_classes = ${nClasses},
    .kernel = ${KERNEL_MACROS[ir.kernel]},
    .gamma = ${formatFloat32(Math.fround(ir.gamma))},
    .coef0 = ${formatFloat32(Math.fround(ir.coef0))},
    .degree = ${ir.degree},
    .support = ${name}_support,
    .class_start = ${nClasses >= 2 ? `${name}_class_start` : 'NULL'},
    .dual_coef = ${name}_dual_coef,
    .intercept = ${name}_intercept
};

${validateWithPreprocess(name, pre, `tml_svm_validate(&${name}_svm)`)}
/* The raw decisions for x[${upper}_N_FEATURES] into d[${upper}_N_DECISIONS]. */
static inline int ${fn}_decisions(const float *x, float *d)
{
    float kernel[${upper}_N_SUPPORT];
    return tml_svm_decisions(&${name}_svm, x, kernel, ${upper}_N_SUPPORT, d, ${upper}_N_DECISIONS);
}
`);
  if (ir.task === 'classification') {
    const width = svmValueCount(ir);
    const shaped =
      nClasses >= 3 && ir.decisionShape === 'ovr'
        ? `    if (status == TML_OK) {
        status = tml_svm_ovr_scores(&${name}_svm, d, scores, n);
    }`
        : `    for (k = 0; status == TML_OK && k < ${upper}_N_DECISIONS; k++) {
        scores[k] = d[k];
    }`;
    out.push(`/* Class index (see ${name}_class_names), by one-vs-one votes as libsvm counts them. */
static inline int32_t ${fn}_predict(const float *x)
{
    float d[${upper}_N_DECISIONS];
    int status = ${fn}_decisions(x, d);
    return status != TML_OK ? status : tml_svm_vote(&${name}_svm, d);
}

/* scikit-learn's decision_function (${width} value(s), shape "${nClasses >= 3 ? ir.decisionShape : 'binary'}") into scores[n]. */
static inline int ${fn}_decision_function(const float *x, float *scores, int32_t n)
{
    float d[${upper}_N_DECISIONS];
    int status;
    int32_t k;
    if (n < ${width}) {
        return TML_E_SIZE;
    }
    status = ${fn}_decisions(x, d);
${shaped}
    (void)k;
    return status;
}
`);
  } else if (ir.task === 'regression') {
    out.push(`/* Writes the prediction for x[${upper}_N_FEATURES] to *y; returns TML_OK or a TML_E_* code. */
static inline int ${fn}_predict(const float *x, float *y)
{
    return ${fn}_decisions(x, y);
}
`);
  } else {
    out.push(`/* decision_function: negative means outlier. */
static inline int ${fn}_decision_function(const float *x, float *d)
{
    return ${fn}_decisions(x, d);
}

/* score_samples = decision_function + ${upper}_OFFSET. */
static inline int ${fn}_score_samples(const float *x, float *score)
{
    int status = ${fn}_decisions(x, score);
    *score += ${upper}_OFFSET;
    return status;
}

/* *label = 1 for an inlier, -1 for an outlier (as sklearn's predict). */
static inline int ${fn}_predict(const float *x, int32_t *label)
{
    float d;
    int status = ${fn}_decisions(x, &d);
    *label = tml_svm_vote(&${name}_svm, &d) == 1 ? 1 : -1;
    return status;
}
`);
  }
  if (pre) {
    const { predictClass, decisionScores, predictValues, decisionValue, scoreSamples, predictLabel } = SIGNATURES;
    const signatures =
      ir.task === 'classification'
        ? [predictClass, decisionScores]
        : ir.task === 'regression'
          ? [predictValues]
          : [decisionValue, scoreSamples, predictLabel];
    out.push(...preprocessingC(pre, name, signatures));
  }
  out.push(headerEnd(name));
  return out.join('\n');
}
