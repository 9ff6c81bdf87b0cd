/* Unit tests of the support-vector-machine runtime (svm.h). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x2545f4914f6cdd1dULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/svm.h"

int32_t second_unit_svm_decisions(const tml_svm_t *s);

static tml_svm_t make_svm(int32_t n_features, int32_t n_support, int32_t n_classes, int32_t kernel,
                          const float *support, const int32_t *class_start, const float *dual_coef,
                          const float *intercept)
{
    tml_svm_t s;
    s.n_features = n_features;
    s.n_support = n_support;
    s.n_classes = n_classes;
    s.kernel = kernel;
    s.gamma = 0.5f;
    s.coef0 = 1.0f;
    s.degree = 3;
    s.support = support;
    s.class_start = class_start;
    s.dual_coef = dual_coef;
    s.intercept = intercept;
    s.shape = TML_SVM_OVR;
    s.offset = 0.0f;
    return s;
}

/* ---- references, written the long way in double ---- */

static double ref_kernel(const tml_svm_t *s, const float *sv, const float *x)
{
    double dot = 0.0, dist2 = 0.0, base;
    int j, e;
    for (j = 0; j < s->n_features; j++) {
        dot += (double)sv[j] * (double)x[j];
        dist2 += ((double)sv[j] - (double)x[j]) * ((double)sv[j] - (double)x[j]);
    }
    switch (s->kernel) {
    case TML_KERNEL_LINEAR:
        return dot;
    case TML_KERNEL_RBF:
        return exp(-(double)s->gamma * dist2);
    case TML_KERNEL_POLY:
        base = (double)s->gamma * dot + (double)s->coef0;
        dot = 1.0;
        for (e = 0; e < s->degree; e++) {
            dot *= base;
        }
        return dot;
    default:
        return tanh((double)s->gamma * dot + (double)s->coef0);
    }
}

/* Class owning support vector v. */
static int ref_class_of(const tml_svm_t *s, int v)
{
    int c = 0;
    while (v >= s->class_start[c + 1]) {
        c++;
    }
    return c;
}

/* Decision of pair (i, j): every support vector looked at, its coefficient picked by class. */
static double ref_pair_decision(const tml_svm_t *s, const float *x, int i, int j, int p)
{
    double d = (double)s->intercept[p];
    int v;
    for (v = 0; v < s->n_support; v++) {
        int c = ref_class_of(s, v);
        double k = ref_kernel(s, s->support + v * s->n_features, x);
        if (c == i) {
            d += (double)s->dual_coef[(j - 1) * s->n_support + v] * k;
        } else if (c == j) {
            d += (double)s->dual_coef[i * s->n_support + v] * k;
        }
    }
    return d;
}

/* libsvm's vote with a tally array: pair (i, j) votes i when d > 0; first maximum wins. */
static int ref_vote(const float *d, int n_classes)
{
    int votes[16] = {0};
    int i, j, p = 0, best = 0;
    for (i = 0; i < n_classes; i++) {
        for (j = i + 1; j < n_classes; j++) {
            votes[d[p++] > 0.0f ? i : j]++;
        }
    }
    for (i = 1; i < n_classes; i++) {
        if (votes[i] > votes[best]) {
            best = i;
        }
    }
    return best;
}

/* scikit-learn's _ovr_decision_function(dec < 0, -dec, C), in double. */
static void ref_ovr(const float *d, int n_classes, double *out)
{
    double votes[16] = {0}, conf[16] = {0};
    int i, j, p = 0;
    for (i = 0; i < n_classes; i++) {
        for (j = i + 1; j < n_classes; j++) {
            int prediction = d[p] < 0.0f;
            double confidence = -(double)d[p];
            conf[i] -= confidence;
            conf[j] += confidence;
            votes[prediction ? j : i] += 1.0;
            p++;
        }
    }
    for (i = 0; i < n_classes; i++) {
        out[i] = votes[i] + conf[i] / (3.0 * (fabs(conf[i]) + 1.0));
    }
}

