/* Unit tests of the nearest-neighbour runtime (knn.h). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0xda942042e4dd58b5ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/knn.h"

int32_t second_unit_knn_validate(const tml_knn_t *m);

static tml_knn_t make_knn(int32_t n_samples, int32_t n_features, int32_t n_outputs, int32_t k, const float *samples,
                          const int32_t *labels, const float *targets)
{
    tml_knn_t m;
    m.n_samples = n_samples;
    m.n_features = n_features;
    m.n_outputs = n_outputs;
    m.k = k;
    m.metric = TML_METRIC_EUCLIDEAN;
    m.p = 2.0f;
    m.weights = TML_WEIGHTS_UNIFORM;
    m.samples = samples;
    m.labels = labels;
    m.targets = targets;
    return m;
}

/* ---- references: every distance in double, then a stable selection sort on (d, index) ---- */

static double ref_distance(const tml_knn_t *m, const float *a, const float *x)
{
    double acc = 0.0;
    int j;
    for (j = 0; j < m->n_features; j++) {
        double d = fabs((double)a[j] - (double)x[j]);
        if (m->metric == TML_METRIC_EUCLIDEAN) {
            acc += d * d;
        } else if (m->metric == TML_METRIC_MANHATTAN) {
            acc += d;
        } else if (m->metric == TML_METRIC_CHEBYSHEV) {
            acc = d > acc ? d : acc;
        } else {
            acc += pow(d, (double)m->p);
        }
    }
    if (m->metric == TML_METRIC_EUCLIDEAN) {
        return sqrt(acc);
    }
    if (m->metric == TML_METRIC_MINKOWSKI) {
        return pow(acc, 1.0 / (double)m->p);
    }
    return acc;
}

/* The k nearest by repeated minimum over the samples not taken yet (first minimum wins). */
static void ref_neighbors(const tml_knn_t *m, const float *x, double *dist, int *index)
{
    double all[64];
    int taken[64] = {0};
    int i, t;
    for (i = 0; i < m->n_samples; i++) {
        all[i] = ref_distance(m, m->samples + i * m->n_features, x);
    }
    for (t = 0; t < m->k; t++) {
        int best = -1;
        for (i = 0; i < m->n_samples; i++) {
            if (!taken[i] && (best < 0 || all[i] < all[best])) {
                best = i;
            }
        }
        taken[best] = 1;
        dist[t] = all[best];
        index[t] = best;
    }
}

/* ---- tests ---- */

static void test_ties_lower_index_first(void)
{
    /* four samples at distance 1 from the origin, one farther */
    static const float samples[] = {1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, 0.0f, -1.0f, 2.0f, 2.0f};
    static const int32_t labels[] = {0, 1, 0, 1, 1};
    /* later samples nearer: distances 2, 1, 2, 1 from the origin */
    static const float samples2[] = {2.0f, 0.0f, 1.0f, 0.0f, 0.0f, -2.0f, 0.0f, 1.0f};
    static const int32_t labels2[] = {0, 0, 0, 0};
    const float origin[] = {0.0f, 0.0f};
    float dist[5];
    int32_t index[5];
    tml_knn_t m = make_knn(5, 2, 2, 3, samples, labels, NULL);
    CHECK(tml_knn_validate(&m) == TML_OK);
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 5) == TML_OK);
    CHECK(index[0] == 0 && index[1] == 1 && index[2] == 2);
    CHECK(dist[0] == 1.0f && dist[1] == 1.0f && dist[2] == 1.0f);
    m.k = 5;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 5) == TML_OK);
    CHECK(index[0] == 0 && index[1] == 1 && index[2] == 2 && index[3] == 3 && index[4] == 4);
    CHECK(close_to(dist[4], sqrt(8.0), 1e-7));
    m = make_knn(4, 2, 1, 4, samples2, labels2, NULL);
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 4) == TML_OK);
    CHECK(index[0] == 1 && index[1] == 3 && index[2] == 0 && index[3] == 2);
    CHECK(dist[0] == 1.0f && dist[1] == 1.0f && dist[2] == 2.0f && dist[3] == 2.0f);
    m.k = 3; /* sample 2 ties the third (sample 0) and must not displace it */
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 4) == TML_OK);
    CHECK(index[0] == 1 && index[1] == 3 && index[2] == 0);
}

