/*
 * TinyML Lab C runtime: Gaussian log-likelihoods (GaussianNB, GaussianMixture,
 * BayesianGaussianMixture, EllipticEnvelope).
 *
 * Header-only C99, `static inline` throughout, no malloc, no state.
 *
 * A model is K Gaussian components over D features. Each component k has a mean and the
 * Cholesky factor of its precision (inverse covariance), kept as compact as its covariance
 * type allows (scikit-learn's precisions_cholesky_):
 *   - TML_COV_FULL:      prec_chol [K][D][D], one upper-triangular matrix per component
 *   - TML_COV_TIED:      prec_chol [D][D], one upper-triangular matrix for all components
 *   - TML_COV_DIAG:      prec_chol [K][D], the diagonal of each component's factor
 *   - TML_COV_SPHERICAL: prec_chol [K], one scale per component
 * The squared Mahalanobis distance of x to component k is |(x - mean_k)^T P_k|^2, and
 *   log p_k(x) = log_norm[k] - 0.5 * m_k
 * where the compiler folds every constant into log_norm[k] = log weight_k - 0.5 D log(2 pi)
 * + log det P_k. GaussianNB is the diagonal case (p = 1 / sqrt(var), weight = class prior:
 * the joint log-likelihood); a mixture's weighted log-probabilities go through
 * tml_log_sum_exp (score_samples) or tml_softmax_inplace (predict_proba) from common.h;
 * EllipticEnvelope scores -m of its single component.
 *
 * The struct says which a model is (kind): TML_GAUSS_LIKELIHOOD (naive Bayes, mixtures:
 * predict, predict_proba and score_samples from the per-component log-likelihoods) or
 * TML_GAUSS_ENVELOPE (an elliptic envelope: score_samples = -Mahalanobis^2, decision_function
 * and predict against the struct's offset). The model methods at the end of this file follow
 * scikit-learn's names.
 *
 * tml_gauss_validate checks a model once; the functions below trust a validated model.
 */
#ifndef TINYML_GAUSS_H
#define TINYML_GAUSS_H

#ifndef TINYML_COMMON_H /* a standalone model header embeds it just before */
#include "tinyml/common.h"
#endif

#define TML_COV_FULL 0      /* prec_chol [K][D][D], upper triangular (per component) */
#define TML_COV_TIED 1      /* prec_chol [D][D], one for all components */
#define TML_COV_DIAG 2      /* prec_chol [K][D] */
#define TML_COV_SPHERICAL 3 /* prec_chol [K] */

#define TML_GAUSS_LIKELIHOOD 0 /* naive Bayes, mixtures: classes or components by log-likelihood */
#define TML_GAUSS_ENVELOPE 1   /* elliptic envelope: one component, outliers by Mahalanobis distance */

typedef struct {
    int32_t n_components;   /* K */
    int32_t n_features;     /* D */
    int32_t covariance;     /* TML_COV_* */
    const float *means;     /* [K][D] */
    const float *prec_chol; /* as above */
    const float *log_norm;  /* [K]: log_weight[k] - 0.5*D*log(2*pi) + log det(prec_chol_k) */
    int32_t kind;           /* TML_GAUSS_* (0, the zero default: log-likelihood models) */
    float offset;           /* TML_GAUSS_ENVELOPE: sklearn's offset_ (decision = score - offset) */
} tml_gauss_t;

/* Floats in prec_chol for the covariance type, or -1 when the count exceeds INT32_MAX. */
static inline int32_t tml_gauss_prec_count(const tml_gauss_t *g)
{
    int32_t dd = tml_count_product(g->n_features, g->n_features);
    switch (g->covariance) {
    case TML_COV_FULL:
        return dd < 0 ? -1 : tml_count_product(g->n_components, dd);
    case TML_COV_TIED:
        return dd;
    case TML_COV_DIAG:
        return tml_count_product(g->n_components, g->n_features);
    default:
        return g->n_components;
    }
}

/*
 * Checks counts, pointers, the covariance type and the tables once; returns TML_OK or a
 * TML_E_* code. Means and precision factors must be finite; log_norm[k] may be -inf (a
 * component or class of weight 0, which then never wins) but not +inf or NaN.
 */
