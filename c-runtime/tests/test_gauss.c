/* Unit tests of the Gaussian runtime (gauss.h) and of log-sum-exp and softmax (common.h). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x9e3779b97f4a7c15ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/gauss.h"

int32_t second_unit_argmax(const float *v, int32_t n);
float second_unit_gauss_mahalanobis0(const tml_gauss_t *g, const float *x);

static tml_gauss_t make_gauss(int32_t k, int32_t d, int32_t cov, const float *means, const float *prec,
                              const float *log_norm)
{
    tml_gauss_t g;
    g.n_components = k;
    g.n_features = d;
    g.covariance = cov;
    g.means = means;
    g.prec_chol = prec;
    g.log_norm = log_norm;
    g.kind = TML_GAUSS_LIKELIHOOD;
    g.offset = 0.0f;
    return g;
}

/* Reference written differently: the precision matrix L = P P^T in double, then
 * m = diff^T L diff over the whole (upper-triangular, zero below) factor P. */
static double ref_mahalanobis_full(const float *p, const float *mean, const float *x, int d)
{
    double m = 0.0;
    int a, b, c;
    for (a = 0; a < d; a++) {
        for (b = 0; b < d; b++) {
            double l = 0.0;
            for (c = 0; c < d; c++) {
                double pa = c >= a ? (double)p[a * d + c] : 0.0; /* only the upper triangle counts */
                double pb = c >= b ? (double)p[b * d + c] : 0.0;
                l += pa * pb;
            }
            m += ((double)x[a] - (double)mean[a]) * l * ((double)x[b] - (double)mean[b]);
        }
    }
    return m;
}

static void test_diag_by_hand(void)
{
    /* comp 0: mean (0, 0), p (1, 1); comp 1: mean (1, 2), p (2, 0.5). x = (1, 1):
     * m0 = 1 + 1 = 2, m1 = (0 * 2)^2 + (-1 * 0.5)^2 = 0.25. */
    static const float means[] = {0.0f, 0.0f, 1.0f, 2.0f};
    static const float prec[] = {1.0f, 1.0f, 2.0f, 0.5f};
    static const float log_norm[] = {-1.0f, -2.0f};
    const float x[] = {1.0f, 1.0f};
    float out[3] = {7.0f, 7.0f, 7.0f};
    tml_gauss_t g = make_gauss(2, 2, TML_COV_DIAG, means, prec, log_norm);
    CHECK(tml_gauss_validate(&g) == TML_OK);
    CHECK(tml_gauss_mahalanobis(&g, 0, x) == 2.0f);
    CHECK(tml_gauss_mahalanobis(&g, 1, x) == 0.25f);
    CHECK(tml_gauss_log_prob(&g, x, out, 3) == TML_OK);
    CHECK(out[0] == -2.0f);
    CHECK(out[1] == -2.125f);
    CHECK(out[2] == 7.0f); /* nothing past K written */
    CHECK(second_unit_gauss_mahalanobis0(&g, x) == 2.0f);
}

static void test_full_by_hand(void)
{
    /* P = [[2, 1], [0, 3]] (upper triangular), mean 0, x = (1, 2):
     * column 0: 1 * 2 = 2; column 1: 1 * 1 + 2 * 3 = 7; m = 4 + 49 = 53. The lower-left entry is
     * never read, so a junk value there changes nothing. */
    static const float means[] = {0.0f, 0.0f};
    static const float prec[] = {2.0f, 1.0f, 0.0f, 3.0f};
    static const float prec_junk[] = {2.0f, 1.0f, 100.0f, 3.0f};
    static const float log_norm[] = {0.5f};
    const float x[] = {1.0f, 2.0f};
    float out[1];
    tml_gauss_t g = make_gauss(1, 2, TML_COV_FULL, means, prec, log_norm);
    CHECK(tml_gauss_mahalanobis(&g, 0, x) == 53.0f);
    CHECK(fabs(ref_mahalanobis_full(prec, means, x, 2) - 53.0) < 1e-12);
    g.prec_chol = prec_junk;
    CHECK(tml_gauss_mahalanobis(&g, 0, x) == 53.0f);
    g.covariance = TML_COV_TIED;
    CHECK(tml_gauss_mahalanobis(&g, 0, x) == 53.0f);
    CHECK(tml_gauss_log_prob(&g, x, out, 1) == TML_OK);
    CHECK(out[0] == 0.5f - 26.5f);
}