static void test_every_metric_by_hand(void)
{
    static const float samples[] = {3.0f, -4.0f};
    static const int32_t labels[] = {0};
    const float origin[] = {0.0f, 0.0f};
    float dist[1];
    int32_t index[1];
    tml_knn_t m = make_knn(1, 2, 1, 1, samples, labels, NULL);
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK && dist[0] == 5.0f);
    m.metric = TML_METRIC_MANHATTAN;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK && dist[0] == 7.0f);
    m.metric = TML_METRIC_CHEBYSHEV;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK && dist[0] == 4.0f);
    m.metric = TML_METRIC_MINKOWSKI;
    m.p = 3.0f;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK);
    CHECK(close_to(dist[0], cbrt(91.0), 1e-6));
    m.p = 0.5f;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK);
    CHECK(close_to(dist[0], (sqrt(3.0) + 2.0) * (sqrt(3.0) + 2.0), 1e-6));
    m.p = 1.0f;
    CHECK(tml_knn_neighbors(&m, origin, dist, index, 1) == TML_OK);
    CHECK(close_to(dist[0], 7.0, 1e-6));
}

/* Random samples (with duplicates, for ties) against the reference, every metric. */
static void test_random_against_reference(void)
{
    enum { N = 40, D = 3, K = 7 };
    float samples[N * D], x[D], dist[K];
    int32_t labels[N], index[K];
    double ref_dist[K];
    int ref_index[K];
    int metric, trial, i, ok_index = 1, ok_dist = 1;
    for (i = 0; i < N * D; i++) {
        samples[i] = rng_float(-1.0f, 1.0f);
    }
    for (i = 0; i < D; i++) { /* samples 10, 20 and 30 copy sample 5 */
        samples[10 * D + i] = samples[20 * D + i] = samples[30 * D + i] = samples[5 * D + i];
    }
    for (i = 0; i < N; i++) {
        labels[i] = i % 3;
    }
    for (metric = TML_METRIC_EUCLIDEAN; metric <= TML_METRIC_MINKOWSKI; metric++) {
        tml_knn_t m = make_knn(N, D, 3, K, samples, labels, NULL);
        m.metric = metric;
        m.p = 1.5f;
        CHECK(tml_knn_validate(&m) == TML_OK);
        for (trial = 0; trial < 30; trial++) {
            for (i = 0; i < D; i++) {
                /* every third query sits next to the duplicated sample, so the copies tie */
                x[i] = trial % 3 == 0 ? samples[5 * D + i] + 0.01f : rng_float(-1.2f, 1.2f);
            }
            ok_index &= tml_knn_neighbors(&m, x, dist, index, K) == TML_OK;
            ref_neighbors(&m, x, ref_dist, ref_index);
            for (i = 0; i < K; i++) {
                ok_index &= index[i] == ref_index[i];
                ok_dist &= close_to(dist[i], ref_dist[i], 1e-5);
                ok_dist &= i == 0 || dist[i] >= dist[i - 1];
            }
        }
    }
    CHECK(ok_index);
    CHECK(ok_dist);
}

