/*
 * TinyML Lab C runtime: nearest neighbours by brute force (KNeighborsClassifier,
 * KNeighborsRegressor).
 *
 * Header-only C99, `static inline` throughout, no malloc, no state: the caller gives two
 * scratch buffers of k entries (distances and sample indices).
 *
 * The search visits every training sample once and keeps the k nearest so far sorted by
 * insertion, so ties on distance keep the lower sample index first. It compares a key that
 * orders like the distance but skips the root (squared euclidean, sum |d|^p for
 * Minkowski), and takes the root only for the k it reports.
 *
 * Weights follow scikit-learn: uniform, or 1/d; when 1/d is infinite for a neighbour
 * (d == 0, or so small that the reciprocal overflows), only such neighbours count, each with
 * weight 1.
 *
 * tml_knn_validate checks a model once; the functions below trust a validated model.
 */
#ifndef TINYML_KNN_H
#define TINYML_KNN_H

#ifndef TINYML_COMMON_H /* a standalone model header embeds it just before */
#include "tinyml/common.h"
#endif

#define TML_METRIC_EUCLIDEAN 0
#define TML_METRIC_MANHATTAN 1
#define TML_METRIC_CHEBYSHEV 2
#define TML_METRIC_MINKOWSKI 3 /* (sum |d|^p)^(1/p) with p > 0 */

#define TML_WEIGHTS_UNIFORM 0
#define TML_WEIGHTS_DISTANCE 1

typedef struct {
    int32_t n_samples, n_features;
    int32_t n_outputs;     /* classes (classifier) or targets (regressor) */
    int32_t k;             /* n_neighbors, 1 <= k <= n_samples */
    int32_t metric;        /* TML_METRIC_* */
    float p;               /* TML_METRIC_MINKOWSKI */
    int32_t weights;       /* TML_WEIGHTS_* */
    const float *samples;  /* [n_samples][D] */
    const int32_t *labels; /* [n_samples] class index, classifier; NULL for a regressor */
    const float *targets;  /* [n_samples][n_outputs], regressor; NULL for a classifier */
} tml_knn_t;

/*
 * Checks counts, pointers, metric, weights and tables once; returns TML_OK or a TML_E_*
 * code. Exactly one of labels (classifier) and targets (regressor) is given: neither is
 * TML_E_NULL, both TML_E_KIND. A label outside [0, n_outputs) is TML_E_KIND.
 */
