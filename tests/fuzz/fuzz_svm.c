/*
 * libFuzzer target: support vector machines (SVC one-vs-one, SVR, one-class). An SVM
 * descriptor and its tables (fuzz.h's layout) go through tml_wasm_svm_run (decision_function
 * and score_samples) as the browser calls it; a model tml_svm_validate accepts then through
 * every model method (tml_svm_predict_class, _decision_function, _predict_values,
 * _score_samples, _predict_label), also with a short scratch and a short output.
 */
#include "fuzz.h"

/* Pairwise decisions: C (C - 1) / 2 for C >= 3 classes, else 1. */
static int64_t svm_decisions(const tml_svm_t *m)
{
    int64_t c = m->n_classes;
    return c >= 3 ? c * (c - 1) / 2 : 1;
}

/* Elements of each table of a model with m's sizes (svm.h's struct comments). */
static int64_t svm_count(const tml_svm_t *m, const char *field)
{
    if (fz_is(field, "support")) {
        return fz_mul(m->n_support, m->n_features);
    }
    if (fz_is(field, "class_start")) {
        return m->n_classes >= 2 ? (int64_t)m->n_classes + 1 : 0; /* unused below 2 classes */
    }
    if (fz_is(field, "dual_coef")) {
        return fz_mul(m->n_classes >= 2 ? (int64_t)m->n_classes - 1 : 1, m->n_support);
    }
    if (fz_is(field, "intercept")) {
        return svm_decisions(m);
    }
    return fz_unknown_field(field);
}

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_svm, tml_svm_t, TML_SVM_DESCRIPTOR, svm_count)

int main(void)
{
    encode_svm(&FUZZ_MODEL);
    fz_write_row(FUZZ_MODEL.n_features);
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_svm, tml_svm_t, TML_SVM_DESCRIPTOR, svm_from_descriptor, svm_count)

/* predict's class: a class of an SVC, 0 / 1 (outlier / inlier) with one class. */
static int svm_class_ok(const tml_svm_t *s, int32_t c)
{
    return c >= 0 && c < (s->n_classes >= 2 ? s->n_classes : 2);
}

/* Every model method on row x of a validated model, with scratch of n_scratch floats. */
static void svm_methods(const tml_svm_t *s, const float *x, float *scratch, int32_t n_scratch)
{
    int32_t n_scores = tml_svm_n_scores(s), label = 0;
    float *out = FZ_ALLOC(float, n_scores), *short_out = FZ_ALLOC(float, n_scores - 1), y;
    float *short_scratch = FZ_ALLOC(float, n_scratch - 1);

    FZ_REQUIRE(svm_class_ok(s, tml_svm_predict_class(s, x, scratch, n_scratch)));
    FZ_REQUIRE(tml_svm_predict_class(s, x, short_scratch, n_scratch - 1) == TML_E_SIZE);
    FZ_REQUIRE(tml_svm_decision_function(s, x, scratch, n_scratch, out, n_scores) == TML_OK);
    FZ_REQUIRE(tml_svm_decision_function(s, x, scratch, n_scratch, short_out, n_scores - 1) == TML_E_SIZE);
    FZ_REQUIRE(tml_svm_predict_values(s, x, scratch, n_scratch, &y) == TML_OK);
    FZ_REQUIRE(tml_svm_score_samples(s, x, scratch, n_scratch, &y) == TML_OK);
    FZ_REQUIRE(tml_svm_predict_label(s, x, scratch, n_scratch, &label) == TML_OK && (label == 1 || label == -1));
    free(out);
    free(short_out);
    free(short_scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t words[32], r, classes[FZ_ROWS], n_scratch, n_scores;
    tml_svm_t s;
    int status;
    float *x, *values, *scratch;

    fz_low_reset();
    if (decode_svm(&in, words) < 0) {
        return 0;
    }
    s = svm_from_descriptor(words);
    status = tml_svm_validate(&s);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    if (status != TML_OK) {
        float none[1], *empty = FZ_ALLOC(float, 0);
        FZ_REQUIRE(tml_wasm_svm_run(words, none, 1, 0, empty, 0, empty, classes) == status);
        free(empty);
        return 0;
    }
    n_scratch = TML_SVM_SCRATCH(s.n_support, tml_svm_n_decisions(&s));
    n_scores = tml_svm_n_scores(&s);
    if (fz_mul(s.n_support, s.n_features) + svm_decisions(&s) * s.n_classes > FZ_MAX_WORK ||
        (x = fz_rows(&in, s.n_features)) == NULL) {
        return 0;
    }
    scratch = FZ_ALLOC(float, n_scratch);
    values = FZ_ALLOC(float, FZ_ROWS * n_scores);
    FZ_REQUIRE(tml_wasm_svm_run(words, x, FZ_ROWS, 0, scratch, n_scratch, values, classes) == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(svm_class_ok(&s, classes[r]));
    }
    FZ_REQUIRE(tml_wasm_svm_run(words, x, FZ_ROWS, 1, scratch, n_scratch, values, classes) == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(svm_class_ok(&s, classes[r]));
        svm_methods(&s, x + (size_t)r * (size_t)s.n_features, scratch, n_scratch);
    }
    free(x);
    free(scratch);
    free(values);
    return 0;
}
#endif