/* One diagonal factor stored four ways: full (per component), tied, diag, spherical. */
static void test_covariance_types_agree(void)
{
    enum { K = 2, D = 3 };
    static const float means[K * D] = {0.5f, -1.0f, 2.0f, -0.25f, 0.75f, 1.5f};
    static const float log_norm[K] = {-0.3f, -1.7f};
    float full[K * D * D], tied[D * D], diag[K * D], spherical[K];
    float out_full[K], out_tied[K], out_diag[K], out_sph[K];
    const float a = 1.25f;
    int k, i, trial, ok_all = 1, ok_sph = 1;
    tml_gauss_t g_full = make_gauss(K, D, TML_COV_FULL, means, full, log_norm);
    tml_gauss_t g_tied = make_gauss(K, D, TML_COV_TIED, means, tied, log_norm);
    tml_gauss_t g_diag = make_gauss(K, D, TML_COV_DIAG, means, diag, log_norm);
    tml_gauss_t g_sph = make_gauss(K, D, TML_COV_SPHERICAL, means, spherical, log_norm);
    memset(full, 0, sizeof full);
    memset(tied, 0, sizeof tied);
    for (i = 0; i < D; i++) {
        tied[i * D + i] = a;
        for (k = 0; k < K; k++) {
            full[k * D * D + i * D + i] = a;
            diag[k * D + i] = a;
        }
    }
    for (k = 0; k < K; k++) {
        spherical[k] = a;
    }
    CHECK(tml_gauss_validate(&g_full) == TML_OK);
    CHECK(tml_gauss_validate(&g_tied) == TML_OK);
    CHECK(tml_gauss_validate(&g_diag) == TML_OK);
    CHECK(tml_gauss_validate(&g_sph) == TML_OK);
    for (trial = 0; trial < 50; trial++) {
        float x[D];
        for (i = 0; i < D; i++) {
            x[i] = rng_float(-3.0f, 3.0f);
        }
        tml_gauss_log_prob(&g_full, x, out_full, K);
        tml_gauss_log_prob(&g_tied, x, out_tied, K);
        tml_gauss_log_prob(&g_diag, x, out_diag, K);
        tml_gauss_log_prob(&g_sph, x, out_sph, K);
        for (k = 0; k < K; k++) {
            double diff2 = 0.0;
            for (i = 0; i < D; i++) {
                double d = (double)x[i] - (double)means[k * D + i];
                diff2 += d * d;
            }
            /* full and tied store the same matrix: the same arithmetic, bit for bit */
            ok_all &= out_full[k] == out_tied[k];
            /* diag skips the zero products: within rounding */
            ok_all &= close_to(out_full[k], (double)out_diag[k], 1e-6);
            ok_sph &= close_to(out_sph[k], (double)log_norm[k] - 0.5 * (double)a * (double)a * diff2, 1e-6);
            ok_sph &= close_to(out_sph[k], (double)out_diag[k], 1e-6);
        }
    }
    CHECK(ok_all);
    CHECK(ok_sph);
}