static inline int tml_knn_validate(const tml_knn_t *m)
{
    int32_t i, n_samples_floats, n_target_floats = 0;
    if (m == NULL || m->samples == NULL || (m->labels == NULL && m->targets == NULL)) {
        return TML_E_NULL;
    }
    if (m->n_samples <= 0 || m->n_features <= 0 || m->n_outputs <= 0 || m->k < 1 || m->k > m->n_samples) {
        return TML_E_SIZE;
    }
    n_samples_floats = tml_count_product(m->n_samples, m->n_features);
    if (m->targets != NULL) {
        n_target_floats = tml_count_product(m->n_samples, m->n_outputs);
    }
    if (n_samples_floats < 0 || n_target_floats < 0) {
        return TML_E_SIZE;
    }
    if ((m->labels != NULL && m->targets != NULL) || m->metric < TML_METRIC_EUCLIDEAN ||
        m->metric > TML_METRIC_MINKOWSKI || m->weights < TML_WEIGHTS_UNIFORM ||
        m->weights > TML_WEIGHTS_DISTANCE) {
        return TML_E_KIND;
    }
    if (m->metric == TML_METRIC_MINKOWSKI && !(m->p > 0.0f && tml_is_finite(m->p))) {
        return TML_E_SCALE;
    }
    if (m->labels != NULL) {
        for (i = 0; i < m->n_samples; i++) {
            if (TML_READ_I32(&m->labels[i]) < 0 || TML_READ_I32(&m->labels[i]) >= m->n_outputs) {
                return TML_E_KIND;
            }
        }
    }
    if (!tml_all_finite(m->samples, n_samples_floats) ||
        (m->targets != NULL && !tml_all_finite(m->targets, n_target_floats))) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* Search key of sample a (a row of the samples table) against x: increases with the distance (squared euclidean, the
 * Minkowski sum before its root). A NaN anywhere in x gives NaN. */
static inline float tml_knn_key(const tml_knn_t *m, const float *a, const float *x)
{
    int32_t j;
    float acc = 0.0f;
    for (j = 0; j < m->n_features; j++) {
        float d = fabsf(TML_READ_F32(&a[j]) - x[j]);
        switch (m->metric) {
        case TML_METRIC_EUCLIDEAN:
            acc += d * d;
            break;
        case TML_METRIC_MANHATTAN:
            acc += d;
            break;
        case TML_METRIC_CHEBYSHEV:
            if (d > acc || d != d) { /* once NaN, acc stays NaN: d > NaN is false */
                acc = d;
            }
            break;
        default:
            acc += powf(d, m->p);
            break;
        }
    }
    return acc;
}

/* The distance a search key stands for. */
static inline float tml_knn_distance_of_key(const tml_knn_t *m, float key)
{
    if (m->metric == TML_METRIC_EUCLIDEAN) {
        return sqrtf(key);
    }
    if (m->metric == TML_METRIC_MINKOWSKI) {
        return powf(key, 1.0f / m->p);
    }
    return key;
}

/*
 * The k nearest samples to x[n_features]: dist[0..k) ascending, index[0..k) their sample
 * indices, the lower index first on equal distances (n >= k). Returns TML_OK or a TML_E_*
 * code; trusts a validated model.
 */
static inline int tml_knn_neighbors(const tml_knn_t *m, const float *x, float *dist, int32_t *index, int32_t n)
{
    int32_t i, at, filled = 0;
    if (m == NULL || x == NULL || dist == NULL || index == NULL) {
        return TML_E_NULL;
    }
    if (n < m->k) {
        return TML_E_SIZE;
    }
    for (i = 0; i < m->n_samples; i++) {
        float key = tml_knn_key(m, m->samples + i * m->n_features, x);
        if (filled < m->k) {
            at = filled++; /* the first k always go in, so the buffer is always full (NaN too) */
        } else if (key < dist[m->k - 1]) {
            at = m->k - 1; /* displaces the farthest */
        } else {
            continue; /* not nearer than the k-th: an equal key keeps the earlier sample */
        }
        while (at > 0 && key < dist[at - 1]) {
            dist[at] = dist[at - 1];
            index[at] = index[at - 1];
            at--;
        }
        dist[at] = key;
        index[at] = i;
    }
    for (i = 0; i < m->k; i++) {
        dist[i] = tml_knn_distance_of_key(m, dist[i]);
    }
    return TML_OK;
}

/* 1/d is infinite: d == 0 (tested first, so nothing divides by 0), or d so small that the
 * reciprocal overflows. scikit-learn masks exactly these (np.isinf(1 / dist)). */
static inline int tml_knn_infinite_weight(float d)
{
    return d == 0.0f || 1.0f / d == INFINITY;
}

/* 1 when some neighbour's 1/d is infinite: then only those neighbours count. */
static inline int tml_knn_any_infinite_weight(const float *dist, int32_t k)
{
    int32_t i;
    for (i = 0; i < k; i++) {
        if (tml_knn_infinite_weight(dist[i])) {
            return 1;
        }
    }
    return 0;
}

/* Weight of a neighbour at distance d (see the top of this file); without an infinite
 * weight among the neighbours, no d is 0. */
static inline float tml_knn_weight(const tml_knn_t *m, float d, int any_infinite)
{
    if (m->weights == TML_WEIGHTS_UNIFORM) {
        return 1.0f;
    }
    if (any_infinite) {
        return tml_knn_infinite_weight(d) ? 1.0f : 0.0f;
    }
    return 1.0f / d;
}

/*
 * The prediction for x[n_features] into out[n_out >= n_outputs], with dist_scratch and
 * index_scratch of n_scratch >= k entries (left holding the neighbours): a classifier's class
 * probabilities (weight per class over the total; all 0 if every weight is 0, as
 * scikit-learn's normalizer of 0 becomes 1), a regressor's weighted mean of the neighbours'
 * targets. Returns TML_OK or a TML_E_* code; trusts a validated model.
 */
static inline int tml_knn_predict(const tml_knn_t *m, const float *x, float *dist_scratch, int32_t *index_scratch,
                                  int32_t n_scratch, float *out, int32_t n_out)
{
    int32_t i, c, any_infinite;
    float total = 0.0f;
    int status;
    if (m == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_out < m->n_outputs) {
        return TML_E_SIZE;
    }
    status = tml_knn_neighbors(m, x, dist_scratch, index_scratch, n_scratch);
    if (status != TML_OK) {
        return status;
    }
    any_infinite = m->weights == TML_WEIGHTS_DISTANCE && tml_knn_any_infinite_weight(dist_scratch, m->k);
    for (c = 0; c < m->n_outputs; c++) {
        out[c] = 0.0f;
    }
    for (i = 0; i < m->k; i++) {
        float w = tml_knn_weight(m, dist_scratch[i], any_infinite);
        int32_t sample = index_scratch[i];
        if (m->labels != NULL) {
            out[TML_READ_I32(&m->labels[sample])] += w;
        } else {
            const float *y = m->targets + sample * m->n_outputs;
            for (c = 0; c < m->n_outputs; c++) {
                out[c] += w * TML_READ_F32(&y[c]);
            }
        }
        total += w;
    }
    if (m->labels != NULL && total == 0.0f) {
        return TML_OK; /* every weight 0 (all distances overflowed): probabilities stay 0 */
    }
    for (c = 0; c < m->n_outputs; c++) {
        out[c] /= total;
    }
    return TML_OK;
}

/* Class index from a classifier's probabilities: the first largest, as predict picks it. */
static inline int32_t tml_knn_class(const tml_knn_t *m, const float *proba)
{
    if (m == NULL || proba == NULL) {
        return TML_E_NULL;
    }
    return tml_argmax(proba, m->n_outputs);
}

/* ---- model methods, named after scikit-learn's (on a validated model) ---- */

/* predict_proba of a classifier into proba[n >= n_outputs] (see tml_knn_predict); TML_E_KIND
 * for a regressor. Returns TML_OK or a TML_E_* code. */
static inline int tml_knn_predict_proba(const tml_knn_t *m, const float *x, float *dist_scratch,
                                        int32_t *index_scratch, int32_t n_scratch, float *proba, int32_t n)
{
    if (m != NULL && m->labels == NULL) {
        return TML_E_KIND;
    }
    return tml_knn_predict(m, x, dist_scratch, index_scratch, n_scratch, proba, n);
}

/* predict of a classifier: the class index, the first most probable class, with proba[n >=
 * n_outputs] left holding predict_proba. Returns a negative TML_E_* code on bad input. */
static inline int32_t tml_knn_predict_class(const tml_knn_t *m, const float *x, float *dist_scratch,
                                            int32_t *index_scratch, int32_t n_scratch, float *proba, int32_t n)
{
    int status = tml_knn_predict_proba(m, x, dist_scratch, index_scratch, n_scratch, proba, n);
    return status != TML_OK ? status : tml_knn_class(m, proba);
}

/* predict of a regressor into y[n >= n_outputs]; TML_E_KIND for a classifier. Returns TML_OK
 * or a TML_E_* code. */
static inline int tml_knn_predict_values(const tml_knn_t *m, const float *x, float *dist_scratch,
                                         int32_t *index_scratch, int32_t n_scratch, float *y, int32_t n)
{
    if (m != NULL && m->targets == NULL) {
        return TML_E_KIND;
    }
    return tml_knn_predict(m, x, dist_scratch, index_scratch, n_scratch, y, n);
}

#endif /* TINYML_KNN_H */