/* ---- tests ---- */

static void test_kernels_by_hand(void)
{
    /* sv = (1, 2), x = (3, -1): <sv, x> = 1, |sv - x|^2 = 13 */
    static const float sv[] = {1.0f, 2.0f};
    static const float coef[] = {1.0f};
    static const float b[] = {0.0f};
    const float x[] = {3.0f, -1.0f};
    tml_svm_t s = make_svm(2, 1, 1, TML_KERNEL_LINEAR, sv, NULL, coef, b);
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_kernel(&s, sv, x) == 1.0f);
    s.kernel = TML_KERNEL_RBF;
    s.gamma = 0.1f;
    CHECK(close_to(tml_svm_kernel(&s, sv, x), exp(-1.3), 1e-6));
    s.kernel = TML_KERNEL_POLY;
    s.gamma = 0.5f;
    s.coef0 = 1.0f;
    s.degree = 3;
    CHECK(tml_svm_kernel(&s, sv, x) == 3.375f); /* 1.5^3 */
    s.degree = 1;
    CHECK(tml_svm_kernel(&s, sv, x) == 1.5f);
    s.kernel = TML_KERNEL_SIGMOID;
    s.coef0 = -0.25f;
    CHECK(close_to(tml_svm_kernel(&s, sv, x), tanh(0.25), 1e-6));
}

static void test_powi(void)
{
    int32_t e;
    int ok = 1;
    for (e = 1; e <= 12; e++) {
        ok &= close_to(tml_svm_powi(-1.1f, e), pow((double)-1.1f, e), 1e-6);
        ok &= tml_svm_powi(2.0f, e) == (float)(1 << e);
    }
    CHECK(ok);
    CHECK(tml_svm_powi(-2.0f, 3) == -8.0f);
    CHECK(tml_svm_powi(0.0f, 5) == 0.0f);
}

/* SVR and OneClassSVM: one decision, sum coef * K + intercept, with every kernel. */
static void test_one_decision_models(void)
{
    enum { D = 3, NS = 4 };
    float sv[NS * D], coef[NS];
    const float b[] = {-0.3f};
    float scratch[NS], out[1], x[D];
    int kernel, v, trial, ok = 1;
    for (v = 0; v < NS * D; v++) {
        sv[v] = rng_float(-1.0f, 1.0f);
    }
    for (v = 0; v < NS; v++) {
        coef[v] = rng_float(-2.0f, 2.0f);
    }
    for (kernel = TML_KERNEL_LINEAR; kernel <= TML_KERNEL_SIGMOID; kernel++) {
        tml_svm_t s = make_svm(D, NS, 1, kernel, sv, NULL, coef, b);
        s.gamma = 0.7f;
        s.coef0 = 0.2f;
        s.degree = 2;
        CHECK(tml_svm_validate(&s) == TML_OK);
        CHECK(tml_svm_n_decisions(&s) == 1);
        for (trial = 0; trial < 20; trial++) {
            double want = (double)b[0];
            for (v = 0; v < D; v++) {
                x[v] = rng_float(-2.0f, 2.0f);
            }
            for (v = 0; v < NS; v++) {
                want += (double)coef[v] * ref_kernel(&s, sv + v * D, x);
            }
            ok &= tml_svm_decisions(&s, x, scratch, NS, out, 1) == TML_OK;
            ok &= close_to(out[0], want, 1e-5);
            ok &= tml_svm_vote(&s, out) == (out[0] > 0.0f ? 1 : 0);
        }
    }
    CHECK(ok);
}

