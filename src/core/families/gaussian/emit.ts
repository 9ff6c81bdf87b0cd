/**
 * Emits a C99 header for a Gaussian model: const means, precision Cholesky factors and
 * per-component constants (flash), a tml_gauss_t, and scikit-learn's methods: predict,
 * predict_proba and score_samples for naive Bayes and mixtures; score_samples,
 * decision_function and predict (-1/1) for an elliptic envelope.
 */
import {
  HeaderOptions,
  RUNTIME_HEADERS,
  cArray,
  checkModelName,
  classNamesC,
  commentSafe,
  formatFloat32,
  headerBegin,
  headerEnd,
  runtimeC
} from '../../emit/frame';
import { runtimeMacro } from '../../runtime/codes';
import { netTablesC } from '../nets/emit';
import { NetTables } from '../nets/lower';
import { SIGNATURES, preprocessRuntime, preprocessingC, validateWithPreprocess } from '../preprocess';
import { GaussianIR, GaussianTables } from './ir';

/** What this family's device does with a NaN or infinite feature (every header says it). */
const NON_FINITE_INPUTS =
  'a NaN gives NaN log-likelihoods (class 0, NaN probabilities and scores; an elliptic envelope calls the row an inlier), an infinity -inf ones: not meaningful. scikit-learn refuses such input.';

export function emitGaussianHeader(
  ir: GaussianIR,
  tables: GaussianTables,
  pre: NetTables | null,
  options: HeaderOptions
): string {
  const { name, standalone } = options;
  checkModelName(name);
  // With a pipeline's preprocessing the model's functions take transformed features and
  // public wrappers of the same names transform x first.
  const fn = pre ? `${name}_model` : name;
  const upper = name.toUpperCase();
  const k = tables.nComponents;
  const out: string[] = [];
  out.push(
    headerBegin(
      name,
      ir.version,
      [
        `Model: ${commentSafe(ir.estimator)}, ${k} Gaussian component(s) over ${ir.nFeatures} features, ${ir.covariance} covariance`,
        "(stored as the precision's Cholesky factor, in its compact form).",
        'Computed in float32; log-likelihoods combine with a max-shifted log-sum-exp.',
        `All tables are const and stay in flash; prediction uses ${k} floats of stack.`
      ],
      NON_FINITE_INPUTS
    )
  );
  const runtime = [...preprocessRuntime(pre, name), RUNTIME_HEADERS.gauss, ...(options.extraRuntime ?? [])];
  out.push(...runtimeC(runtime, standalone));
  out.push(`#define ${upper}_N_FEATURES ${ir.nFeatures}`);
  out.push(`#define ${upper}_N_COMPONENTS ${k}`);
  if (ir.task === 'classification') {
    out.push(`#define ${upper}_N_CLASSES ${k}`);
  } else {
    out.push(`#define ${upper}_OFFSET ${formatFloat32(Math.fround(ir.offset))}`);
  }
  out.push('');
  if (ir.task === 'classification') {
    out.push(...classNamesC(name, ir.classes, 'Class (naive Bayes) or component (mixture) names'));
  }
  out.push(cArray('float', `${name}_means`, tables.means, formatFloat32));
  out.push(cArray('float', `${name}_prec_chol`, tables.precChol, formatFloat32));
  out.push(cArray('float', `${name}_log_norm`, tables.logNorm, formatFloat32));
  if (pre) {
    out.push(...netTablesC(pre, `${name}_pre`));
  }
  out.push(`static const tml_gauss_t ${name}_gauss = {
    .n_components = ${k},
    .n_features = ${tables.nFeatures},
    .covariance = ${runtimeMacro('covariance', tables.covariance)},
    .means = ${name}_means,
    .prec_chol = ${name}_prec_chol,
    .log_norm = ${name}_log_norm${
      ir.task === 'anomaly' ? `,\n    .kind = ${runtimeMacro('gauss', 'envelope')},\n    .offset = ${upper}_OFFSET` : ''
    }
};
`);
  out.push(validateWithPreprocess(name, pre, `tml_gauss_validate(&${name}_gauss)`));
  if (ir.task === 'classification') {
    out.push(`/* Class index (see ${name}_class_names) for x[${upper}_N_FEATURES], or a negative TML_E_* code. */
static inline int32_t ${fn}_predict(const float *x)
{
    float lp[${upper}_N_COMPONENTS];
    return tml_gauss_predict_class(&${name}_gauss, x, lp, ${upper}_N_COMPONENTS);
}

/* predict_proba into proba[n] (n >= ${upper}_N_CLASSES); returns TML_OK or a TML_E_* code. */
static inline int ${fn}_predict_proba(const float *x, float *proba, int32_t n)
{
    return tml_gauss_predict_proba(&${name}_gauss, x, proba, n);
}

/* score_samples: the log-likelihood of x (a mixture's density; naive Bayes: of x and its class). */
static inline int ${fn}_score_samples(const float *x, float *score)
{
    float lp[${upper}_N_COMPONENTS];
    return tml_gauss_score_samples(&${name}_gauss, x, lp, ${upper}_N_COMPONENTS, score);
}
`);
  } else {
    out.push(`/* score_samples: minus the squared Mahalanobis distance of x; lower is more abnormal. */
static inline int ${fn}_score_samples(const float *x, float *score)
{
    return tml_gauss_score_samples(&${name}_gauss, x, NULL, 0, score);
}

/* decision_function: score_samples - ${upper}_OFFSET; negative means outlier. */
static inline int ${fn}_decision_function(const float *x, float *d)
{
    return tml_gauss_decision_function(&${name}_gauss, x, d);
}

/* *label = 1 for an inlier, -1 for an outlier (as sklearn's predict). */
static inline int ${fn}_predict(const float *x, int32_t *label)
{
    return tml_gauss_predict_label(&${name}_gauss, x, label);
}
`);
  }
  if (pre) {
    const { predictClass, predictProba, scoreSamples, decisionValue, predictLabel } = SIGNATURES;
    const signatures =
      ir.task === 'classification'
        ? [predictClass, predictProba, scoreSamples]
        : [scoreSamples, decisionValue, predictLabel];
    out.push(...preprocessingC(pre, name, signatures));
  }
  out.push(headerEnd(name));
  return out.join('\n');
}
