/*
 * TinyML Lab C runtime: support vector machines (SVC and NuSVC, binary and one-vs-one
 * multi-class; SVR and NuSVR; OneClassSVM).
 *
 * Header-only C99, `static inline` throughout, no malloc, no state: the caller gives a
 * scratch of n_support floats, so each kernel value is computed once per support vector even
 * when several pairwise decisions share it.
 *
 * Tables are scikit-learn's fitted attributes as they are:
 *   - support [n_support][D]: support_vectors_, grouped by class for SVC (class c owns rows
 *     [class_start[c], class_start[c + 1]), from n_support_).
 *   - dual_coef [max(C - 1, 1)][n_support]: dual_coef_. For C >= 3 the coefficients of the
 *     pair (i, j), i < j, are row j - 1 over class i's vectors and row i over class j's.
 *   - intercept [n_decisions]: intercept_ (decision = sum coef * K + intercept).
 * Decisions: C <= 2 gives one, d = sum_s dual_coef[0][s] K(sv_s, x) + intercept[0]; for a
 * binary SVC scikit-learn's public dual_coef_ and intercept_ are already sign-flipped, so
 * d > 0 leans to classes_[1]. C >= 3 gives one per pair in the order (0,1), (0,2), ...,
 * (0,C-1), (1,2), ...
 *
 * Classes follow scikit-learn exactly, boundaries included:
 *   - predict (tml_svm_vote) is libsvm's vote: pair (i, j) votes i when its internal
 *     decision is > 0, else j; most votes wins, ties to the lowest index. For a binary SVC
 *     the public decision is the negated internal one, so class 1 wins unless d < 0 (d == 0
 *     gives class 1). A one-class SVM's inlier (1) needs d > 0.
 *   - decision_function with decision_function_shape='ovr' (tml_svm_ovr_scores) counts a
 *     pair for j only when d < 0 (scikit-learn's predictions = dec < 0).
 *
 * The model methods at the end of this file follow scikit-learn's names and take one
 * scratch of TML_SVM_SCRATCH(n_support, n_decisions) floats (kernel values, then decisions):
 * tml_svm_predict_class, tml_svm_decision_function (shaped as the struct's shape says),
 * tml_svm_predict_values (SVR), and for a one-class SVM tml_svm_score_samples and
 * tml_svm_predict_label (-1 / 1), which use the struct's offset.
 *
 * tml_svm_validate checks a model once; the functions below trust a validated model.
 */
#ifndef TINYML_SVM_H
#define TINYML_SVM_H

#ifndef TINYML_COMMON_H /* a standalone model header embeds it just before */
#include "tinyml/common.h"
#endif

#define TML_KERNEL_LINEAR 0  /* <sv, x> */
#define TML_KERNEL_RBF 1     /* exp(-gamma * |sv - x|^2) */
#define TML_KERNEL_POLY 2    /* (gamma * <sv, x> + coef0)^degree */
#define TML_KERNEL_SIGMOID 3 /* tanh(gamma * <sv, x> + coef0) */

/* decision_function's shape for 3+ classes (decision_function_shape). */
#define TML_SVM_OVR 0 /* one score per class (scikit-learn's default) */
#define TML_SVM_OVO 1 /* the raw one-vs-one decisions */

/* Floats of scratch the model methods take: a kernel value per support vector, then the
 * decisions. */
#define TML_SVM_SCRATCH(n_support, n_decisions) ((n_support) + (n_decisions))

typedef struct {
    int32_t n_features;
    int32_t n_support;   /* all support vectors */
    int32_t n_classes;   /* 2+ for SVC (one-vs-one); 1 for SVR and OneClassSVM */
    int32_t kernel;      /* TML_KERNEL_* */
    float gamma, coef0;  /* gamma: all but linear; coef0: poly and sigmoid */
    int32_t degree;      /* poly */
    const float *support;       /* [n_support][D], grouped by class for SVC */
    const int32_t *class_start; /* [n_classes + 1] for n_classes >= 2, else unused (may be NULL) */
    const float *dual_coef;     /* [max(n_classes - 1, 1)][n_support] */
    const float *intercept;     /* [n_decisions] */
    int32_t shape;              /* TML_SVM_OVR (0, the zero default) or TML_SVM_OVO */
    float offset;               /* OneClassSVM: sklearn's offset_ (score_samples = decision + offset) */
} tml_svm_t;

/* C (C - 1) / 2 pairwise decisions for C >= 3 classes, else 1 (in an int64: no overflow
 * before validation). */
static inline int64_t tml_svm_n_decisions64(const tml_svm_t *s)
{
    int64_t c = s->n_classes;
    return c >= 3 ? c * (c - 1) / 2 : 1;
}