/* One-class: inlier only when d > 0; an exact 0 is an outlier (libsvm: sum > 0 ? 1 : -1). */
static void test_one_class_boundary(void)
{
    static const float sv[] = {1.0f, 0.0f};
    static const float coef[] = {2.0f};
    static const float b[] = {-4.0f};
    const float on[] = {2.0f, 5.0f};     /* 2 * 2 - 4 = 0 */
    const float inside[] = {3.0f, 0.0f}; /* 2 */
    float scratch[1], d[1];
    tml_svm_t s = make_svm(2, 1, 1, TML_KERNEL_LINEAR, sv, NULL, coef, b);
    CHECK(tml_svm_decisions(&s, on, scratch, 1, d, 1) == TML_OK);
    CHECK(d[0] == 0.0f);
    CHECK(tml_svm_vote(&s, d) == 0);
    CHECK(tml_svm_decisions(&s, inside, scratch, 1, d, 1) == TML_OK);
    CHECK(d[0] == 2.0f);
    CHECK(tml_svm_vote(&s, d) == 1);
}

/* Binary SVC with scikit-learn's public (sign-flipped) coefficients: d = sum + b, class 1
 * unless d < 0, so a point exactly on the boundary is classes_[1] as in scikit-learn. */
static void test_binary_svc(void)
{
    /* class 0: (0, 0); class 1: (2, 0), (0, 2); linear: d = -x0 ... built so d = x0 + x1 - 2 */
    static const float sv[] = {0.0f, 0.0f, 2.0f, 0.0f, 0.0f, 2.0f};
    static const int32_t starts[] = {0, 1, 3};
    static const float coef[] = {-1.0f, 0.5f, 0.5f};
    static const float b[] = {-2.0f};
    const float x_low[] = {0.5f, 0.5f};   /* 0.5 + 0.5 - 2 = -1 */
    const float x_on[] = {1.0f, 1.0f};    /* 0 */
    const float x_high[] = {2.0f, 1.0f};  /* 1 */
    const float x_nan[] = {NAN, 1.0f};
    float scratch[3], d[1], ovr[1];
    tml_svm_t s = make_svm(2, 3, 2, TML_KERNEL_LINEAR, sv, starts, coef, b);
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_n_decisions(&s) == 1);
    CHECK(tml_svm_decisions(&s, x_low, scratch, 3, d, 1) == TML_OK);
    CHECK(d[0] == -1.0f && tml_svm_vote(&s, d) == 0);
    CHECK(tml_svm_decisions(&s, x_on, scratch, 3, d, 1) == TML_OK);
    CHECK(d[0] == 0.0f && tml_svm_vote(&s, d) == 1);
    CHECK(tml_svm_decisions(&s, x_high, scratch, 3, d, 1) == TML_OK);
    CHECK(d[0] == 1.0f && tml_svm_vote(&s, d) == 1);
    CHECK(tml_svm_ovr_scores(&s, d, ovr, 1) == TML_OK);
    CHECK(ovr[0] == 1.0f); /* a binary decision_function is the decision itself */
    /* NaN: libsvm's internal -NaN > 0 fails, so it votes for the pair's second class */
    CHECK(tml_svm_decisions(&s, x_nan, scratch, 3, d, 1) == TML_OK);
    CHECK(d[0] != d[0] && tml_svm_vote(&s, d) == 1);
}

