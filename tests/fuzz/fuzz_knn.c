/*
 * libFuzzer target: nearest neighbours (classifier and regressor). A knn descriptor and its
 * tables (fuzz.h's layout) go through tml_wasm_knn_run as the browser calls it; a model
 * tml_knn_validate accepts then through every model method (tml_knn_predict_class,
 * _predict_proba, _predict_values), also with short scratch buffers and a short output.
 */
#include "fuzz.h"

/* Elements of each table of a model with m's sizes (knn.h's struct comments). */
static int64_t knn_count(const tml_knn_t *m, const char *field)
{
    if (fz_is(field, "samples")) {
        return fz_mul(m->n_samples, m->n_features);
    }
    if (fz_is(field, "labels")) {
        return m->n_samples;
    }
    if (fz_is(field, "targets")) {
        return fz_mul(m->n_samples, m->n_outputs);
    }
    return fz_unknown_field(field);
}

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_knn, tml_knn_t, TML_KNN_DESCRIPTOR, knn_count)

int main(void)
{
    encode_knn(&FUZZ_MODEL);
    fz_write_row(FUZZ_MODEL.n_features);
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_knn, tml_knn_t, TML_KNN_DESCRIPTOR, knn_from_descriptor, knn_count)

/* Every model method on row x of a validated model. */
static void knn_methods(const tml_knn_t *m, const float *x)
{
    int32_t n = m->n_outputs, k = m->k, c;
    int classifier = m->labels != NULL;
    float *out = FZ_ALLOC(float, n), *short_out = FZ_ALLOC(float, n - 1);
    float *dist = FZ_ALLOC(float, k), *short_dist = FZ_ALLOC(float, k - 1);
    int32_t *index = FZ_ALLOC(int32_t, k), *short_index = FZ_ALLOC(int32_t, k - 1);

    FZ_REQUIRE(tml_knn_predict_proba(m, x, dist, index, k, out, n) == (classifier ? TML_OK : TML_E_KIND));
    FZ_REQUIRE(tml_knn_predict_values(m, x, dist, index, k, out, n) == (classifier ? TML_E_KIND : TML_OK));
    if (classifier) {
        c = tml_knn_predict_class(m, x, dist, index, k, out, n);
        FZ_REQUIRE(c >= 0 && c < n);
        FZ_REQUIRE(tml_knn_predict_class(m, x, short_dist, short_index, k - 1, out, n) == TML_E_SIZE);
        FZ_REQUIRE(tml_knn_predict_proba(m, x, dist, index, k, short_out, n - 1) == TML_E_SIZE);
    } else {
        FZ_REQUIRE(tml_knn_predict_values(m, x, short_dist, short_index, k - 1, out, n) == TML_E_SIZE);
        FZ_REQUIRE(tml_knn_predict_values(m, x, dist, index, k, short_out, n - 1) == TML_E_SIZE);
    }
    free(out);
    free(short_out);
    free(dist);
    free(short_dist);
    free(index);
    free(short_index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t words[32], r, classes[FZ_ROWS], *index;
    tml_knn_t m;
    int status;
    float *x, *values, *dist;

    fz_low_reset();
    if (decode_knn(&in, words) < 0) {
        return 0;
    }
    m = knn_from_descriptor(words);
    status = tml_knn_validate(&m);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    if (status != TML_OK) {
        float none[1], *empty = FZ_ALLOC(float, 0);
        FZ_REQUIRE(tml_wasm_knn_run(words, none, 1, empty, (int32_t *)empty, 0, empty, classes) == status);
        free(empty);
        return 0;
    }
    if (fz_mul(m.n_samples, m.n_features) + fz_mul(m.k, m.n_outputs) > FZ_MAX_WORK ||
        (x = fz_rows(&in, m.n_features)) == NULL) {
        return 0;
    }
    dist = FZ_ALLOC(float, m.k);
    index = FZ_ALLOC(int32_t, m.k);
    values = FZ_ALLOC(float, FZ_ROWS * m.n_outputs);
    FZ_REQUIRE(tml_wasm_knn_run(words, x, FZ_ROWS, dist, index, m.k, values, classes) == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(m.labels != NULL ? classes[r] >= 0 && classes[r] < m.n_outputs : classes[r] == 0);
        knn_methods(&m, x + (size_t)r * (size_t)m.n_features);
    }
    free(x);
    free(dist);
    free(index);
    free(values);
    return 0;
}
#endif