static void test_classifier_weights(void)
{
    /* 1-D: samples 0 (class 0), 1 (class 1), 3 (class 1), 4 (class 2) */
    static const float samples[] = {0.0f, 1.0f, 3.0f, 4.0f};
    static const int32_t labels[] = {0, 1, 1, 2};
    const float x[] = {0.5f};
    float dist[3], proba[4] = {9.0f, 9.0f, 9.0f, 9.0f};
    int32_t index[3];
    double w0 = 1.0 / 0.5, w1 = 1.0 / 0.5, w2 = 1.0 / 2.5, total = w0 + w1 + w2;
    tml_knn_t m = make_knn(4, 1, 3, 3, samples, labels, NULL);
    CHECK(tml_knn_predict(&m, x, dist, index, 3, proba, 4) == TML_OK);
    CHECK(close_to(proba[0], 1.0 / 3.0, 1e-7) && close_to(proba[1], 2.0 / 3.0, 1e-7) && proba[2] == 0.0f);
    CHECK(proba[3] == 9.0f); /* nothing past n_outputs written */
    CHECK(tml_knn_class(&m, proba) == 1);
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, proba, 3) == TML_OK);
    CHECK(close_to(proba[0], w0 / total, 1e-6) && close_to(proba[1], (w1 + w2) / total, 1e-6) && proba[2] == 0.0f);
    CHECK(tml_knn_class(&m, proba) == 1);
    /* uniform tie between classes 0 and 1 (k = 2): the first maximum, class 0 */
    m.weights = TML_WEIGHTS_UNIFORM;
    m.k = 2;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, proba, 3) == TML_OK);
    CHECK(proba[0] == 0.5f && proba[1] == 0.5f && tml_knn_class(&m, proba) == 0);
}

/* predict_class / predict_proba / predict_values are tml_knn_predict under sklearn's names,
 * each refusing the other task. */
static void test_model_methods(void)
{
    static const float samples[] = {0.0f, 1.0f, 3.0f, 4.0f};
    static const int32_t labels[] = {0, 1, 1, 2};
    static const float targets[] = {1.0f, 2.0f, 4.0f, 8.0f};
    const float x[] = {0.5f};
    float dist[3], proba[3], want[3], y[1];
    int32_t index[3];
    tml_knn_t m = make_knn(4, 1, 3, 3, samples, labels, NULL);
    tml_knn_t r = make_knn(4, 1, 1, 2, samples, NULL, targets);
    CHECK(tml_knn_predict(&m, x, dist, index, 3, want, 3) == TML_OK);
    CHECK(tml_knn_predict_proba(&m, x, dist, index, 3, proba, 3) == TML_OK);
    CHECK(proba[0] == want[0] && proba[1] == want[1] && proba[2] == want[2]);
    CHECK(tml_knn_predict_class(&m, x, dist, index, 3, proba, 3) == tml_knn_class(&m, want));
    CHECK(tml_knn_predict_class(&m, x, dist, index, 2, proba, 3) == TML_E_SIZE);
    CHECK(tml_knn_predict_values(&m, x, dist, index, 3, y, 1) == TML_E_KIND);
    CHECK(tml_knn_predict_values(&r, x, dist, index, 3, y, 1) == TML_OK && y[0] == 1.5f);
    CHECK(tml_knn_predict_proba(&r, x, dist, index, 3, proba, 3) == TML_E_KIND);
    CHECK(tml_knn_predict_class(&r, x, dist, index, 3, proba, 3) == TML_E_KIND);
}

static void test_zero_distance_rule(void)
{
    /* samples 0 (class 0), 0 (class 1), 1 (class 1): x = 0 hits two of them exactly */
    static const float samples[] = {0.0f, 0.0f, 1.0f};
    static const int32_t labels[] = {0, 1, 1};
    static const float targets[] = {1.0f, 10.0f, 3.0f, 30.0f, 100.0f, 1000.0f};
    /* a subnormal distance whose reciprocal overflows counts as zero (1/d is inf) */
    static const float near[] = {0.0f, 1.0f};
    static const int32_t near_labels[] = {0, 1};
    const float x[] = {0.0f};
    const float x_tiny[] = {1e-39f};
    float dist[3], out[2];
    int32_t index[3];
    tml_knn_t m = make_knn(3, 1, 2, 3, samples, labels, NULL);
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(out[0] == 0.5f && out[1] == 0.5f && tml_knn_class(&m, out) == 0);
    m.weights = TML_WEIGHTS_UNIFORM;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(close_to(out[0], 1.0 / 3.0, 1e-7) && close_to(out[1], 2.0 / 3.0, 1e-7));
    /* regressor: mean of the zero-distance neighbours' targets only */
    m = make_knn(3, 1, 2, 3, samples, NULL, targets);
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_validate(&m) == TML_OK);
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(out[0] == 2.0f && out[1] == 20.0f);
    m.weights = TML_WEIGHTS_UNIFORM;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(close_to(out[0], 104.0 / 3.0, 1e-6) && close_to(out[1], 1040.0 / 3.0, 1e-6));
    /* subnormal distance */
    m = make_knn(2, 1, 2, 2, near, near_labels, NULL);
    m.metric = TML_METRIC_MANHATTAN;
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_predict(&m, x_tiny, dist, index, 2, out, 2) == TML_OK);
    CHECK(dist[0] > 0.0f && 1.0f / dist[0] == INFINITY);
    CHECK(out[0] == 1.0f && out[1] == 0.0f);
}