/* 3 and 4 classes with every kernel against the reference decisions, vote and ovr. */
static void check_multiclass(int32_t n_classes, const int32_t *starts, int32_t kernel)
{
    enum { D = 3, MAX_SV = 12, MAX_DEC = 6 };
    float sv[MAX_SV * D], coef[3 * MAX_SV], b[MAX_DEC], scratch[MAX_SV], d[MAX_DEC], ovr[4];
    double ovr_want[4];
    int32_t ns = starts[n_classes], n_dec = n_classes * (n_classes - 1) / 2;
    int v, trial, i, j, p, ok = 1;
    tml_svm_t s = make_svm(D, ns, n_classes, kernel, sv, starts, coef, b);
    s.gamma = 0.3f;
    s.coef0 = 0.5f;
    s.degree = 3;
    for (v = 0; v < ns * D; v++) {
        sv[v] = rng_float(-1.5f, 1.5f);
    }
    for (v = 0; v < (n_classes - 1) * ns; v++) {
        coef[v] = rng_float(-1.0f, 1.0f);
    }
    for (v = 0; v < n_dec; v++) {
        b[v] = rng_float(-0.5f, 0.5f);
    }
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_n_decisions(&s) == n_dec);
    CHECK(second_unit_svm_decisions(&s) == n_dec);
    for (trial = 0; trial < 40; trial++) {
        float x[D];
        for (v = 0; v < D; v++) {
            x[v] = rng_float(-2.0f, 2.0f);
        }
        ok &= tml_svm_decisions(&s, x, scratch, ns, d, n_dec) == TML_OK;
        p = 0;
        for (i = 0; i < n_classes; i++) {
            for (j = i + 1; j < n_classes; j++) {
                ok &= close_to(d[p], ref_pair_decision(&s, x, i, j, p), 1e-5);
                ok &= tml_svm_pair_index(n_classes, i, j) == p;
                p++;
            }
        }
        ok &= tml_svm_vote(&s, d) == ref_vote(d, n_classes);
        ok &= tml_svm_ovr_scores(&s, d, ovr, n_classes) == TML_OK;
        ref_ovr(d, n_classes, ovr_want);
        for (i = 0; i < n_classes; i++) {
            ok &= close_to(ovr[i], ovr_want[i], 1e-6);
        }
    }
    CHECK(ok);
}

static void test_multiclass_every_kernel(void)
{
    static const int32_t starts3[] = {0, 2, 3, 5};
    static const int32_t starts4[] = {0, 3, 4, 7, 10};
    int32_t kernel;
    for (kernel = TML_KERNEL_LINEAR; kernel <= TML_KERNEL_SIGMOID; kernel++) {
        check_multiclass(3, starts3, kernel);
        check_multiclass(4, starts4, kernel);
    }
}

/* A 3-class model by hand: class 0 at (0), class 1 at (1), class 2 at (2), linear kernel on
 * one feature. Pair decisions from the coefficient layout: (0,1) uses row 0 for class 0's
 * vector and row 0 for class 1's; (0,2) row 1 for class 0's, row 0 for class 2's; (1,2)
 * row 1 for class 1's and row 1 for class 2's. */
static void test_three_class_layout_by_hand(void)
{
    static const float sv[] = {1.0f, 2.0f, 3.0f};
    static const int32_t starts[] = {0, 1, 2, 3};
    /* rows: [class-0 vec, class-1 vec, class-2 vec] */
    static const float coef[] = {10.0f, 20.0f, 30.0f, 100.0f, 200.0f, 300.0f};
    static const float b[] = {0.5f, 0.25f, 0.125f};
    const float x[] = {1.0f}; /* K = (1, 2, 3) */
    float scratch[3], d[3];
    tml_svm_t s = make_svm(1, 3, 3, TML_KERNEL_LINEAR, sv, starts, coef, b);
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_decisions(&s, x, scratch, 3, d, 3) == TML_OK);
    CHECK(d[0] == 10.0f * 1 + 20.0f * 2 + 0.5f);    /* (0,1): row 0 (j-1 = 0) and row 0 (i = 0) */
    CHECK(d[1] == 100.0f * 1 + 30.0f * 3 + 0.25f);  /* (0,2): row 1 (j-1 = 1) and row 0 (i = 0) */
    CHECK(d[2] == 200.0f * 2 + 300.0f * 3 + 0.125f); /* (1,2): row 1 (j-1 = 1) and row 1 (i = 1) */
}

/* The methods against the lower-level calls: predict, decision_function in both shapes,
 * SVR's predict, a one-class SVM's score_samples and -1 / 1, and the scratch size. */
