/*
 * libFuzzer target: Gaussian log-likelihood models (naive Bayes, mixtures, elliptic
 * envelopes). A gauss descriptor and its tables (fuzz.h's layout) go through
 * tml_wasm_gauss_run as the browser calls it; a model tml_gauss_validate accepts then through
 * every model method (tml_gauss_predict_class, _predict_proba, _score_samples,
 * _decision_function, _predict_label), also with a short output.
 */
#include "fuzz.h"

/* Elements of each table of a model with m's sizes (gauss.h's struct comments). */
static int64_t gauss_count(const tml_gauss_t *m, const char *field)
{
    int64_t k = m->n_components, d = m->n_features;
    if (fz_is(field, "means")) {
        return fz_mul(k, d);
    }
    if (fz_is(field, "log_norm")) {
        return k;
    }
    if (fz_is(field, "prec_chol")) {
        switch (m->covariance) {
        case TML_COV_FULL:
            return fz_mul(k, fz_mul(d, d));
        case TML_COV_TIED:
            return fz_mul(d, d);
        case TML_COV_DIAG:
            return fz_mul(k, d);
        case TML_COV_SPHERICAL:
            return k;
        default:
            return 0; /* an unknown covariance type reads nothing */
        }
    }
    return fz_unknown_field(field);
}

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_gauss, tml_gauss_t, TML_GAUSS_DESCRIPTOR, gauss_count)

int main(void)
{
    encode_gauss(&FUZZ_MODEL);
    fz_write_row(FUZZ_MODEL.n_features);
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_gauss, tml_gauss_t, TML_GAUSS_DESCRIPTOR, gauss_from_descriptor, gauss_count)

/* predict's class: a component or class, or an envelope's 0 (outlier) / 1. */
static int gauss_class_ok(const tml_gauss_t *g, int32_t c)
{
    return c >= 0 && c < (g->kind == TML_GAUSS_ENVELOPE ? 2 : g->n_components);
}

/* Every model method on row x of a validated model. */
static void gauss_methods(const tml_gauss_t *g, const float *x)
{
    int32_t k = g->n_components, label = 0;
    int envelope = g->kind == TML_GAUSS_ENVELOPE;
    float *scratch = FZ_ALLOC(float, k), *short_out = FZ_ALLOC(float, k - 1), score;
    int status;

    FZ_REQUIRE(gauss_class_ok(g, tml_gauss_predict_class(g, x, scratch, k)));
    FZ_REQUIRE(tml_gauss_predict_proba(g, x, scratch, k) == (envelope ? TML_E_KIND : TML_OK));
    if (!envelope) {
        FZ_REQUIRE(tml_gauss_predict_proba(g, x, short_out, k - 1) == TML_E_SIZE);
        FZ_REQUIRE(tml_gauss_predict_class(g, x, short_out, k - 1) == TML_E_SIZE);
    }
    FZ_REQUIRE(tml_gauss_score_samples(g, x, scratch, k, &score) == TML_OK);
    FZ_REQUIRE(tml_gauss_decision_function(g, x, &score) == (envelope ? TML_OK : TML_E_KIND));
    status = tml_gauss_predict_label(g, x, &label);
    FZ_REQUIRE(status == (envelope ? TML_OK : TML_E_KIND) && (!envelope || label == 1 || label == -1));
    free(scratch);
    free(short_out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t words[32], r, classes[FZ_ROWS], k;
    tml_gauss_t g;
    int status;
    float *x, *values, *scratch, scores[FZ_ROWS];

    fz_low_reset();
    if (decode_gauss(&in, words) < 0) {
        return 0;
    }
    g = gauss_from_descriptor(words);
    status = tml_gauss_validate(&g);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    if (status != TML_OK) {
        float none[1], *empty = FZ_ALLOC(float, 0);
        FZ_REQUIRE(tml_wasm_gauss_run(words, none, 1, empty, empty, empty, classes) == status);
        free(empty);
        return 0;
    }
    k = g.n_components;
    if (fz_mul(fz_mul(k, g.n_features), g.n_features) > FZ_MAX_WORK || (x = fz_rows(&in, g.n_features)) == NULL) {
        return 0;
    }
    scratch = FZ_ALLOC(float, k);
    values = FZ_ALLOC(float, FZ_ROWS * (g.kind == TML_GAUSS_ENVELOPE ? 1 : k));
    status = tml_wasm_gauss_run(words, x, FZ_ROWS, scratch, values, scores, classes);
    FZ_REQUIRE(status == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(gauss_class_ok(&g, classes[r]));
        gauss_methods(&g, x + (size_t)r * (size_t)g.n_features);
    }
    free(x);
    free(scratch);
    free(values);
    return 0;
}
#endif