static inline int tml_gauss_validate(const tml_gauss_t *g)
{
    int32_t k, n_means, n_prec;
    if (g == NULL || g->means == NULL || g->prec_chol == NULL || g->log_norm == NULL) {
        return TML_E_NULL;
    }
    if (g->n_components <= 0 || g->n_features <= 0) {
        return TML_E_SIZE;
    }
    if (g->covariance < TML_COV_FULL || g->covariance > TML_COV_SPHERICAL ||
        (g->kind != TML_GAUSS_LIKELIHOOD && g->kind != TML_GAUSS_ENVELOPE) ||
        (g->kind == TML_GAUSS_ENVELOPE && g->n_components != 1)) {
        return TML_E_KIND;
    }
    if (!tml_is_finite(g->offset)) {
        return TML_E_SCALE;
    }
    n_means = tml_count_product(g->n_components, g->n_features);
    n_prec = tml_gauss_prec_count(g);
    if (n_means < 0 || n_prec < 0) {
        return TML_E_SIZE;
    }
    if (!tml_all_finite(g->means, n_means) || !tml_all_finite(g->prec_chol, n_prec)) {
        return TML_E_SCALE;
    }
    for (k = 0; k < g->n_components; k++) {
        if (!(TML_READ_F32(&g->log_norm[k]) < INFINITY)) {
            return TML_E_SCALE; /* +inf or NaN */
        }
    }
    return TML_OK;
}

/*
 * Squared Mahalanobis distance of x[n_features] to component k of a validated model.
 * Full and tied: m = sum_j (sum_{i<=j} (x_i - mean_i) P[i][j])^2, a column of the triangle
 * at a time, so no scratch buffer is needed (the differences are recomputed, D^2 / 2
 * subtractions). Returns NaN for a NULL argument or k out of range.
 */
static inline float tml_gauss_mahalanobis(const tml_gauss_t *g, int32_t k, const float *x)
{
    int32_t i, j, d;
    const float *mean;
    float m = 0.0f;
    if (g == NULL || x == NULL || k < 0 || k >= g->n_components) {
        return NAN;
    }
    d = g->n_features;
    mean = g->means + k * d;
    if (g->covariance == TML_COV_FULL || g->covariance == TML_COV_TIED) {
        const float *p = g->prec_chol + (g->covariance == TML_COV_FULL ? k * d * d : 0);
        for (j = 0; j < d; j++) {
            float s = 0.0f;
            for (i = 0; i <= j; i++) {
                s += (x[i] - TML_READ_F32(&mean[i])) * TML_READ_F32(&p[i * d + j]);
            }
            m += s * s;
        }
    } else if (g->covariance == TML_COV_DIAG) {
        const float *p = g->prec_chol + k * d;
        for (j = 0; j < d; j++) {
            float s = (x[j] - TML_READ_F32(&mean[j])) * TML_READ_F32(&p[j]);
            m += s * s;
        }
    } else {
        float p = TML_READ_F32(&g->prec_chol[k]);
        for (j = 0; j < d; j++) {
            float s = x[j] - TML_READ_F32(&mean[j]);
            m += s * s;
        }
        m *= p * p;
    }
    return m;
}

/*
 * out[k] = log_norm[k] - 0.5 * m_k for every component (n_out >= n_components): GaussianNB's
 * joint log-likelihood, a mixture's weighted log-probabilities; for an envelope, its score
 * -m_0 instead. Returns TML_OK or a TML_E_* code; trusts a validated model.
 *
 * Every method reaches tml_gauss_mahalanobis through here only: with one call site, gcc -Os
 * inlines it into predict (two cost 20-30 bytes and a call per component on Cortex-M).
 */
static inline int tml_gauss_log_prob(const tml_gauss_t *g, const float *x, float *out, int32_t n_out)
{
    int32_t k;
    if (g == NULL || x == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_out < g->n_components) {
        return TML_E_SIZE;
    }
    for (k = 0; k < g->n_components; k++) {
        float m = tml_gauss_mahalanobis(g, k, x);
        out[k] = g->kind == TML_GAUSS_ENVELOPE ? -m : TML_READ_F32(&g->log_norm[k]) - 0.5f * m;
    }
    return TML_OK;
}