static void test_model_methods(void)
{
    static const int32_t starts[] = {0, 2, 3, 5};
    enum { D = 2, NS = 5, NDEC = 3 };
    float sv[NS * D], coef[2 * NS], b[NDEC], d[NDEC], ovr[3], out[3];
    float scratch[TML_SVM_SCRATCH(NS, NDEC)];
    int v, trial, ok = 1;
    tml_svm_t s = make_svm(D, NS, 3, TML_KERNEL_RBF, sv, starts, coef, b);
    for (v = 0; v < NS * D; v++) {
        sv[v] = rng_float(-1.5f, 1.5f);
    }
    for (v = 0; v < 2 * NS; v++) {
        coef[v] = rng_float(-1.0f, 1.0f);
    }
    for (v = 0; v < NDEC; v++) {
        b[v] = rng_float(-0.5f, 0.5f);
    }
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_n_scores(&s) == 3);
    for (trial = 0; trial < 20; trial++) {
        float x[D], k[NS];
        x[0] = rng_float(-2.0f, 2.0f);
        x[1] = rng_float(-2.0f, 2.0f);
        s.shape = TML_SVM_OVR;
        ok &= tml_svm_decisions(&s, x, k, NS, d, NDEC) == TML_OK;
        ok &= tml_svm_ovr_scores(&s, d, ovr, 3) == TML_OK;
        ok &= tml_svm_predict_class(&s, x, scratch, TML_SVM_SCRATCH(NS, NDEC)) == tml_svm_vote(&s, d);
        ok &= tml_svm_decision_function(&s, x, scratch, TML_SVM_SCRATCH(NS, NDEC), out, 3) == TML_OK;
        ok &= out[0] == ovr[0] && out[1] == ovr[1] && out[2] == ovr[2];
        s.shape = TML_SVM_OVO;
        ok &= tml_svm_decision_function(&s, x, scratch, TML_SVM_SCRATCH(NS, NDEC), out, 3) == TML_OK;
        ok &= out[0] == d[0] && out[1] == d[1] && out[2] == d[2];
    }
    CHECK(ok);
    CHECK(tml_svm_predict_class(&s, sv, scratch, TML_SVM_SCRATCH(NS, NDEC) - 1) == TML_E_SIZE);
    CHECK(tml_svm_decision_function(&s, sv, scratch, TML_SVM_SCRATCH(NS, NDEC), out, 2) == TML_E_SIZE);
    CHECK(tml_svm_decision_function(&s, sv, scratch, TML_SVM_SCRATCH(NS, NDEC), NULL, 3) == TML_E_NULL);
    s.shape = 2;
    CHECK(tml_svm_validate(&s) == TML_E_KIND);
    {
        /* one decision d = 2 x0 - 4: SVR's predict, a one-class SVM's score and label */
        static const float sv1[] = {1.0f, 0.0f};
        static const float coef1[] = {2.0f};
        static const float b1[] = {-4.0f};
        const float inside[] = {3.0f, 0.0f}, on[] = {2.0f, 5.0f};
        float scratch1[TML_SVM_SCRATCH(1, 1)], y, score;
        int32_t label;
        tml_svm_t one = make_svm(2, 1, 1, TML_KERNEL_LINEAR, sv1, NULL, coef1, b1);
        one.offset = -1.5f;
        CHECK(tml_svm_validate(&one) == TML_OK);
        CHECK(tml_svm_predict_values(&one, inside, scratch1, 2, &y) == TML_OK && y == 2.0f);
        CHECK(tml_svm_score_samples(&one, inside, scratch1, 2, &score) == TML_OK && score == 2.0f - 1.5f);
        CHECK(tml_svm_decision_function(&one, inside, scratch1, 2, out, 1) == TML_OK && out[0] == 2.0f);
        CHECK(tml_svm_predict_label(&one, inside, scratch1, 2, &label) == TML_OK && label == 1);
        CHECK(tml_svm_predict_class(&one, inside, scratch1, 2) == 1);
        CHECK(tml_svm_predict_label(&one, on, scratch1, 2, &label) == TML_OK && label == -1); /* d == 0 */
        CHECK(tml_svm_predict_class(&one, on, scratch1, 2) == 0);
        CHECK(tml_svm_predict_label(&one, on, scratch1, 1, &label) == TML_E_SIZE);
        CHECK(tml_svm_score_samples(&one, on, scratch1, 2, NULL) == TML_E_NULL);
        CHECK(tml_svm_predict_values(&one, on, scratch1, 2, NULL) == TML_E_NULL);
        one.offset = NAN;
        CHECK(tml_svm_validate(&one) == TML_E_SCALE);
    }
}