/* Random upper-triangular factors against the double reference P P^T; tied against full. */
static void test_full_random_against_reference(void)
{
    enum { K = 3, D = 5 };
    float means[K * D], full[K * D * D], log_norm[K], tied_out[K];
    int k, i, j, trial, ok = 1, ok_tied = 1;
    tml_gauss_t g = make_gauss(K, D, TML_COV_FULL, means, full, log_norm);
    tml_gauss_t t;
    for (k = 0; k < K; k++) {
        log_norm[k] = rng_float(-3.0f, 0.0f);
        for (i = 0; i < D; i++) {
            means[k * D + i] = rng_float(-1.0f, 1.0f);
            for (j = 0; j < D; j++) {
                full[(k * D + i) * D + j] = j < i ? 0.0f : j == i ? rng_float(0.5f, 2.0f) : rng_float(-1.0f, 1.0f);
            }
        }
    }
    CHECK(tml_gauss_validate(&g) == TML_OK);
    /* tied with component 1's matrix equals full whose every component has it */
    t = make_gauss(K, D, TML_COV_TIED, means, full + D * D, log_norm);
    CHECK(tml_gauss_validate(&t) == TML_OK);
    for (trial = 0; trial < 100; trial++) {
        float x[D];
        float out[K];
        for (i = 0; i < D; i++) {
            x[i] = rng_float(-2.0f, 2.0f);
        }
        tml_gauss_log_prob(&g, x, out, K);
        for (k = 0; k < K; k++) {
            double m = ref_mahalanobis_full(full + k * D * D, means + k * D, x, D);
            ok &= close_to(out[k], (double)log_norm[k] - 0.5 * m, 1e-5);
            ok &= close_to(tml_gauss_mahalanobis(&g, k, x), m, 1e-5);
        }
        tml_gauss_log_prob(&t, x, tied_out, K);
        for (k = 0; k < K; k++) {
            ok_tied &= close_to(tied_out[k],
                                (double)log_norm[k] - 0.5 * ref_mahalanobis_full(full + D * D, means + k * D, x, D),
                                1e-5);
        }
        ok_tied &= tml_gauss_mahalanobis(&t, 1, x) == tml_gauss_mahalanobis(&g, 1, x);
    }
    CHECK(ok);
    CHECK(ok_tied);
}

static double ref_log_sum_exp(const double *v, int n)
{
    double top = v[0], sum = 0.0;
    int k;
    for (k = 1; k < n; k++) {
        top = v[k] > top ? v[k] : top;
    }
    for (k = 0; k < n; k++) {
        sum += exp(v[k] - top);
    }
    return top + log(sum);
}

static void test_log_sum_exp(void)
{
    const float huge[] = {1000.0f, 1000.0f};
    const float huge_neg[] = {-1000.0f, -1001.0f, -1002.0f};
    const float all_neg_inf[] = {-INFINITY, -INFINITY, -INFINITY};
    const float some_neg_inf[] = {-INFINITY, 0.0f, -INFINITY};
    const float pos_inf[] = {1.0f, INFINITY, -INFINITY};
    const float with_nan[] = {1.0f, NAN, 2.0f};
    const float single[] = {-3.5f};
    float mixed[6];
    double mixed_d[6];
    double huge_neg_d[3] = {-1000.0, -1001.0, -1002.0};
    float r;
    int k;
    CHECK(close_to(tml_log_sum_exp(huge, 2), 1000.0 + log(2.0), 1e-7));
    CHECK(close_to(tml_log_sum_exp(huge_neg, 3), ref_log_sum_exp(huge_neg_d, 3), 1e-7));
    r = tml_log_sum_exp(all_neg_inf, 3);
    CHECK(r == -INFINITY);
    CHECK(tml_log_sum_exp(some_neg_inf, 3) == 0.0f);
    CHECK(tml_log_sum_exp(pos_inf, 3) == INFINITY);
    r = tml_log_sum_exp(with_nan, 3);
    CHECK(r != r);
    CHECK(tml_log_sum_exp(single, 1) == -3.5f);
    CHECK(tml_log_sum_exp(huge, 0) == -INFINITY);
    CHECK(tml_log_sum_exp(NULL, 2) == -INFINITY);
    for (k = 0; k < 6; k++) {
        mixed[k] = rng_float(-50.0f, 50.0f);
        mixed_d[k] = (double)mixed[k];
    }
    CHECK(close_to(tml_log_sum_exp(mixed, 6), ref_log_sum_exp(mixed_d, 6), 1e-6));
}

static void test_softmax(void)
{
    float a[] = {1000.0f, 1000.0f, -INFINITY};
    float b[] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    float c[] = {INFINITY, 0.0f, INFINITY};
    float d[] = {1.0f, 2.0f, 3.0f};
    float e[] = {-1e30f, 0.0f};
    float untouched[] = {5.0f};
    double sum = exp(1.0) + exp(2.0) + exp(3.0);
    tml_softmax_inplace(a, 3);
    CHECK(a[0] == 0.5f && a[1] == 0.5f && a[2] == 0.0f);
    tml_softmax_inplace(b, 4);
    CHECK(b[0] == 0.25f && b[1] == 0.25f && b[2] == 0.25f && b[3] == 0.25f);
    tml_softmax_inplace(c, 3);
    CHECK(c[0] == 0.5f && c[1] == 0.0f && c[2] == 0.5f);
    tml_softmax_inplace(d, 3);
    CHECK(close_to(d[0], exp(1.0) / sum, 1e-6) && close_to(d[1], exp(2.0) / sum, 1e-6) &&
          close_to(d[2], exp(3.0) / sum, 1e-6));
    tml_softmax_inplace(e, 2);
    CHECK(e[0] == 0.0f && e[1] == 1.0f);
    tml_softmax_inplace(untouched, 0);
    CHECK(untouched[0] == 5.0f);
    tml_softmax_inplace(NULL, 3); /* no crash */
}

