/*
 * libFuzzer target: tree ensembles. A forest descriptor and its tables (fuzz.h's layout) go
 * through tml_wasm_forest_validate and tml_wasm_forest_run as the browser calls them (row by
 * row, and in blocks of 3 rows, which must give the same bits); a forest the validator accepts
 * then through every model method (tml_forest_predict_class with float
 * and quantized features, _predict_values, _predict_proba, _decision_function,
 * _score_samples, _predict_label), also with an output one value too short.
 */
#include "fuzz.h"

/* Elements of each table of a forest with m's sizes (forest.h's struct comments). */
static int64_t forest_count(const tml_forest_t *m, const char *field)
{
    int64_t width = m->tree_output != NULL ? 1 : m->n_outputs;
    if (fz_is(field, "tree_root") || fz_is(field, "tree_output")) {
        return m->n_trees;
    }
    if (fz_is(field, "node_feature") || fz_is(field, "node_next") || fz_is(field, "node_threshold_f32") ||
        fz_is(field, "node_threshold_i16") || fz_is(field, "node_threshold_i8")) {
        return m->n_nodes;
    }
    if (fz_is(field, "feature_scale") || fz_is(field, "feature_offset")) {
        return m->n_features;
    }
    if (fz_is(field, "leaf_values") || fz_is(field, "leaf_u8") || fz_is(field, "leaf_i16")) {
        return fz_mul(m->n_leaf_rows, width);
    }
    if (fz_is(field, "baseline")) {
        return m->n_outputs;
    }
    if (fz_is(field, "node_missing_left")) {
        return m->n_nodes > 0 ? ((int64_t)m->n_nodes + 7) / 8 : 0;
    }
    if (fz_is(field, "category_bits")) {
        return fz_mul(m->n_category_sets, m->category_words);
    }
    return fz_unknown_field(field);
}

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_forest, tml_forest_t, TML_FOREST_DESCRIPTOR, forest_count)

int main(void)
{
    encode_forest(&FUZZ_MODEL);
    fz_write_row(FUZZ_MODEL.n_features);
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_forest, tml_forest_t, TML_FOREST_DESCRIPTOR, forest_from_descriptor, forest_count)

/* The class index predict gives is one of the model's: [0, n_outputs), or 0 / 1 with a
 * logistic or isolation link. */
static int forest_class_ok(const tml_forest_t *f, int32_t c)
{
    int32_t n = (f->link == TML_LINK_LOGISTIC || f->link == TML_LINK_ISOLATION) ? 2 : f->n_outputs;
    return c >= 0 && c < n;
}

/* Every model method on row x of a validated forest. */
static void forest_methods(const tml_forest_t *f, const float *x)
{
    int32_t n_values = tml_forest_n_values(f), c, label = 0;
    float *out = FZ_ALLOC(float, n_values), *short_out = FZ_ALLOC(float, n_values - 1), score;
    int status;

    c = tml_forest_predict_class(f, x, NULL, out, f->n_outputs);
    FZ_REQUIRE(forest_class_ok(f, c));
    if (tml_forest_is_quantized(f)) {
        int16_t *xq = FZ_ALLOC(int16_t, f->n_features);
        FZ_REQUIRE(tml_quantize_features_i16(f->feature_scale, f->feature_offset, x, xq, f->n_features) == TML_OK);
        c = tml_forest_predict_class(f, NULL, xq, out, f->n_outputs);
        FZ_REQUIRE(forest_class_ok(f, c));
        free(xq);
    }
    FZ_REQUIRE(tml_forest_predict_values(f, x, NULL, out, n_values) == TML_OK);
    FZ_REQUIRE(tml_forest_predict_values(f, x, NULL, short_out, n_values - 1) == TML_E_SIZE);
    status = tml_forest_predict_proba(f, x, NULL, out, n_values);
    FZ_REQUIRE(status == (f->link == TML_LINK_ISOLATION ? TML_E_KIND : TML_OK));
    FZ_REQUIRE(tml_forest_decision_function(f, x, NULL, out, f->n_outputs) == TML_OK);
    FZ_REQUIRE(tml_forest_decision_function(f, x, NULL, short_out, f->n_outputs - 1) == TML_E_SIZE);
    status = tml_forest_score_samples(f, x, NULL, &score);
    FZ_REQUIRE(status == (f->link == TML_LINK_ISOLATION ? TML_OK : TML_E_KIND));
    status = tml_forest_predict_label(f, x, NULL, &label);
    FZ_REQUIRE(status != TML_OK || label == 1 || label == -1);
    free(out);
    free(short_out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t words[64], r, classes[FZ_ROWS];
    tml_forest_t f;
    int status;
    float *x, *values, *scratch;

    fz_low_reset();
    if (decode_forest(&in, words) < 0) {
        return 0;
    }
    f = forest_from_descriptor(words);
    status = tml_wasm_forest_validate(words);
    FZ_REQUIRE(FZ_IS_STATUS(status) && status == tml_forest_validate(&f));
    if (status != TML_OK) {
        /* a refused model runs nothing: empty buffers stay untouched */
        float none[1], *empty = FZ_ALLOC(float, 0);
        FZ_REQUIRE(tml_wasm_forest_run(words, none, 1, empty, classes, empty, 0, 0) == status);
        free(empty);
        return 0;
    }
    /* every walk ends within n_nodes steps, then adds a leaf row; int16 leaves walk every
     * tree once per output */
    if (fz_mul(fz_mul(f.leaf_i16 != NULL ? f.n_outputs : 1, f.n_trees), (int64_t)f.n_nodes + tml_forest_leaf_width(&f)) +
                f.n_outputs >
            FZ_MAX_WORK ||
        (x = fz_rows(&in, f.n_features)) == NULL) {
        return 0;
    }
    values = FZ_ALLOC(float, FZ_ROWS * tml_forest_n_values(&f));
    scratch = FZ_ALLOC(float, tml_forest_n_values(&f));
    status = tml_wasm_forest_run(words, x, FZ_ROWS, values, classes, scratch,
                                 tml_forest_n_values(&f) * (int32_t)sizeof(float), 0);
    FZ_REQUIRE(status == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(forest_class_ok(&f, classes[r]));
        forest_methods(&f, x + (size_t)r * (size_t)f.n_features);
    }
    {
        /* in blocks of 3 rows, tree by tree: the same bits */
        int32_t bytes = tml_wasm_forest_scratch(words, 3), block_classes[FZ_ROWS];
        float *block_values = FZ_ALLOC(float, FZ_ROWS * tml_forest_n_values(&f));
        int32_t *block_scratch = FZ_ALLOC(int32_t, bytes / 4 + 1);
        FZ_REQUIRE(bytes > 0);
        FZ_REQUIRE(tml_wasm_forest_run(words, x, FZ_ROWS, block_values, block_classes, block_scratch, bytes, 3) ==
                   TML_OK);
        FZ_REQUIRE(memcmp(block_values, values, (size_t)FZ_ROWS * (size_t)tml_forest_n_values(&f) * sizeof(float)) == 0);
        FZ_REQUIRE(memcmp(block_classes, classes, sizeof classes) == 0);
        free(block_values);
        free(block_scratch);
    }
    free(x);
    free(values);
    free(scratch);
    return 0;
}
#endif