static void test_votes_and_ties(void)
{
    static const int32_t starts3[] = {0, 1, 2, 3};
    static const int32_t starts4[] = {0, 1, 2, 3, 4};
    static const int32_t starts5[] = {0, 1, 2, 3, 4, 5};
    static const float zeros[10] = {0};
    tml_svm_t s3 = make_svm(1, 3, 3, TML_KERNEL_LINEAR, zeros, starts3, zeros, zeros);
    tml_svm_t s4 = make_svm(1, 4, 4, TML_KERNEL_LINEAR, zeros, starts4, zeros, zeros);
    tml_svm_t s5 = make_svm(1, 5, 5, TML_KERNEL_LINEAR, zeros, starts5, zeros, zeros);
    /* 3 classes, pairs (0,1), (0,2), (1,2) */
    const float cycle[] = {1.0f, -1.0f, 1.0f};   /* 0 beats 1, 2 beats 0, 1 beats 2: 1-1-1 tie -> 0 */
    const float cycle2[] = {-1.0f, 1.0f, -1.0f}; /* 1 beats 0, 0 beats 2, 2 beats 1: tie -> 0 */
    const float all_j[] = {-1.0f, -1.0f, -1.0f}; /* votes 0, 1, 2 -> 2 */
    const float zero3[] = {0.0f, 0.0f, 0.0f};    /* an exact 0 votes j: as all_j -> 2 */
    /* 4 classes, pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3): 0 loses all, 1 beats 2, 3 beats 1,
     * 2 beats 3: votes 0, 2, 2, 2 -> 1 */
    const float tie4[] = {-1.0f, -1.0f, -1.0f, 1.0f, -1.0f, 1.0f};
    /* 0 beats 1; 2 and 3 beat 0; 2 beats 1, 3 beats 1; 3 beats 2: votes 1, 0, 2, 3 -> 3 */
    const float clear4[] = {1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f};
    float ovr[5];
    float d[10];
    double want[5];
    int trial, i, ok = 1, ok_ovr = 1;
    CHECK(tml_svm_vote(&s3, cycle) == 0);
    CHECK(tml_svm_vote(&s3, cycle2) == 0);
    CHECK(tml_svm_vote(&s3, all_j) == 2);
    CHECK(tml_svm_vote(&s3, zero3) == 2);
    CHECK(tml_svm_vote(&s4, tie4) == 1);
    CHECK(tml_svm_vote(&s4, clear4) == 3);
    /* ovr at exact zeros counts the pair for i (predictions = dec < 0): votes 2, 1, 0, so
     * argmax(decision_function) is 0 where predict says 2, as in scikit-learn */
    CHECK(tml_svm_ovr_scores(&s3, zero3, ovr, 3) == TML_OK);
    CHECK(ovr[0] == 2.0f && ovr[1] == 1.0f && ovr[2] == 0.0f);
    /* ovr breaks the 3-way cycle with confidences: conf = (d01 + d02, -d01 + d12, -d02 - d12) */
    {
        const float c[] = {0.5f, -2.0f, 1.0f};
        double conf0 = 0.5 - 2.0, conf1 = -0.5 + 1.0, conf2 = 2.0 - 1.0;
        CHECK(tml_svm_ovr_scores(&s3, c, ovr, 3) == TML_OK);
        CHECK(close_to(ovr[0], 1.0 + conf0 / (3.0 * (fabs(conf0) + 1.0)), 1e-7));
        CHECK(close_to(ovr[1], 1.0 + conf1 / (3.0 * (fabs(conf1) + 1.0)), 1e-7));
        CHECK(close_to(ovr[2], 1.0 + conf2 / (3.0 * (fabs(conf2) + 1.0)), 1e-7));
        CHECK(tml_svm_vote(&s3, c) == 0);
    }
    /* random decisions (some exactly 0) against the tally and sklearn references */
    for (trial = 0; trial < 300; trial++) {
        tml_svm_t *s = trial % 3 == 0 ? &s3 : trial % 3 == 1 ? &s4 : &s5;
        int32_t n = tml_svm_n_decisions(s);
        for (i = 0; i < n; i++) {
            uint32_t r = rng_u32() % 5;
            d[i] = r == 0 ? 0.0f : rng_float(-3.0f, 3.0f);
        }
        ok &= tml_svm_vote(s, d) == ref_vote(d, s->n_classes);
        ok_ovr &= tml_svm_ovr_scores(s, d, ovr, 5) == TML_OK;
        ref_ovr(d, s->n_classes, want);
        for (i = 0; i < s->n_classes; i++) {
            ok_ovr &= close_to(ovr[i], want[i], 1e-6);
        }
    }
    CHECK(ok);
    CHECK(ok_ovr);
    CHECK(tml_svm_ovr_scores(&s4, tie4, ovr, 3) == TML_E_SIZE);
    CHECK(tml_svm_ovr_scores(&s4, NULL, ovr, 4) == TML_E_NULL);
    CHECK(tml_svm_vote(&s4, NULL) == TML_E_NULL);
    CHECK(tml_svm_vote(NULL, tie4) == TML_E_NULL);
}