/* GaussianNB's predict_proba and a mixture's score_samples from the log-probabilities. */
static void test_nb_proba_and_mixture_score(void)
{
    /* two classes, priors 0.25 / 0.75, variances (1, 4) and (0.25, 1) */
    static const float means[] = {0.0f, 1.0f, 2.0f, -1.0f};
    float prec[4], log_norm[2];
    const double var[4] = {1.0, 4.0, 0.25, 1.0};
    const double prior[2] = {0.25, 0.75};
    const double two_pi = 6.283185307179586;
    const float x[] = {0.7f, 0.2f};
    double jll[2], top, z;
    float out[2];
    int k, i;
    tml_gauss_t g = make_gauss(2, 2, TML_COV_DIAG, means, prec, log_norm);
    for (k = 0; k < 2; k++) {
        double ln = log(prior[k]);
        jll[k] = log(prior[k]);
        for (i = 0; i < 2; i++) {
            double v = var[k * 2 + i];
            double dx = (double)x[i] - (double)means[k * 2 + i];
            prec[k * 2 + i] = (float)(1.0 / sqrt(v));
            ln += -0.5 * log(two_pi) - 0.5 * log(v);
            /* GaussianNB's own formula: -0.5 sum log(2 pi var) - 0.5 sum (x - theta)^2 / var */
            jll[k] += -0.5 * log(two_pi * v) - 0.5 * dx * dx / v;
        }
        log_norm[k] = (float)ln;
    }
    CHECK(tml_gauss_validate(&g) == TML_OK);
    CHECK(tml_gauss_log_prob(&g, x, out, 2) == TML_OK);
    CHECK(close_to(out[0], jll[0], 1e-6) && close_to(out[1], jll[1], 1e-6));
    top = jll[0] > jll[1] ? jll[0] : jll[1];
    z = top + log(exp(jll[0] - top) + exp(jll[1] - top));
    CHECK(close_to(tml_log_sum_exp(out, 2), z, 1e-6));
    tml_softmax_inplace(out, 2);
    CHECK(close_to(out[0], exp(jll[0] - z), 1e-5) && close_to(out[1], exp(jll[1] - z), 1e-5));
    CHECK(second_unit_argmax(out, 2) == (jll[1] > jll[0] ? 1 : 0));
}

/* The methods of a log-likelihood model are the lower-level calls composed, bit for bit. */
static void test_likelihood_methods(void)
{
    static const float means[] = {0.0f, 1.0f, 2.0f, -1.0f, 0.5f, 0.5f};
    static const float prec[] = {1.0f, 0.5f, 2.0f, 1.0f, 0.75f, 1.5f};
    static const float log_norm[] = {-1.0f, -0.5f, -2.0f};
    /* read at run time, so no compiler folds one side's expf and not the other's */
    static volatile float x0 = 0.7f, x1 = 0.2f;
    const float x[] = {x0, x1};
    float lp[3], proba[3], scratch[3], score, d;
    int32_t k, label, ok = 1;
    tml_gauss_t g = make_gauss(3, 2, TML_COV_DIAG, means, prec, log_norm);
    CHECK(tml_gauss_validate(&g) == TML_OK);
    CHECK(tml_gauss_log_prob(&g, x, lp, 3) == TML_OK);
    CHECK(tml_gauss_predict_class(&g, x, scratch, 3) == tml_argmax(lp, 3));
    CHECK(tml_gauss_predict_class(&g, x, scratch, 2) == TML_E_SIZE);
    CHECK(tml_gauss_score_samples(&g, x, scratch, 3, &score) == TML_OK && score == tml_log_sum_exp(lp, 3));
    CHECK(tml_gauss_score_samples(&g, x, scratch, 3, NULL) == TML_E_NULL);
    CHECK(tml_gauss_predict_proba(&g, x, proba, 3) == TML_OK);
    tml_softmax_inplace(lp, 3);
    for (k = 0; k < 3; k++) {
        ok &= proba[k] == lp[k];
    }
    CHECK(ok);
    CHECK(tml_gauss_predict_proba(&g, x, proba, 2) == TML_E_SIZE);
    CHECK(tml_gauss_decision_function(&g, x, &d) == TML_E_KIND);
    CHECK(tml_gauss_predict_label(&g, x, &label) == TML_E_KIND);
}

