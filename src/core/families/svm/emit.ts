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
import { runtimeMacro } from '../../runtime/codes';
import { SIGNATURES, floatModelBegin, preprocessingC, validateWithPreprocess } from '../preprocess';
import { NetTables } from '../nets/lower';
import { SvmIR, classStart, svmDecisions, svmValueCount } from './ir';

/** What this family's device does with a NaN or infinite feature (every header says it). */
const NON_FINITE_INPUTS =
  'NaN or infinite kernel values make the decisions NaN: the votes, the class and the scores are not meaningful (a one-class SVM calls the row an inlier). scikit-learn refuses such input.';

export function emitSvmHeader(ir: SvmIR, pre: NetTables | null, options: HeaderOptions): string {
  const { name } = options;
  checkModelName(name);
  const fn = pre ? `${name}_model` : name; // model functions; public wrappers preprocess first
  const upper = name.toUpperCase();
  const nClasses = ir.task === 'classification' ? ir.classes.length : 1;
  const nDecisions = svmDecisions(ir);
  // the methods' one scratch buffer: kernel values, then decisions
  const scratch = `float scratch[TML_SVM_SCRATCH(${upper}_N_SUPPORT, ${upper}_N_DECISIONS)];`;
  const scratchArgs = `scratch, TML_SVM_SCRATCH(${upper}_N_SUPPORT, ${upper}_N_DECISIONS)`;
  const shapeField =
    nClasses >= 3 && ir.decisionShape === 'ovo' ? `,\n    .shape = ${runtimeMacro('svmShape', 'ovo')}` : '';
  const offsetField = ir.task === 'anomaly' ? `,\n    .offset = ${upper}_OFFSET` : '';
  const out = floatModelBegin(
    ir,
    `${ir.nSupport} support vectors, ${ir.kernel} kernel`,
    NON_FINITE_INPUTS,
    RUNTIME_HEADERS.svm,
    pre,
    options
  );
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
    .kernel = ${runtimeMacro('kernel', ir.kernel)},
    .gamma = ${formatFloat32(Math.fround(ir.gamma))},
    .coef0 = ${formatFloat32(Math.fround(ir.coef0))},
    .degree = ${ir.degree},
    .support = ${name}_support,
    .class_start = ${nClasses >= 2 ? `${name}_class_start` : 'NULL'},
    .dual_coef = ${name}_dual_coef,
    .intercept = ${name}_intercept${shapeField}${offsetField}
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
    out.push(`/* Class index (see ${name}_class_names), by one-vs-one votes as libsvm counts them. */
static inline int32_t ${fn}_predict(const float *x)
{
    ${scratch}
    return tml_svm_predict_class(&${name}_svm, x, ${scratchArgs});
}

/* scikit-learn's decision_function (${svmValueCount(ir)} value(s), shape "${nClasses >= 3 ? ir.decisionShape : 'binary'}") into scores[n]. */
static inline int ${fn}_decision_function(const float *x, float *scores, int32_t n)
{
    ${scratch}
    return tml_svm_decision_function(&${name}_svm, x, ${scratchArgs}, scores, n);
}
`);
  } else if (ir.task === 'regression') {
    out.push(`/* Writes the prediction for x[${upper}_N_FEATURES] to *y; returns TML_OK or a TML_E_* code. */
static inline int ${fn}_predict(const float *x, float *y)
{
    ${scratch}
    return tml_svm_predict_values(&${name}_svm, x, ${scratchArgs}, y);
}
`);
  } else {
    out.push(`/* decision_function: negative means outlier. */
static inline int ${fn}_decision_function(const float *x, float *d)
{
    ${scratch}
    return tml_svm_decision_function(&${name}_svm, x, ${scratchArgs}, d, 1);
}

/* score_samples = decision_function + ${upper}_OFFSET. */
static inline int ${fn}_score_samples(const float *x, float *score)
{
    ${scratch}
    return tml_svm_score_samples(&${name}_svm, x, ${scratchArgs}, score);
}

/* *label = 1 for an inlier, -1 for an outlier (as sklearn's predict). */
static inline int ${fn}_predict(const float *x, int32_t *label)
{
    ${scratch}
    return tml_svm_predict_label(&${name}_svm, x, ${scratchArgs}, label);
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