static void test_pair_index(void)
{
    int32_t c, i, j, p, ok = 1;
    for (c = 3; c <= 9; c++) {
        p = 0;
        for (i = 0; i < c; i++) {
            for (j = i + 1; j < c; j++) {
                ok &= tml_svm_pair_index(c, i, j) == p++;
            }
        }
    }
    CHECK(ok);
    /* the largest class count whose pairs fit an int32: no overflow in the index */
    CHECK(tml_svm_pair_index(65536, 65534, 65535) == 2147450879);
}

static void test_argument_checks(void)
{
    static const float sv[] = {0.0f, 1.0f, 2.0f};
    static const int32_t starts[] = {0, 1, 2, 3};
    static const float coef[] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    static const float b[] = {0.0f, 0.0f, 0.0f};
    const float x[] = {1.0f};
    float scratch[3], d[3];
    tml_svm_t s = make_svm(1, 3, 3, TML_KERNEL_RBF, sv, starts, coef, b);
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_decisions(&s, x, scratch, 2, d, 3) == TML_E_SIZE);
    CHECK(tml_svm_decisions(&s, x, scratch, 3, d, 2) == TML_E_SIZE);
    CHECK(tml_svm_decisions(&s, NULL, scratch, 3, d, 3) == TML_E_NULL);
    CHECK(tml_svm_decisions(&s, x, NULL, 3, d, 3) == TML_E_NULL);
    CHECK(tml_svm_decisions(&s, x, scratch, 3, NULL, 3) == TML_E_NULL);
    CHECK(tml_svm_decisions(NULL, x, scratch, 3, d, 3) == TML_E_NULL);
    CHECK(tml_svm_decisions(&s, x, scratch, 3, d, 3) == TML_OK);
}