/* An elliptic envelope: score_samples = -Mahalanobis^2, decision and predict against the
 * offset; one component only. */
static void test_envelope_methods(void)
{
    static const float means[] = {1.0f, -1.0f};
    static const float prec[] = {2.0f, 0.5f, 0.0f, 1.0f}; /* full, upper triangular */
    static const float log_norm[] = {0.0f};
    const float x[] = {0.25f, 0.5f};
    float score, d, proba[1];
    int32_t label;
    tml_gauss_t g = make_gauss(1, 2, TML_COV_FULL, means, prec, log_norm);
    g.kind = TML_GAUSS_ENVELOPE;
    g.offset = -1.0f;
    CHECK(tml_gauss_validate(&g) == TML_OK);
    CHECK(tml_gauss_score_samples(&g, x, NULL, 0, &score) == TML_OK);
    CHECK(score == -tml_gauss_mahalanobis(&g, 0, x));
    CHECK(tml_gauss_decision_function(&g, x, &d) == TML_OK && d == score - g.offset);
    g.offset = score; /* at the offset: an inlier */
    CHECK(tml_gauss_predict_label(&g, x, &label) == TML_OK && label == 1);
    CHECK(tml_gauss_predict_class(&g, x, NULL, 0) == 1);
    g.offset = score + 0.5f;
    CHECK(tml_gauss_predict_label(&g, x, &label) == TML_OK && label == -1);
    CHECK(tml_gauss_predict_class(&g, x, NULL, 0) == 0);
    CHECK(tml_gauss_predict_class(&g, NULL, NULL, 0) == TML_E_NULL);
    CHECK(tml_gauss_predict_proba(&g, x, proba, 1) == TML_E_KIND);
    g.offset = NAN;
    CHECK(tml_gauss_validate(&g) == TML_E_SCALE);
    g.offset = 0.0f;
    g.kind = 2;
    CHECK(tml_gauss_validate(&g) == TML_E_KIND);
    {
        static const float means2[] = {0.0f, 0.0f, 1.0f, 1.0f};
        static const float prec2[] = {1.0f, 1.0f};
        static const float log_norm2[] = {0.0f, 0.0f};
        tml_gauss_t two = make_gauss(2, 2, TML_COV_SPHERICAL, means2, prec2, log_norm2);
        two.kind = TML_GAUSS_ENVELOPE; /* an envelope has one component */
        CHECK(tml_gauss_validate(&two) == TML_E_KIND);
    }
}