/* Decisions tml_svm_decisions writes (a validated model's count fits an int32). */
static inline int32_t tml_svm_n_decisions(const tml_svm_t *s)
{
    return (int32_t)tml_svm_n_decisions64(s);
}

/* Index of pair (i, j), i < j, among C classes' decisions: the pairs (a, b) with a < i come
 * first, C - 1 - a of them for each a. */
static inline int32_t tml_svm_pair_index(int32_t n_classes, int32_t i, int32_t j)
{
    int64_t before = (int64_t)i * (2 * (int64_t)n_classes - i - 1) / 2;
    return (int32_t)(before + (j - i - 1));
}

/* Kernel parameters the kernel uses: finite, gamma > 0, degree >= 1. */
static inline int tml_svm_validate_kernel(const tml_svm_t *s)
{
    if (s->kernel < TML_KERNEL_LINEAR || s->kernel > TML_KERNEL_SIGMOID) {
        return TML_E_KIND;
    }
    if (s->kernel != TML_KERNEL_LINEAR && !(s->gamma > 0.0f && tml_is_finite(s->gamma))) {
        return TML_E_SCALE;
    }
    if ((s->kernel == TML_KERNEL_POLY || s->kernel == TML_KERNEL_SIGMOID) && !tml_is_finite(s->coef0)) {
        return TML_E_SCALE;
    }
    if (s->kernel == TML_KERNEL_POLY && s->degree < 1) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* Checks counts, pointers, kernel, class ranges and tables once; returns TML_OK or a
 * TML_E_* code. */
static inline int tml_svm_validate(const tml_svm_t *s)
{
    int32_t c, rows, n_dual, n_sv;
    int status;
    if (s == NULL || s->support == NULL || s->dual_coef == NULL || s->intercept == NULL ||
        (s->n_classes >= 2 && s->class_start == NULL)) {
        return TML_E_NULL;
    }
    if (s->n_features <= 0 || s->n_support <= 0 || s->n_classes <= 0) {
        return TML_E_SIZE;
    }
    rows = s->n_classes >= 2 ? s->n_classes - 1 : 1;
    n_sv = tml_count_product(s->n_support, s->n_features);
    n_dual = tml_count_product(rows, s->n_support);
    if (n_sv < 0 || n_dual < 0 || tml_svm_n_decisions64(s) > INT32_MAX) {
        return TML_E_SIZE;
    }
    status = tml_svm_validate_kernel(s);
    if (status != TML_OK) {
        return status;
    }
    if (s->shape != TML_SVM_OVR && s->shape != TML_SVM_OVO) {
        return TML_E_KIND;
    }
    if (!tml_is_finite(s->offset)) {
        return TML_E_SCALE;
    }
    if (s->n_classes >= 2) {
        /* ascending from 0 to n_support, every class owning at least one vector */
        if (TML_READ_I32(&s->class_start[0]) != 0 || TML_READ_I32(&s->class_start[s->n_classes]) != s->n_support) {
            return TML_E_SIZE;
        }
        for (c = 0; c < s->n_classes; c++) {
            if (TML_READ_I32(&s->class_start[c + 1]) <= TML_READ_I32(&s->class_start[c])) {
                return TML_E_SIZE;
            }
        }
    }
    if (!tml_all_finite(s->support, n_sv) || !tml_all_finite(s->dual_coef, n_dual) ||
        !tml_all_finite(s->intercept, tml_svm_n_decisions(s))) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* base^degree for degree >= 1 by squaring: at most 2 log2(degree) multiplies, no libm. */
static inline float tml_svm_powi(float base, int32_t degree)
{
    float result = 1.0f;
    while (degree > 0) {
        if (degree & 1) {
            result *= base;
        }
        base *= base;
        degree >>= 1;
    }
    return result;
}

/* Kernel value K(sv, x) of a validated model: sv a row of the support table, x the input. */
static inline float tml_svm_kernel(const tml_svm_t *s, const float *sv, const float *x)
{
    int32_t j;
    float acc = 0.0f;
    if (s->kernel == TML_KERNEL_RBF) {
        for (j = 0; j < s->n_features; j++) {
            float d = TML_READ_F32(&sv[j]) - x[j];
            acc += d * d;
        }
        return expf(-s->gamma * acc);
    }
    for (j = 0; j < s->n_features; j++) {
        acc += TML_READ_F32(&sv[j]) * x[j];
    }
    if (s->kernel == TML_KERNEL_POLY) {
        return tml_svm_powi(s->gamma * acc + s->coef0, s->degree);
    }
    if (s->kernel == TML_KERNEL_SIGMOID) {
        return tanhf(s->gamma * acc + s->coef0);
    }
    return acc;
}

/*
 * The raw decisions for x[n_features] into out[n_out] (n_out >= tml_svm_n_decisions),
 * with kernel_scratch[n_scratch >= n_support] holding each support vector's kernel value.
 * Returns TML_OK or a TML_E_* code; trusts a validated model.
 */
static inline int tml_svm_decisions(const tml_svm_t *s, const float *x, float *kernel_scratch,
                                    int32_t n_scratch, float *out, int32_t n_out)
{
    int32_t i, j, v, p = 0;
    if (s == NULL || x == NULL || kernel_scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_scratch < s->n_support || n_out < tml_svm_n_decisions(s)) {
        return TML_E_SIZE;
    }
    for (v = 0; v < s->n_support; v++) {
        kernel_scratch[v] = tml_svm_kernel(s, s->support + v * s->n_features, x);
    }
    if (s->n_classes <= 2) {
        float sum = 0.0f;
        for (v = 0; v < s->n_support; v++) {
            sum += TML_READ_F32(&s->dual_coef[v]) * kernel_scratch[v];
        }
        out[0] = sum + TML_READ_F32(&s->intercept[0]);
        return TML_OK;
    }
    for (i = 0; i < s->n_classes; i++) {
        for (j = i + 1; j < s->n_classes; j++) {
            /* class i's vectors weigh in through row j - 1, class j's through row i */
            const float *coef_i = s->dual_coef + (j - 1) * s->n_support;
            const float *coef_j = s->dual_coef + i * s->n_support;
            float sum = 0.0f;
            for (v = TML_READ_I32(&s->class_start[i]); v < TML_READ_I32(&s->class_start[i + 1]); v++) {
                sum += TML_READ_F32(&coef_i[v]) * kernel_scratch[v];
            }
            for (v = TML_READ_I32(&s->class_start[j]); v < TML_READ_I32(&s->class_start[j + 1]); v++) {
                sum += TML_READ_F32(&coef_j[v]) * kernel_scratch[v];
            }
            out[p] = sum + TML_READ_F32(&s->intercept[p]);
            p++;
        }
    }
    return TML_OK;
}

/*
 * Class index from the decisions, as predict gives it (see the top of this file): C >= 3,
 * the class with most one-vs-one votes (ties to the lowest index); binary SVC (C == 2),
 * 0 when d < 0, else 1; C == 1, 1 when d > 0, else 0 (a one-class SVM's inlier; meaningless
 * for SVR). Counts each class's votes from its own pairs, so needs no buffer. Returns
 * TML_E_NULL for a NULL argument.
 */
static inline int32_t tml_svm_vote(const tml_svm_t *s, const float *decisions)
{
    int32_t c, other, best = 0, best_votes = -1;
    if (s == NULL || decisions == NULL) {
        return TML_E_NULL;
    }
    if (s->n_classes == 2) {
        return decisions[0] < 0.0f ? 0 : 1;
    }
    if (s->n_classes < 2) {
        return decisions[0] > 0.0f ? 1 : 0;
    }
    for (c = 0; c < s->n_classes; c++) {
        int32_t votes = 0;
        for (other = 0; other < c; other++) { /* pair (other, c): c wins unless d > 0 */
            votes += decisions[tml_svm_pair_index(s->n_classes, other, c)] > 0.0f ? 0 : 1;
        }
        for (other = c + 1; other < s->n_classes; other++) { /* pair (c, other) */
            votes += decisions[tml_svm_pair_index(s->n_classes, c, other)] > 0.0f ? 1 : 0;
        }
        if (votes > best_votes) {
            best = c;
            best_votes = votes;
        }
    }
    return best;
}

/*
 * scikit-learn's decision_function_shape='ovr' scores for C >= 3 into out[n_out >= C]:
 * votes[c] + conf[c] / (3 (|conf[c]| + 1)), where pair (i, j) with decision d votes j when
 * d < 0 and i otherwise, and adds d to conf[i] and -d to conf[j]. The transform keeps every
 * score within 1/3 of its vote count, so confidences only break ties in votes. For C <= 2
 * scikit-learn's decision_function is the single decision, copied to out[0]. Returns TML_OK or
 * a TML_E_* code.
 */
static inline int tml_svm_ovr_scores(const tml_svm_t *s, const float *decisions, float *out, int32_t n_out)
{
    int32_t c, other;
    if (s == NULL || decisions == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_out < (s->n_classes >= 3 ? s->n_classes : 1)) {
        return TML_E_SIZE;
    }
    if (s->n_classes < 3) {
        out[0] = decisions[0];
        return TML_OK;
    }
    for (c = 0; c < s->n_classes; c++) {
        float votes = 0.0f, conf = 0.0f;
        for (other = 0; other < c; other++) { /* pair (other, c): c is its j */
            float d = decisions[tml_svm_pair_index(s->n_classes, other, c)];
            votes += d < 0.0f ? 1.0f : 0.0f;
            conf -= d;
        }
        for (other = c + 1; other < s->n_classes; other++) { /* pair (c, other): c is its i */
            float d = decisions[tml_svm_pair_index(s->n_classes, c, other)];
            votes += d < 0.0f ? 0.0f : 1.0f;
            conf += d;
        }
        out[c] = votes + conf / (3.0f * (fabsf(conf) + 1.0f));
    }
    return TML_OK;
}

/* ---- model methods (on a validated model) ---- */

/* Values decision_function gives: C for 3+ classes shaped "ovr", else the decisions. */
static inline int32_t tml_svm_n_scores(const tml_svm_t *s)
{
    return s->n_classes >= 3 && s->shape == TML_SVM_OVR ? s->n_classes : tml_svm_n_decisions(s);
}

/* The decisions for x into scratch + n_support, the kernel values before them (scratch of
 * n_scratch >= TML_SVM_SCRATCH(n_support, n_decisions) floats). */
static inline int tml_svm_scratch_decisions(const tml_svm_t *s, const float *x, float *scratch,
                                            int32_t n_scratch)
{
    if (s == NULL || scratch == NULL) {
        return TML_E_NULL;
    }
    if (n_scratch < TML_SVM_SCRATCH(s->n_support, tml_svm_n_decisions(s))) {
        return TML_E_SIZE;
    }
    return tml_svm_decisions(s, x, scratch, s->n_support, scratch + s->n_support, tml_svm_n_decisions(s));
}

/* predict as a class index: one-vs-one votes (SVC), or a one-class SVM's index into [-1, 1]
 * (1 = inlier: decision > 0). Returns a negative TML_E_* code on bad input. */
static inline int32_t tml_svm_predict_class(const tml_svm_t *s, const float *x, float *scratch, int32_t n_scratch)
{
    int status = tml_svm_scratch_decisions(s, x, scratch, n_scratch);
    return status != TML_OK ? status : tml_svm_vote(s, scratch + s->n_support);
}

/*
 * decision_function into out[n] (n >= tml_svm_n_scores): for 3+ classes the "ovr" scores or
 * the one-vs-one decisions, as the struct's shape says; else the single decision (a binary
 * SVC's, a one-class SVM's: negative means outlier). Returns TML_OK or a TML_E_* code.
 */
static inline int tml_svm_decision_function(const tml_svm_t *s, const float *x, float *scratch,
                                            int32_t n_scratch, float *out, int32_t n)
{
    int32_t k;
    int status = tml_svm_scratch_decisions(s, x, scratch, n_scratch);
    if (status != TML_OK) {
        return status;
    }
    if (out == NULL) {
        return TML_E_NULL;
    }
    if (n < tml_svm_n_scores(s)) {
        return TML_E_SIZE;
    }
    if (s->n_classes >= 3 && s->shape == TML_SVM_OVR) {
        return tml_svm_ovr_scores(s, scratch + s->n_support, out, n);
    }
    for (k = 0; k < tml_svm_n_decisions(s); k++) {
        out[k] = scratch[s->n_support + k];
    }
    return TML_OK;
}

/* An SVR's predict into *y: its decision. Returns TML_OK or a TML_E_* code. */
static inline int tml_svm_predict_values(const tml_svm_t *s, const float *x, float *scratch, int32_t n_scratch,
                                         float *y)
{
    int status = tml_svm_scratch_decisions(s, x, scratch, n_scratch);
    if (status == TML_OK) {
        if (y == NULL) {
            return TML_E_NULL;
        }
        *y = scratch[s->n_support];
    }
    return status;
}

/* A one-class SVM's score_samples into *score: decision + offset. Returns TML_OK or a
 * TML_E_* code. */
static inline int tml_svm_score_samples(const tml_svm_t *s, const float *x, float *scratch, int32_t n_scratch,
                                        float *score)
{
    int status = tml_svm_predict_values(s, x, scratch, n_scratch, score);
    if (status == TML_OK) {
        *score += s->offset;
    }
    return status;
}

/* A one-class SVM's predict as scikit-learn labels it: *label = 1 for an inlier (decision >
 * 0), -1 for an outlier. Returns TML_OK or a TML_E_* code. */
static inline int tml_svm_predict_label(const tml_svm_t *s, const float *x, float *scratch, int32_t n_scratch,
                                        int32_t *label)
{
    int32_t c;
    if (label == NULL) {
        return TML_E_NULL;
    }
    c = tml_svm_predict_class(s, x, scratch, n_scratch);
    if (c < 0) {
        return c;
    }
    *label = c == 1 ? 1 : -1;
    return TML_OK;
}

#endif /* TINYML_SVM_H */