static void test_validate_failures(void)
{
    static const float sv[] = {0.0f, 1.0f, 2.0f, 3.0f};
    static const int32_t starts[] = {0, 1, 3, 4};
    static const float coef[] = {1.0f, -1.0f, 0.5f, 0.25f, 1.0f, -1.0f, 0.5f, 0.25f};
    static const float b[] = {0.0f, 0.1f, 0.2f};
    int32_t bad_starts[4];
    float bad[8];
    tml_svm_t s = make_svm(1, 4, 3, TML_KERNEL_RBF, sv, starts, coef, b), h;
    CHECK(tml_svm_validate(&s) == TML_OK);
    CHECK(tml_svm_validate(NULL) == TML_E_NULL);
    h = s;
    h.support = NULL;
    CHECK(tml_svm_validate(&h) == TML_E_NULL);
    h = s;
    h.dual_coef = NULL;
    CHECK(tml_svm_validate(&h) == TML_E_NULL);
    h = s;
    h.intercept = NULL;
    CHECK(tml_svm_validate(&h) == TML_E_NULL);
    h = s;
    h.class_start = NULL;
    CHECK(tml_svm_validate(&h) == TML_E_NULL);
    h.n_classes = 1; /* SVR and one-class have no classes */
    CHECK(tml_svm_validate(&h) == TML_OK);
    h = s;
    h.n_classes = 2;
    h.class_start = NULL;
    CHECK(tml_svm_validate(&h) == TML_E_NULL);
    /* counts */
    h = s;
    h.n_features = 0;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_support = 0;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_classes = 0;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_classes = -3;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_support = 70000;
    h.n_features = 70000; /* support table past INT32_MAX */
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_classes = 40000;
    h.n_support = 60000; /* dual_coef rows * n_support past INT32_MAX */
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    h = s;
    h.n_classes = 70000; /* 70000 * 69999 / 2 decisions past INT32_MAX */
    h.n_support = 1;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    /* kernel and its parameters */
    h = s;
    h.kernel = 4;
    CHECK(tml_svm_validate(&h) == TML_E_KIND);
    h.kernel = -1;
    CHECK(tml_svm_validate(&h) == TML_E_KIND);
    h = s;
    h.gamma = 0.0f;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.gamma = -1.0f;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.gamma = NAN;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.gamma = INFINITY;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.kernel = TML_KERNEL_LINEAR; /* the linear kernel has no gamma */
    CHECK(tml_svm_validate(&h) == TML_OK);
    h = s;
    h.coef0 = NAN;
    CHECK(tml_svm_validate(&h) == TML_OK); /* RBF ignores coef0 */
    h.kernel = TML_KERNEL_POLY;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.kernel = TML_KERNEL_SIGMOID;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.coef0 = -INFINITY;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h = s;
    h.degree = 0;
    CHECK(tml_svm_validate(&h) == TML_OK); /* RBF ignores the degree */
    h.kernel = TML_KERNEL_POLY;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.degree = -2;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.degree = 1;
    CHECK(tml_svm_validate(&h) == TML_OK);
    /* class ranges */
    memcpy(bad_starts, starts, sizeof starts);
    bad_starts[0] = 1;
    h = s;
    h.class_start = bad_starts;
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    memcpy(bad_starts, starts, sizeof starts);
    bad_starts[3] = 3; /* does not end at n_support */
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    memcpy(bad_starts, starts, sizeof starts);
    bad_starts[2] = 1; /* class 1 empty */
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    memcpy(bad_starts, starts, sizeof starts);
    bad_starts[1] = 3;
    bad_starts[2] = 2; /* descending */
    CHECK(tml_svm_validate(&h) == TML_E_SIZE);
    /* non-finite tables */
    memcpy(bad, sv, sizeof sv);
    bad[2] = NAN;
    h = s;
    h.support = bad;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    memcpy(bad, coef, sizeof coef);
    bad[7] = INFINITY;
    h = s;
    h.dual_coef = bad;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    memcpy(bad, b, sizeof b);
    bad[2] = NAN;
    h = s;
    h.intercept = bad;
    CHECK(tml_svm_validate(&h) == TML_E_SCALE);
    h.n_classes = 1; /* one decision: intercept[0] only, one row of dual_coef */
    CHECK(tml_svm_validate(&h) == TML_OK);
    CHECK(second_unit_svm_decisions(&h) == 1);
    h.n_classes = 3;
    CHECK(second_unit_svm_decisions(&h) == -1);
}

int main(void)
{
    test_model_methods();
    test_kernels_by_hand();
    test_powi();
    test_one_decision_models();
    test_one_class_boundary();
    test_binary_svc();
    test_multiclass_every_kernel();
    test_three_class_layout_by_hand();
    test_votes_and_ties();
    test_pair_index();
    test_argument_checks();
    test_validate_failures();
    return CHECK_REPORT("svm");
}