/* ---- model methods (on a validated model) ---- */

/* An elliptic envelope's score_samples into *score, minus the squared Mahalanobis distance:
 * TML_E_NULL for a NULL argument, TML_E_KIND for a log-likelihood model. */
static inline int tml_gauss_envelope_score(const tml_gauss_t *g, const float *x, float *score)
{
    if (g == NULL || x == NULL || score == NULL) {
        return TML_E_NULL;
    }
    if (g->kind != TML_GAUSS_ENVELOPE) {
        return TML_E_KIND;
    }
    return tml_gauss_log_prob(g, x, score, 1);
}

/*
 * predict as a class index: the most likely class or component, or an envelope's index into
 * [-1, 1] (0 = outlier: score_samples < offset). scratch: n_scratch >= n_components floats,
 * left holding their log-likelihoods (an envelope needs none: NULL). Returns a negative
 * TML_E_* code on bad input.
 */
static inline int32_t tml_gauss_predict_class(const tml_gauss_t *g, const float *x, float *scratch,
                                              int32_t n_scratch)
{
    float envelope_score;
    int status;
    if (g != NULL && g->kind == TML_GAUSS_ENVELOPE) { /* one score: no scratch needed */
        scratch = &envelope_score;
        n_scratch = 1;
    }
    status = tml_gauss_log_prob(g, x, scratch, n_scratch);
    if (status != TML_OK) {
        return status;
    }
    return g->kind == TML_GAUSS_ENVELOPE ? tml_anomaly_class(scratch[0], g->offset)
                                         : tml_argmax(scratch, g->n_components);
}

/* predict_proba into proba[n] (n >= n_components): the softmax of the log-likelihoods;
 * TML_E_KIND for an envelope. Returns TML_OK or a TML_E_* code. */
static inline int tml_gauss_predict_proba(const tml_gauss_t *g, const float *x, float *proba, int32_t n)
{
    int status;
    if (g != NULL && g->kind == TML_GAUSS_ENVELOPE) {
        return TML_E_KIND;
    }
    status = tml_gauss_log_prob(g, x, proba, n);
    if (status == TML_OK) {
        tml_softmax_inplace(proba, g->n_components);
    }
    return status;
}

/*
 * score_samples into *score: the log-likelihood of x (log-sum-exp over the components, with
 * scratch of n_scratch >= n_components floats: a mixture's density, naive Bayes' of x and its
 * class), or an envelope's -Mahalanobis^2 (scratch unused). Returns TML_OK or a TML_E_* code.
 */
static inline int tml_gauss_score_samples(const tml_gauss_t *g, const float *x, float *scratch,
                                          int32_t n_scratch, float *score)
{
    int status;
    if (g != NULL && g->kind == TML_GAUSS_ENVELOPE) {
        return tml_gauss_envelope_score(g, x, score);
    }
    if (score == NULL) {
        return TML_E_NULL;
    }
    status = tml_gauss_log_prob(g, x, scratch, n_scratch);
    if (status == TML_OK) {
        *score = tml_log_sum_exp(scratch, g->n_components);
    }
    return status;
}

/* An envelope's decision_function into *d: score_samples - offset, negative for an outlier;
 * TML_E_KIND for other models. Returns TML_OK or a TML_E_* code. */
static inline int tml_gauss_decision_function(const tml_gauss_t *g, const float *x, float *d)
{
    int status = tml_gauss_envelope_score(g, x, d);
    if (status == TML_OK) {
        *d -= g->offset;
    }
    return status;
}

/* An envelope's predict as scikit-learn labels it: *label = 1 for an inlier, -1 for an
 * outlier; TML_E_KIND for other models. Returns TML_OK or a TML_E_* code. */
static inline int tml_gauss_predict_label(const tml_gauss_t *g, const float *x, int32_t *label)
{
    float score;
    int status = label == NULL ? TML_E_NULL : tml_gauss_envelope_score(g, x, &score);
    if (status == TML_OK) {
        *label = tml_anomaly_class(score, g->offset) == 1 ? 1 : -1;
    }
    return status;
}

#endif /* TINYML_GAUSS_H */