static void test_regressor_weights(void)
{
    static const float samples[] = {0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 3.0f, 5.0f, 5.0f};
    static const float targets[] = {1.0f, -1.0f, 2.0f, -2.0f, 4.0f, -4.0f, 8.0f, -8.0f};
    const float x[] = {0.0f, 1.0f};
    float dist[3], out[2];
    int32_t index[3];
    double d0 = 1.0, d1 = sqrt(2.0), d2 = 2.0;
    double want = (1.0 / d0 * 1.0 + 1.0 / d1 * 2.0 + 1.0 / d2 * 4.0) / (1.0 / d0 + 1.0 / d1 + 1.0 / d2);
    tml_knn_t m = make_knn(4, 2, 2, 3, samples, NULL, targets);
    CHECK(tml_knn_validate(&m) == TML_OK);
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(close_to(out[0], 7.0 / 3.0, 1e-6) && close_to(out[1], -7.0 / 3.0, 1e-6));
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_predict(&m, x, dist, index, 3, out, 2) == TML_OK);
    CHECK(close_to(out[0], want, 1e-6) && close_to(out[1], -want, 1e-6));
    CHECK(index[0] == 0 && index[1] == 1 && index[2] == 2);
}

/* Inputs that are not numbers do not break the buffer: NaN keeps it full, in index order;
 * an infinite input gives every weight 0 and probabilities of 0 (scikit-learn's normalizer). */
static void test_non_finite_inputs(void)
{
    static const float samples[] = {0.0f, 1.0f, 2.0f, 3.0f};
    static const int32_t labels[] = {0, 1, 0, 1};
    const float x_nan[] = {NAN};
    const float x_inf[] = {INFINITY};
    float dist[3], out[2];
    int32_t index[3];
    tml_knn_t m = make_knn(4, 1, 2, 3, samples, labels, NULL);
    int32_t metric;
    for (metric = TML_METRIC_EUCLIDEAN; metric <= TML_METRIC_MINKOWSKI; metric++) {
        m.metric = metric;
        CHECK(tml_knn_neighbors(&m, x_nan, dist, index, 3) == TML_OK);
        CHECK(index[0] == 0 && index[1] == 1 && index[2] == 2 && dist[0] != dist[0]);
    }
    m.metric = TML_METRIC_EUCLIDEAN;
    m.weights = TML_WEIGHTS_DISTANCE;
    CHECK(tml_knn_predict(&m, x_inf, dist, index, 3, out, 2) == TML_OK);
    CHECK(out[0] == 0.0f && out[1] == 0.0f);
}

static void test_argument_checks(void)
{
    static const float samples[] = {0.0f, 1.0f, 2.0f};
    static const int32_t labels[] = {0, 1, 0};
    const float x[] = {0.0f};
    float dist[2], out[2];
    int32_t index[2];
    tml_knn_t m = make_knn(3, 1, 2, 2, samples, labels, NULL);
    CHECK(tml_knn_neighbors(&m, x, dist, index, 1) == TML_E_SIZE);
    CHECK(tml_knn_neighbors(&m, NULL, dist, index, 2) == TML_E_NULL);
    CHECK(tml_knn_neighbors(&m, x, NULL, index, 2) == TML_E_NULL);
    CHECK(tml_knn_neighbors(&m, x, dist, NULL, 2) == TML_E_NULL);
    CHECK(tml_knn_neighbors(NULL, x, dist, index, 2) == TML_E_NULL);
    CHECK(tml_knn_predict(&m, x, dist, index, 1, out, 2) == TML_E_SIZE);
    CHECK(tml_knn_predict(&m, x, dist, index, 2, out, 1) == TML_E_SIZE);
    CHECK(tml_knn_predict(&m, x, dist, index, 2, NULL, 2) == TML_E_NULL);
    CHECK(tml_knn_predict(&m, x, NULL, index, 2, out, 2) == TML_E_NULL);
    CHECK(tml_knn_predict(NULL, x, dist, index, 2, out, 2) == TML_E_NULL);
    CHECK(tml_knn_predict(&m, x, dist, index, 2, out, 2) == TML_OK);
    CHECK(tml_knn_class(&m, NULL) == TML_E_NULL);
    CHECK(tml_knn_class(NULL, out) == TML_E_NULL);
}