static void test_validate_failures(void)
{
    static const float means[] = {0.0f, 0.0f, 1.0f, 1.0f};
    static const float prec[] = {1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f};
    static const float log_norm[] = {0.0f, 0.0f};
    float bad[8];
    float bad_norm[2];
    const float x[] = {0.0f, 0.0f};
    float out[2];
    float m;
    tml_gauss_t g = make_gauss(2, 2, TML_COV_FULL, means, prec, log_norm), h;
    CHECK(tml_gauss_validate(&g) == TML_OK);
    CHECK(tml_gauss_validate(NULL) == TML_E_NULL);
    h = g;
    h.means = NULL;
    CHECK(tml_gauss_validate(&h) == TML_E_NULL);
    h = g;
    h.prec_chol = NULL;
    CHECK(tml_gauss_validate(&h) == TML_E_NULL);
    h = g;
    h.log_norm = NULL;
    CHECK(tml_gauss_validate(&h) == TML_E_NULL);
    h = g;
    h.n_components = 0;
    CHECK(tml_gauss_validate(&h) == TML_E_SIZE);
    h = g;
    h.n_features = -1;
    CHECK(tml_gauss_validate(&h) == TML_E_SIZE);
    h = g;
    h.covariance = 4;
    CHECK(tml_gauss_validate(&h) == TML_E_KIND);
    h.covariance = -1;
    CHECK(tml_gauss_validate(&h) == TML_E_KIND);
    /* products past INT32_MAX are refused before any table is read */
    h = g;
    h.n_components = 65536;
    h.n_features = 65536; /* K * D = 2^32 */
    h.covariance = TML_COV_DIAG;
    CHECK(tml_gauss_validate(&h) == TML_E_SIZE);
    h = g;
    h.n_components = 1;
    h.n_features = 50000; /* D * D = 2.5e9 */
    h.covariance = TML_COV_TIED;
    CHECK(tml_gauss_validate(&h) == TML_E_SIZE);
    h = g;
    h.n_components = 2;
    h.n_features = 40000; /* D * D = 1.6e9 fits, K * D * D does not */
    h.covariance = TML_COV_FULL;
    CHECK(tml_gauss_validate(&h) == TML_E_SIZE);
    /* non-finite tables */
    memcpy(bad, means, sizeof means);
    bad[3] = NAN;
    h = g;
    h.means = bad;
    CHECK(tml_gauss_validate(&h) == TML_E_SCALE);
    memcpy(bad, prec, sizeof prec);
    bad[6] = INFINITY;
    h = g;
    h.prec_chol = bad;
    CHECK(tml_gauss_validate(&h) == TML_E_SCALE);
    h.covariance = TML_COV_TIED; /* only the first D * D floats belong to a tied model */
    CHECK(tml_gauss_validate(&h) == TML_OK);
    bad_norm[0] = 0.0f;
    bad_norm[1] = INFINITY;
    h = g;
    h.log_norm = bad_norm;
    CHECK(tml_gauss_validate(&h) == TML_E_SCALE);
    bad_norm[1] = NAN;
    CHECK(tml_gauss_validate(&h) == TML_E_SCALE);
    bad_norm[1] = -INFINITY; /* a component of weight 0: allowed, never wins */
    CHECK(tml_gauss_validate(&h) == TML_OK);
    CHECK(tml_gauss_log_prob(&h, x, out, 2) == TML_OK);
    CHECK(out[1] == -INFINITY && out[0] == 0.0f);
    /* argument checks */
    CHECK(tml_gauss_log_prob(&g, x, out, 1) == TML_E_SIZE);
    CHECK(tml_gauss_log_prob(&g, NULL, out, 2) == TML_E_NULL);
    CHECK(tml_gauss_log_prob(&g, x, NULL, 2) == TML_E_NULL);
    CHECK(tml_gauss_log_prob(NULL, x, out, 2) == TML_E_NULL);
    m = tml_gauss_mahalanobis(&g, 2, x);
    CHECK(m != m);
    m = tml_gauss_mahalanobis(&g, -1, x);
    CHECK(m != m);
    m = tml_gauss_mahalanobis(&g, 0, NULL);
    CHECK(m != m);
}

static void test_common_helpers(void)
{
    const float v[] = {1.0f, -2.0f, 3.0f};
    CHECK(tml_is_finite(0.0f) && tml_is_finite(-3e38f));
    CHECK(!tml_is_finite(INFINITY) && !tml_is_finite(-INFINITY) && !tml_is_finite(NAN));
    CHECK(tml_all_finite(v, 3) && tml_all_finite(v, 0));
    {
        const float w[] = {1.0f, NAN, INFINITY};
        CHECK(tml_first_non_finite(v, 3) == -1 && tml_first_non_finite(w, 0) == -1);
        CHECK(tml_first_non_finite(w, 3) == 1 && tml_first_non_finite(w + 2, 1) == 0 && !tml_all_finite(w, 2));
    }
    CHECK(tml_count_product(46341, 46340) == 2147441940);
    CHECK(tml_count_product(46341, 46341) == -1);
    CHECK(tml_count_product(0, INT32_MAX) == 0);
}

int main(void)
{
    test_diag_by_hand();
    test_full_by_hand();
    test_covariance_types_agree();
    test_full_random_against_reference();
    test_log_sum_exp();
    test_softmax();
    test_nb_proba_and_mixture_score();
    test_likelihood_methods();
    test_envelope_methods();
    test_validate_failures();
    test_common_helpers();
    return CHECK_REPORT("gauss");
}