static void test_validate_failures(void)
{
    static const float samples[] = {0.0f, 1.0f, 2.0f, 3.0f};
    static const int32_t labels[] = {0, 1, 2, 1};
    static const float targets[] = {0.0f, 1.0f, 2.0f, 3.0f};
    int32_t bad_labels[4];
    float bad[4];
    tml_knn_t m = make_knn(4, 1, 3, 2, samples, labels, NULL), h;
    CHECK(tml_knn_validate(&m) == TML_OK);
    CHECK(second_unit_knn_validate(&m) == TML_OK);
    CHECK(tml_knn_validate(NULL) == TML_E_NULL);
    h = m;
    h.samples = NULL;
    CHECK(tml_knn_validate(&h) == TML_E_NULL);
    h = m;
    h.labels = NULL; /* neither labels nor targets */
    CHECK(tml_knn_validate(&h) == TML_E_NULL);
    h = m;
    h.targets = targets; /* both */
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    /* counts */
    h = m;
    h.n_samples = 0;
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h = m;
    h.n_features = 0;
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h = m;
    h.n_outputs = 0;
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h = m;
    h.k = 0;
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h.k = 5; /* more neighbours than samples */
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h.k = 4;
    CHECK(tml_knn_validate(&h) == TML_OK);
    h = m;
    h.n_samples = 70000;
    h.n_features = 70000;
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    h = make_knn(70000, 1, 70000, 1, samples, NULL, targets); /* targets past INT32_MAX */
    CHECK(tml_knn_validate(&h) == TML_E_SIZE);
    /* kinds */
    h = m;
    h.metric = 4;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    h.metric = -1;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    h = m;
    h.weights = 2;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    h.weights = -1;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    /* Minkowski's p */
    h = m;
    h.p = 0.0f;
    CHECK(tml_knn_validate(&h) == TML_OK); /* euclidean ignores p */
    h.metric = TML_METRIC_MINKOWSKI;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
    h.p = -1.0f;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
    h.p = NAN;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
    h.p = INFINITY;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
    h.p = 0.25f;
    CHECK(tml_knn_validate(&h) == TML_OK);
    /* labels */
    memcpy(bad_labels, labels, sizeof labels);
    bad_labels[2] = 3;
    h = m;
    h.labels = bad_labels;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    bad_labels[2] = -1;
    CHECK(tml_knn_validate(&h) == TML_E_KIND);
    /* non-finite tables */
    memcpy(bad, samples, sizeof samples);
    bad[3] = NAN;
    h = m;
    h.samples = bad;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
    h = make_knn(4, 1, 1, 2, samples, NULL, targets);
    CHECK(tml_knn_validate(&h) == TML_OK);
    memcpy(bad, targets, sizeof targets);
    bad[0] = -INFINITY;
    h.targets = bad;
    CHECK(tml_knn_validate(&h) == TML_E_SCALE);
}

int main(void)
{
    test_model_methods();
    test_ties_lower_index_first();
    test_every_metric_by_hand();
    test_random_against_reference();
    test_classifier_weights();
    test_zero_distance_rule();
    test_regressor_weights();
    test_non_finite_inputs();
    test_argument_checks();
    test_validate_failures();
    return CHECK_REPORT("knn");
}
