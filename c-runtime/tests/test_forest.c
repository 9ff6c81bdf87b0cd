/* Unit tests of the tree-ensemble runtime on small hand-built forests. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 17u /* the random forests of the many-rows tests */
#include "check.h"
#include "tinyml/forest.h"

int32_t second_unit_argmax(const float *v, int32_t n);

/*
 * Two trees over 2 features, 2 classes, nodes in preorder:
 *   tree 0: node0 x0 <= 0.5 ? node1 (leaf row 0) : node2 (leaf row 1)
 *   tree 1: node3 x1 <= 2.0 ? node4 : node7
 *             node4 x0 <= -1 ? node5 (leaf row 2) : node6 (leaf row 0)
 *             node7 leaf row 1
 */
static const int32_t roots[] = {0, 3};
static const int16_t features[] = {0, TML_LEAF, TML_LEAF, 1, 0, TML_LEAF, TML_LEAF, TML_LEAF};
static const int32_t nexts[] = {2, 0, 1, 7, 6, 2, 0, 1};
static const float thresholds[] = {0.5f, 0, 0, 2.0f, -1.0f, 0, 0, 0};
static const int16_t thresholds_q[] = {2, 0, 0, 8, -4, 0, 0, 0}; /* scale 4: floor(t*4) */
static const float scales[] = {4.0f, 4.0f};
static const float leaves[] = {1.0f, 0.0f, 0.0f, 1.0f, 0.25f, 0.75f};

static tml_forest_t make_forest(void)
{
    tml_forest_t f;
    f.n_features = 2;
    f.n_outputs = 2;
    f.n_trees = 2;
    f.n_nodes = 8;
    f.n_leaf_rows = 3;
    f.tree_root = roots;
    f.node_feature = features;
    f.node_next = nexts;
    f.node_threshold_f32 = thresholds;
    f.node_threshold_i16 = NULL;
    f.feature_scale = NULL;
    f.leaf_values = leaves;
    f.combine = TML_COMBINE_MEAN;
    f.link = TML_LINK_IDENTITY;
    f.link_param = 0.0f;
    f.baseline = NULL;
    f.tree_output = NULL;
    f.tree_leaf = NULL;
    f.leaf_u8 = NULL;
    f.leaf_scale = 0.0f;
    f.node_threshold_i8 = NULL;
    f.leaf_i16 = NULL;
    f.feature_offset = NULL;
    f.offset = 0.0f;
    f.node_missing_left = NULL;
    f.category_bits = NULL;
    f.n_category_sets = 0;
    f.category_words = 0;
    return f;
}

static tml_forest_t make_quantized_forest(void)
{
    tml_forest_t f = make_forest();
    f.node_threshold_f32 = NULL;
    f.node_threshold_i16 = thresholds_q;
    f.feature_scale = scales;
    return f;
}

static void test_validate_accepts_good_tables(void)
{
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    CHECK(tml_forest_validate(&f) == TML_OK);
    CHECK(tml_forest_validate(&q) == TML_OK);
}

static void test_validate_rejects_malformed_tables(void)
{
    int16_t bad_features[8];
    int32_t bad_nexts[8];
    int32_t bad_roots[2] = {0, 3};
    tml_forest_t f;

    CHECK(tml_forest_validate(NULL) == TML_E_NULL);

    f = make_forest();
    f.n_trees = 0;
    CHECK(tml_forest_validate(&f) == TML_E_SIZE);

    f = make_forest();
    f.node_threshold_i16 = thresholds_q; /* both kinds of threshold */
    CHECK(tml_forest_validate(&f) == TML_E_THRESHOLDS);

    f = make_quantized_forest();
    f.feature_scale = NULL;
    CHECK(tml_forest_validate(&f) == TML_E_NULL);

    memcpy(bad_features, features, sizeof features);
    bad_features[4] = 2; /* feature index out of range */
    f = make_forest();
    f.node_feature = bad_features;
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);

    memcpy(bad_nexts, nexts, sizeof nexts);
    bad_nexts[0] = 0; /* right child pointing backwards would loop forever */
    f = make_forest();
    f.node_next = bad_nexts;
    CHECK(tml_forest_validate(&f) == TML_E_TREE);

    memcpy(bad_nexts, nexts, sizeof nexts);
    bad_nexts[0] = 1; /* right child on the left child's place */
    f = make_forest();
    f.node_next = bad_nexts;
    CHECK(tml_forest_validate(&f) == TML_E_TREE);

    memcpy(bad_nexts, nexts, sizeof nexts);
    bad_nexts[4] = 8; /* right child past the last node */
    f = make_forest();
    f.node_next = bad_nexts;
    CHECK(tml_forest_validate(&f) == TML_E_TREE);

    memcpy(bad_nexts, nexts, sizeof nexts);
    bad_nexts[7] = 3; /* leaf row out of range */
    f = make_forest();
    f.node_next = bad_nexts;
    CHECK(tml_forest_validate(&f) == TML_E_LEAF);

    bad_roots[1] = 8; /* root past the last node */
    f = make_forest();
    f.tree_root = bad_roots;
    CHECK(tml_forest_validate(&f) == TML_E_TREE);

    memcpy(bad_features, features, sizeof features);
    bad_features[2] = 0; /* internal node as the last node of its tree: no room for children */
    f = make_forest();
    f.node_feature = bad_features;
    CHECK(tml_forest_validate(&f) == TML_E_TREE);
}

static void test_split_sends_equal_values_left(void)
{
    tml_forest_t f = make_forest();
    const float at_threshold[2] = {0.5f, 2.0f};
    const float just_above[2] = {nextafterf(0.5f, 1.0f), nextafterf(2.0f, 3.0f)};
    CHECK(tml_forest_leaf_f32(&f, 0, at_threshold) == 0);
    CHECK(tml_forest_leaf_f32(&f, 0, just_above) == 1);
    CHECK(tml_forest_leaf_f32(&f, 1, at_threshold) == 0);
    CHECK(tml_forest_leaf_f32(&f, 1, just_above) == 1);
}

static void test_predict_values_and_class(void)
{
    tml_forest_t f = make_forest();
    const float x[2] = {-2.0f, 1.0f}; /* tree0 -> row0 (1,0), tree1 -> row2 (.25,.75) */
    float values[2];
    float scratch[2];
    CHECK(tml_forest_predict_values(&f, x, NULL, values, 2) == TML_OK);
    CHECK(values[0] == 0.625f && values[1] == 0.375f);
    CHECK(tml_forest_predict_class(&f, x, NULL, scratch, 2) == 0);
    CHECK(tml_forest_predict_values(&f, x, NULL, values, 1) == TML_E_SIZE);
    CHECK(tml_forest_predict_values(&f, NULL, NULL, values, 2) == TML_E_NULL);
}

static void test_quantize_floors_and_saturates(void)
{
    CHECK(tml_quantize_i16(0.25f, 4.0f, 0.0f) == 1);
    CHECK(tml_quantize_i16(0.49f, 4.0f, 0.0f) == 1);
    CHECK(tml_quantize_i16(-0.01f, 4.0f, 0.0f) == -1);
    CHECK(tml_quantize_i16(8191.49f, 4.0f, 0.0f) == 32765);
    CHECK(tml_quantize_i16(8191.5f, 4.0f, 0.0f) == 32766); /* the saturated code */
    CHECK(tml_quantize_i16(8191.99f, 4.0f, 0.0f) == 32766);
    CHECK(tml_quantize_i16(-8191.75f, 4.0f, 0.0f) == -32767);
    CHECK(tml_quantize_i16(-8191.99f, 4.0f, 0.0f) == INT16_MIN);
    CHECK(tml_quantize_i16(1e9f, 1.0f, 0.0f) == INT16_MAX - 1);
    CHECK(tml_quantize_i16(-1e9f, 1.0f, 0.0f) == INT16_MIN);
    /* NaN has a code of its own, which no other input reaches */
    CHECK(tml_quantize_i16(NAN, 1.0f, 0.0f) == TML_QUANTIZED_NAN && TML_QUANTIZED_NAN == INT16_MAX);
    CHECK(tml_quantize_i16(INFINITY, 1.0f, 0.0f) == INT16_MAX - 1);
    CHECK(tml_quantize_i16(-INFINITY, 1.0f, 0.0f) == INT16_MIN);
}

static void test_quantize_subtracts_the_offset_after_the_floor(void)
{
    /* floor first, then the whole-number offset: no rounding can cross a grid point */
    CHECK(tml_quantize_i16(250.25f, 4.0f, 1000.0f) == 1);
    CHECK(tml_quantize_i16(250.0f, 4.0f, 1000.0f) == 0);
    CHECK(tml_quantize_i16(0.99999994f, 1.0f, 100.0f) == -100);
    CHECK(tml_quantize_i16(-0.5f, 1.0f, -3.0f) == 2);
    /* saturation is relative to the offset */
    CHECK(tml_quantize_i16(8441.5f, 4.0f, 1000.0f) == 32766);
    CHECK(tml_quantize_i16(8441.75f, 4.0f, 1000.0f) == INT16_MAX - 1);
    CHECK(tml_quantize_i16(-7941.76f, 4.0f, 1000.0f) == INT16_MIN);
    CHECK(tml_quantize_i16(-7941.5f, 4.0f, 1000.0f) == -32766);
    CHECK(tml_quantize_i16(NAN, 4.0f, -1000.0f) == INT16_MAX);
    /* the largest offset keeps offset +- 32767 whole in float32 */
    CHECK(tml_quantize_i16(TML_MAX_FEATURE_OFFSET + 5.0f, 1.0f, TML_MAX_FEATURE_OFFSET) == 5);
}

static void test_validate_checks_scales_and_offsets(void)
{
    static const float bad_scales[] = {4.0f, 0.0f};
    static const float offsets[] = {3.0f, -2.0f};
    static const float fractional[] = {3.0f, 0.5f};
    static const float too_far[] = {16777216.0f, 0.0f};
    tml_forest_t q = make_quantized_forest();
    q.feature_offset = offsets;
    CHECK(tml_forest_validate(&q) == TML_OK);
    q.feature_offset = fractional;
    CHECK(tml_forest_validate(&q) == TML_E_SCALE);
    q.feature_offset = too_far;
    CHECK(tml_forest_validate(&q) == TML_E_SCALE);
    q = make_quantized_forest();
    q.feature_scale = bad_scales;
    CHECK(tml_forest_validate(&q) == TML_E_SCALE);
    q = make_forest();
    q.feature_offset = offsets; /* offsets without scales */
    CHECK(tml_forest_validate(&q) == TML_E_NULL);
}

static void test_quantized_offsets_route_like_float(void)
{
    /* The quantized forest with zero points: thresholds floor(t*4) - offset. */
    static const float offsets[] = {3.0f, -2.0f};
    static const int16_t shifted_q[] = {2 - 3, 0, 0, 8 + 2, -4 - 3, 0, 0, 0};
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    int32_t a, t;
    int agree = 1;
    q.node_threshold_i16 = shifted_q;
    q.feature_offset = offsets;
    for (a = -40; a <= 40; a++) {
        const float x[2] = {(float)a / 4.0f, (float)-a / 4.0f}; /* on the 1/4 grid */
        int16_t xq[2];
        agree &= tml_quantize_features_i16(scales, offsets, x, xq, 2) == TML_OK;
        for (t = 0; t < 2; t++) {
            agree &= tml_forest_leaf(&q, t, x, NULL) == tml_forest_leaf_f32(&f, t, x);
            agree &= tml_forest_leaf(&q, t, NULL, xq) == tml_forest_leaf_f32(&f, t, x);
        }
    }
    CHECK(agree);
}

static void test_shared_subtree_is_walked_from_two_trees(void)
{
    /* Tree 0's right child (leaf row 1) stored once: it points at tree 1's node 7. */
    int32_t shared[8];
    tml_forest_t f = make_forest();
    tml_forest_t g = make_forest();
    int32_t a;
    int agree = 1;
    memcpy(shared, nexts, sizeof nexts);
    shared[0] = 7;
    g.node_next = shared;
    CHECK(tml_forest_validate(&g) == TML_OK);
    for (a = -8; a <= 8; a++) {
        const float x[2] = {(float)a / 4.0f, (float)a};
        agree &= tml_forest_leaf_f32(&g, 0, x) == tml_forest_leaf_f32(&f, 0, x);
    }
    CHECK(agree);
}

static void test_quantized_forest_routes_grid_values_like_float(void)
{
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    int32_t a, b;
    int agree = 1;
    /* Every value on the 1/4 grid between -4 and 4, for both features. */
    for (a = -16; a <= 16; a++) {
        for (b = -16; b <= 16; b++) {
            const float x[2] = {(float)a / 4.0f, (float)b / 4.0f};
            int16_t xq[2];
            int32_t t;
            agree &= (tml_quantize_features_i16(scales, NULL, x, xq, 2) == TML_OK);
            for (t = 0; t < 2; t++) {
                int32_t want = tml_forest_leaf_f32(&f, t, x);
                agree &= (tml_forest_leaf(&q, t, x, NULL) == want);
                agree &= (tml_forest_leaf(&q, t, NULL, xq) == want);
            }
        }
    }
    CHECK(agree);
}

static void test_quantized_ties_go_left_off_the_grid(void)
{
    /* A threshold off the 1/4 grid, and inputs equal to it or just either side of it. */
    static const float off_grid_threshold[] = {0.3f, 0, 0, 2.0f, -1.0f, 0, 0, 0};
    static const int16_t off_grid_q[] = {1, 0, 0, 8, -4, 0, 0, 0}; /* floor(0.3 * 4) = 1 */
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    const float at[2] = {0.3f, 0.0f};
    const float below[2] = {nextafterf(0.3f, 0.0f), 0.0f};
    const float next_grid_point[2] = {0.5f, 0.0f};
    f.node_threshold_f32 = off_grid_threshold;
    q.node_threshold_i16 = off_grid_q;
    CHECK(tml_forest_leaf(&q, 0, at, NULL) == tml_forest_leaf_f32(&f, 0, at));
    CHECK(tml_forest_leaf(&q, 0, below, NULL) == tml_forest_leaf_f32(&f, 0, below));
    CHECK(tml_forest_leaf(&q, 0, next_grid_point, NULL) == tml_forest_leaf_f32(&f, 0, next_grid_point));
}

static void test_int8_thresholds_route_like_int16(void)
{
    static const int8_t thresholds_q8[] = {2, 0, 0, 8, -4, 0, 0, 0};
    tml_forest_t q16 = make_quantized_forest();
    tml_forest_t q8 = make_quantized_forest();
    int32_t a, t;
    int agree = 1;
    q8.node_threshold_i16 = NULL;
    q8.node_threshold_i8 = thresholds_q8;
    CHECK(tml_forest_validate(&q8) == TML_OK);
    for (a = -40; a <= 40; a++) {
        const float x[2] = {(float)a / 8.0f, (float)-a / 8.0f};
        for (t = 0; t < 2; t++) {
            agree &= tml_forest_leaf(&q8, t, x, NULL) == tml_forest_leaf(&q16, t, x, NULL);
        }
    }
    CHECK(agree);
    q8.node_threshold_i16 = thresholds_q; /* two threshold tables */
    CHECK(tml_forest_validate(&q8) == TML_E_THRESHOLDS);
}

static void test_nan_goes_right_in_both_forms(void)
{
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    const float x[2] = {NAN, NAN};
    CHECK(tml_forest_leaf_f32(&f, 0, x) == 1);
    CHECK(tml_forest_leaf(&q, 0, x, NULL) == 1);
}

/* The same two trees as a boosted model: each tree feeds one output, leaf rows of width 1. */
static const float boost_leaves[] = {0.5f, -1.0f, 2.0f};
static const int16_t boost_outputs[] = {0, 1};
static const float boost_baseline[] = {0.25f, -0.25f};

static tml_forest_t make_boosted(int32_t n_outputs, int32_t link)
{
    tml_forest_t f = make_forest();
    f.n_outputs = n_outputs;
    f.leaf_values = boost_leaves;
    f.combine = TML_COMBINE_SUM;
    f.link = link;
    f.baseline = boost_baseline;
    f.tree_output = n_outputs > 1 ? boost_outputs : NULL;
    return f;
}

static void test_boosting_adds_trees_to_the_baseline(void)
{
    const float x[2] = {-2.0f, 1.0f}; /* tree0 -> row0 (0.5), tree1 -> row2 (2.0) */
    float out[2];
    tml_forest_t multi = make_boosted(2, TML_LINK_SOFTMAX);
    tml_forest_t binary = make_boosted(1, TML_LINK_LOGISTIC);
    CHECK(tml_forest_validate(&multi) == TML_OK);
    CHECK(tml_forest_validate(&binary) == TML_OK);

    CHECK(tml_forest_raw(&multi, x, NULL, out, 2) == TML_OK);
    CHECK(out[0] == 0.75f && out[1] == 1.75f);
    CHECK(tml_forest_predict_class(&multi, x, NULL, out, 2) == 1);
    CHECK(tml_forest_predict_values(&multi, x, NULL, out, 2) == TML_OK);
    CHECK(fabsf(out[1] - 1.0f / (1.0f + expf(-1.0f))) < 1e-6f && fabsf(out[0] + out[1] - 1.0f) < 1e-6f);

    /* binary: raw = 0.25 + 0.5 + 2.0; two probabilities from one log-odds */
    CHECK(tml_forest_predict_class(&binary, x, NULL, out, 1) == 1);
    CHECK(tml_forest_predict_values(&binary, x, NULL, out, 1) == TML_E_SIZE);
    CHECK(tml_forest_predict_values(&binary, x, NULL, out, 2) == TML_OK);
    CHECK(fabsf(out[1] - 1.0f / (1.0f + expf(-2.75f))) < 1e-6f);
}

static void test_isolation_score(void)
{
    const float x[2] = {-2.0f, 1.0f}; /* leaves 0.5 and 2.0: mean path length 1.25 */
    float score;
    tml_forest_t f = make_forest();
    f.n_outputs = 1;
    f.leaf_values = boost_leaves; /* width 1: 0.5 and 2.0 reached */
    f.link = TML_LINK_ISOLATION;
    f.link_param = 2.0f;
    CHECK(tml_forest_validate(&f) == TML_OK);
    CHECK(tml_forest_predict_values(&f, x, NULL, &score, 1) == TML_OK);
    CHECK(fabsf(score + exp2f(-1.25f / 2.0f)) < 1e-6f);
    f.link_param = 0.0f;
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
}

/* The isolation forest's methods: score_samples, decision_function = score - offset, and
 * predict on either side of the offset, as a class index and as sklearn's -1 / 1. */
static void test_isolation_methods(void)
{
    const float x[2] = {-2.0f, 1.0f}; /* mean path length 1.25 */
    const float score = -exp2f(-1.25f / 2.0f);
    float s, d, raw[1];
    int32_t label;
    tml_forest_t f = make_forest();
    f.n_outputs = 1;
    f.leaf_values = boost_leaves;
    f.link = TML_LINK_ISOLATION;
    f.link_param = 2.0f;
    f.offset = score + 0.125f; /* above the score: an outlier */
    CHECK(tml_forest_validate(&f) == TML_OK);
    CHECK(tml_forest_score_samples(&f, x, NULL, &s) == TML_OK && s == score);
    CHECK(tml_forest_decision_function(&f, x, NULL, &d, 1) == TML_OK && d == score - f.offset && d < 0.0f);
    CHECK(tml_forest_predict_label(&f, x, NULL, &label) == TML_OK && label == -1);
    CHECK(tml_forest_predict_class(&f, x, NULL, raw, 1) == 0);
    f.offset = score; /* score < offset is false at the offset itself: an inlier */
    CHECK(tml_forest_predict_label(&f, x, NULL, &label) == TML_OK && label == 1);
    CHECK(tml_forest_predict_class(&f, x, NULL, raw, 1) == 1);
    CHECK(tml_forest_decision_function(&f, x, NULL, &d, 1) == TML_OK && d == 0.0f);
    /* class from the raw output, as the WebAssembly build takes it */
    raw[0] = 1.25f;
    CHECK(tml_forest_class_from_raw(&f, raw) == 1);
    f.offset = 0.0f;
    CHECK(tml_forest_class_from_raw(&f, raw) == 0);
    /* methods of other tasks are refused, and so is a bad offset */
    CHECK(tml_forest_predict_proba(&f, x, NULL, &s, 1) == TML_E_KIND);
    CHECK(tml_forest_predict_label(&f, x, NULL, NULL) == TML_E_NULL);
    f.offset = NAN;
    CHECK(tml_forest_validate(&f) == TML_E_SCALE);
    f.offset = INFINITY;
    CHECK(tml_forest_validate(&f) == TML_E_SCALE);
}

/* A classifier's and a boosted ensemble's methods against the lower-level calls. */
static void test_classifier_methods(void)
{
    const float x[2] = {0.0f, 3.0f};
    float proba[2], values[2], raw[2], score;
    int32_t label;
    tml_forest_t f = make_forest();
    tml_forest_t binary = make_boosted(1, TML_LINK_LOGISTIC);
    CHECK(tml_forest_predict_proba(&f, x, NULL, proba, 2) == TML_OK);
    CHECK(tml_forest_predict_values(&f, x, NULL, values, 2) == TML_OK);
    CHECK(proba[0] == values[0] && proba[1] == values[1]);
    CHECK(tml_forest_predict_proba(&f, x, NULL, proba, 1) == TML_E_SIZE);
    CHECK(tml_forest_score_samples(&f, x, NULL, &score) == TML_E_KIND);
    CHECK(tml_forest_predict_label(&f, x, NULL, &label) == TML_E_KIND);
    CHECK(tml_forest_decision_function(&f, x, NULL, raw, 2) == TML_OK && raw[0] == values[0]);
    /* binary boosting: decision_function is the log-odds, predict_proba [1 - p, p] */
    CHECK(tml_forest_decision_function(&binary, x, NULL, raw, 1) == TML_OK);
    CHECK(tml_forest_raw(&binary, x, NULL, values, 1) == TML_OK && raw[0] == values[0]);
    CHECK(tml_forest_predict_proba(&binary, x, NULL, proba, 2) == TML_OK);
    CHECK(proba[1] == 1.0f / (1.0f + expf(-raw[0])) && proba[0] == 1.0f - proba[1]);
    CHECK(tml_forest_predict_class(&binary, x, NULL, values, 1) == (raw[0] >= 0.0f ? 1 : 0));
}

static void test_validate_rejects_bad_kinds(void)
{
    static const int16_t bad_outputs[] = {0, 2};
    tml_forest_t f = make_boosted(2, TML_LINK_SOFTMAX);
    f.tree_output = bad_outputs;
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
    f = make_boosted(2, TML_LINK_LOGISTIC); /* logistic needs one raw output */
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
    f = make_forest();
    f.combine = 7;
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
    f = make_forest();
    f.link = 9;
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
}

/* What the compiler's inline strategy generates for the two trees of make_forest(). */
static int32_t inline_tree_leaf(int32_t tree, const float *x, const int16_t *xq)
{
    (void)xq;
    if (tree == 0) {
        if (!(x[0] <= 0.5f)) goto t0n2;
        return 0;
    t0n2:
        return 1;
    }
    if (!(x[1] <= 2.0f)) goto t1n7;
    if (!(x[0] <= -1.0f)) goto t1n6;
    return 2;
t1n6:
    return 0;
t1n7:
    return 1;
}

static void test_inline_code_replaces_the_node_tables(void)
{
    tml_forest_t tables = make_forest();
    tml_forest_t code = make_forest();
    int32_t a, b;
    int agree = 1;
    code.tree_root = NULL;
    code.node_feature = NULL;
    code.node_next = NULL;
    code.node_threshold_f32 = NULL;
    code.tree_leaf = inline_tree_leaf;
    CHECK(tml_forest_validate(&code) == TML_OK);
    for (a = -12; a <= 12; a++) {
        for (b = -12; b <= 12; b++) {
            const float x[2] = {(float)a / 4.0f, (float)b / 4.0f};
            float p[2], q[2];
            agree &= tml_forest_predict_values(&tables, x, NULL, p, 2) == TML_OK;
            agree &= tml_forest_predict_values(&code, x, NULL, q, 2) == TML_OK;
            agree &= p[0] == q[0] && p[1] == q[1];
        }
    }
    CHECK(agree);
    {
        /* Quantized inline code reads only xq: float features alone are refused. */
        const float x[2] = {0.0f, 0.0f};
        float p[2];
        code.feature_scale = scales;
        CHECK(tml_forest_predict_values(&code, x, NULL, p, 2) == TML_E_NULL);
    }
}

static void test_uint8_leaves_sum_exactly_and_scale(void)
{
    /* The leaves of make_forest() as uint8 probabilities: 1, 0 | 0, 1 | 64/255, 191/255. */
    static const uint8_t leaves_u8[] = {255, 0, 0, 255, 64, 191};
    const float x[2] = {-2.0f, 1.0f}; /* rows 0 and 2 */
    float p[2];
    tml_forest_t f = make_forest();
    f.leaf_values = NULL;
    f.leaf_u8 = leaves_u8;
    f.leaf_scale = 1.0f / 255.0f;
    CHECK(tml_forest_validate(&f) == TML_OK);
    CHECK(tml_forest_predict_values(&f, x, NULL, p, 2) == TML_OK);
    CHECK(fabsf(p[0] - 319.0f / 510.0f) < 1e-6f && fabsf(p[1] - 191.0f / 510.0f) < 1e-6f);
    f.leaf_values = leaves; /* both leaf tables */
    CHECK(tml_forest_validate(&f) == TML_E_NULL);
    f.leaf_values = NULL;
    f.combine = TML_COMBINE_SUM; /* a baseline would be scaled too */
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
}

static void test_int16_leaves_add_up_in_fixed_point(void)
{
    /* boost_leaves {0.5, -1, 2} at scale 1/4 */
    static const int16_t leaves_i16[] = {2, -4, 8};
    const float rows[3][2] = {{-2.0f, 1.0f}, {2.0f, 1.0f}, {0.0f, 5.0f}};
    int32_t r, link;
    int agree = 1;
    for (link = 0; link < 2; link++) {
        int32_t n_outputs = link == 0 ? 2 : 1;
        tml_forest_t f = make_boosted(n_outputs, link == 0 ? TML_LINK_SOFTMAX : TML_LINK_LOGISTIC);
        tml_forest_t q = f;
        q.leaf_values = NULL;
        q.leaf_i16 = leaves_i16;
        q.leaf_scale = 0.25f;
        CHECK(tml_forest_validate(&q) == TML_OK);
        for (r = 0; r < 3; r++) {
            float want[2], got[2];
            agree &= tml_forest_raw(&f, rows[r], NULL, want, 2) == TML_OK;
            agree &= tml_forest_raw(&q, rows[r], NULL, got, 2) == TML_OK;
            agree &= want[0] == got[0] && (n_outputs == 1 || want[1] == got[1]);
        }
    }
    CHECK(agree);
    {
        tml_forest_t f = make_forest(); /* two outputs per leaf row: no fixed point */
        f.leaf_values = NULL;
        f.leaf_i16 = leaves_i16;
        f.leaf_scale = 0.25f;
        CHECK(tml_forest_validate(&f) == TML_E_KIND);
        f = make_boosted(2, TML_LINK_SOFTMAX);
        f.leaf_values = NULL;
        f.leaf_i16 = leaves_i16;
        f.leaf_scale = 0.0f;
        CHECK(tml_forest_validate(&f) == TML_E_SCALE);
        f.leaf_values = boost_leaves; /* two leaf tables */
        CHECK(tml_forest_validate(&f) == TML_E_NULL);
    }
}

static void test_argmax_picks_first_maximum(void)
{
    const float v[4] = {0.25f, 0.5f, 0.5f, 0.1f};
    CHECK(tml_argmax(v, 4) == 1);
    CHECK(second_unit_argmax(v, 4) == 1);
}

/* Bits of node_missing_left for nodes 0 (tree 0's root) and 4 (tree 1's second split). */
static const uint8_t nan_left_at_0_and_4[] = {0x11};

static void test_missing_left_bits_route_nan(void)
{
    static const int8_t thresholds_q8[] = {2, 0, 0, 8, -4, 0, 0, 0};
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    tml_forest_t q8 = make_quantized_forest();
    const float nan_first[2] = {NAN, 1.0f}; /* tree 1: node 3 left, node 4 tests the NaN */
    const float nan_second[2] = {0.0f, NAN};
    const float no_nan[2] = {2.0f, 1.0f};
    int16_t xq[2];
    q8.node_threshold_i16 = NULL;
    q8.node_threshold_i8 = thresholds_q8;
    /* without the bits NaN goes right at every split */
    CHECK(tml_forest_leaf_f32(&f, 0, nan_first) == 1 && tml_forest_leaf_f32(&f, 1, nan_first) == 0);
    f.node_missing_left = nan_left_at_0_and_4;
    q.node_missing_left = nan_left_at_0_and_4;
    q8.node_missing_left = nan_left_at_0_and_4;
    CHECK(tml_forest_validate(&f) == TML_OK && tml_forest_validate(&q) == TML_OK && tml_forest_validate(&q8) == TML_OK);
    CHECK(tml_forest_leaf_f32(&f, 0, nan_first) == 0 && tml_forest_leaf_f32(&f, 1, nan_first) == 2);
    CHECK(tml_forest_leaf_f32(&f, 1, nan_second) == 1); /* node 3's bit is clear: right */
    CHECK(tml_forest_leaf_f32(&f, 0, no_nan) == 1 && tml_forest_leaf_f32(&f, 1, no_nan) == 0);
    CHECK(tml_quantize_features_i16(scales, NULL, nan_first, xq, 2) == TML_OK);
    CHECK(tml_forest_leaf(&q, 0, nan_first, NULL) == 0 && tml_forest_leaf(&q, 1, nan_first, NULL) == 2);
    CHECK(tml_forest_leaf(&q, 0, NULL, xq) == 0 && tml_forest_leaf(&q, 1, NULL, xq) == 2);
    CHECK(tml_forest_leaf(&q8, 0, nan_first, NULL) == 0 && tml_forest_leaf(&q8, 1, NULL, xq) == 2);
    CHECK(tml_forest_leaf(&q, 1, nan_second, NULL) == 1);
    {
        /* a saturated large input is not NaN: it goes right even where NaN goes left */
        const float huge[2] = {1e30f, 1.0f};
        CHECK(tml_forest_leaf(&q, 0, huge, NULL) == 1 && tml_forest_leaf(&q, 1, huge, NULL) == 0);
    }
}

/* What inline code does for make_forest() with NaN sent left at nodes 0 and 4: `x > t` is
 * false for NaN, so a left-missing split costs nothing; other splits keep `!(x <= t)`. */
static int32_t inline_nan_left(int32_t tree, const float *x, const int16_t *xq)
{
    (void)xq;
    if (tree == 0) {
        if (x[0] > 0.5f) goto t0n2;
        return 0;
    t0n2:
        return 1;
    }
    if (!(x[1] <= 2.0f)) goto t1n7;
    if (x[0] > -1.0f) goto t1n6;
    return 2;
t1n6:
    return 0;
t1n7:
    return 1;
}

/* The quantized form: NaN's code is above every threshold, so a left-missing split tests it. */
static int32_t inline_nan_left_q(int32_t tree, const float *x, const int16_t *xq)
{
    (void)x;
    if (tree == 0) {
        if (xq[0] > 2 && xq[0] != TML_QUANTIZED_NAN) goto t0n2;
        return 0;
    t0n2:
        return 1;
    }
    if (!(xq[1] <= 8)) goto t1n7;
    if (xq[0] > -4 && xq[0] != TML_QUANTIZED_NAN) goto t1n6;
    return 2;
t1n6:
    return 0;
t1n7:
    return 1;
}

static void test_inline_missing_left_matches_the_tables(void)
{
    static const float values[] = {NAN, -INFINITY, -1.25f, -1.0f, 0.0f, 0.5f, 0.75f, 2.0f, 2.25f, INFINITY};
    tml_forest_t f = make_forest();
    tml_forest_t q = make_quantized_forest();
    int32_t a, b, t;
    int agree = 1;
    f.node_missing_left = nan_left_at_0_and_4;
    q.node_missing_left = nan_left_at_0_and_4;
    for (a = 0; a < 10; a++) {
        for (b = 0; b < 10; b++) {
            const float x[2] = {values[a], values[b]};
            int16_t xq[2];
            agree &= tml_quantize_features_i16(scales, NULL, x, xq, 2) == TML_OK;
            for (t = 0; t < 2; t++) {
                agree &= inline_nan_left(t, x, NULL) == tml_forest_leaf_f32(&f, t, x);
                agree &= inline_nan_left_q(t, NULL, xq) == tml_forest_leaf(&q, t, NULL, xq);
                agree &= tml_forest_leaf(&q, t, NULL, xq) == tml_forest_leaf_f32(&f, t, x);
            }
        }
    }
    CHECK(agree);
}

static void test_lt_split_is_le_below_the_threshold(void)
{
    /* XGBoost's x < 0.5 is x <= the float32 just below 0.5 */
    static const float lt_thresholds[] = {0.49999997f, 0, 0, 2.0f, -1.0f, 0, 0, 0};
    tml_forest_t f = make_forest();
    const float at[2] = {0.5f, 0.0f};
    const float below[2] = {nextafterf(0.5f, 0.0f), 0.0f};
    f.node_threshold_f32 = lt_thresholds;
    CHECK(lt_thresholds[0] == nextafterf(0.5f, 0.0f));
    CHECK(tml_forest_leaf_f32(&f, 0, at) == 1);
    CHECK(tml_forest_leaf_f32(&f, 0, below) == 0);
}

/*
 * One tree over 2 features, categorical on feature 1 at its root:
 *   node0 x1 in set 1 ? node1 : node4
 *     node1 x0 <= 0.5 ? node2 (leaf row 0) : node3 (leaf row 1)
 *     node4 leaf row 2
 * set 0: categories 0 and 40; set 1: categories 2, 5 and 63 (two words each).
 */
static const int16_t cat_features[] = {TML_CATEGORICAL(1), 0, TML_LEAF, TML_LEAF, TML_LEAF};
static const int32_t cat_nexts[] = {4, 3, 0, 1, 2};
static const float cat_thresholds[] = {1.0f, 0.5f, 0, 0, 0};
static const int16_t cat_thresholds_q[] = {1, 2, 0, 0, 0};
static const int8_t cat_thresholds_q8[] = {1, 2, 0, 0, 0};
static const uint32_t cat_bits[] = {0x00000001u, 0x00000100u, 0x00000024u, 0x80000000u};
static const float cat_scales[] = {4.0f, 1.0f};
static const int32_t cat_root[] = {0};
static const float cat_leaves[] = {1.0f, 2.0f, 3.0f};

static tml_forest_t make_categorical(void)
{
    tml_forest_t f = make_forest();
    f.n_outputs = 1;
    f.n_trees = 1;
    f.n_nodes = 5;
    f.tree_root = cat_root;
    f.node_feature = cat_features;
    f.node_next = cat_nexts;
    f.node_threshold_f32 = cat_thresholds;
    f.leaf_values = cat_leaves;
    f.category_bits = cat_bits;
    f.n_category_sets = 2;
    f.category_words = 2;
    return f;
}

static void test_categorical_split_tests_the_bit_of_trunc_x(void)
{
    /* x1 and whether it goes left (to rows 0/1) with NaN sent right, then left */
    static const struct {
        float x1;
        int in_set;
        int missing;
    } cases[] = {{2.0f, 1, 0}, {2.9f, 1, 0},  {5.5f, 1, 0},  {63.99f, 1, 0}, {3.0f, 0, 0}, {0.0f, 0, 0},
                 {-0.0f, 0, 0}, {40.0f, 0, 0}, {64.0f, 0, 1}, {1e9f, 0, 1},   {-0.5f, 0, 1}, {-2.0f, 0, 1},
                 {NAN, 0, 1},   {INFINITY, 0, 1}, {-INFINITY, 0, 1}};
    static const uint8_t root_missing_left[] = {0x01};
    tml_forest_t f = make_categorical();
    tml_forest_t q = make_categorical();
    tml_forest_t q8 = make_categorical();
    size_t k;
    int direction, agree = 1;
    q.node_threshold_f32 = NULL;
    q.node_threshold_i16 = cat_thresholds_q;
    q.feature_scale = cat_scales;
    q8.node_threshold_f32 = NULL;
    q8.node_threshold_i8 = cat_thresholds_q8;
    q8.feature_scale = cat_scales;
    CHECK(tml_forest_validate(&f) == TML_OK && tml_forest_validate(&q) == TML_OK && tml_forest_validate(&q8) == TML_OK);
    for (direction = 0; direction < 2; direction++) {
        f.node_missing_left = direction ? root_missing_left : NULL;
        q.node_missing_left = f.node_missing_left;
        q8.node_missing_left = f.node_missing_left;
        for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const float x[2] = {0.0f, cases[k].x1};
            int left = cases[k].missing ? direction : cases[k].in_set;
            int32_t want = left ? 0 : 2;
            int16_t xq[2];
            agree &= tml_quantize_features_i16(cat_scales, NULL, x, xq, 2) == TML_OK;
            agree &= tml_forest_leaf_f32(&f, 0, x) == want;
            agree &= tml_forest_leaf(&q, 0, x, NULL) == want && tml_forest_leaf(&q, 0, NULL, xq) == want;
            agree &= tml_forest_leaf(&q8, 0, x, NULL) == want && tml_forest_leaf(&q8, 0, NULL, xq) == want;
            agree &= tml_category_left(cat_bits + 2, 2, cases[k].x1, direction) == left;
            agree &= tml_category_left_q(cat_bits + 2, 2, xq[1], direction) == left;
            if (!agree) {
                fprintf(stderr, "categorical case %d, missing left %d\n", (int)k, direction);
                agree = 1;
                CHECK(0);
            }
        }
    }
    CHECK(agree);
}

static void test_validate_checks_categorical_splits(void)
{
    static const float fractional_set[] = {0.5f, 0.5f, 0, 0, 0};
    static const float set_out_of_range[] = {2.0f, 0.5f, 0, 0, 0};
    static const int16_t negative_set_q[] = {-1, 2, 0, 0, 0};
    static const float scales_4[] = {4.0f, 4.0f};
    static const float offsets[] = {0.0f, 1.0f};
    static const int16_t feature_beyond[] = {TML_CATEGORICAL(2), 0, TML_LEAF, TML_LEAF, TML_LEAF};
    tml_forest_t f = make_categorical();
    f.node_threshold_f32 = fractional_set;
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);
    f.node_threshold_f32 = set_out_of_range;
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);
    f = make_categorical();
    f.node_feature = feature_beyond;
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);
    f = make_categorical();
    f.category_bits = NULL; /* a categorical split needs the rows */
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);
    f = make_categorical();
    f.category_words = 0;
    CHECK(tml_forest_validate(&f) == TML_E_SIZE);
    f.category_words = TML_MAX_CATEGORY_WORDS + 1;
    CHECK(tml_forest_validate(&f) == TML_E_SIZE);
    f = make_categorical();
    f.n_category_sets = 0;
    CHECK(tml_forest_validate(&f) == TML_E_SIZE);
    f = make_categorical();
    f.node_threshold_f32 = NULL;
    f.node_threshold_i16 = negative_set_q;
    f.feature_scale = cat_scales;
    CHECK(tml_forest_validate(&f) == TML_E_FEATURE);
    f.node_threshold_i16 = cat_thresholds_q;
    f.feature_scale = scales_4; /* a categorical feature keeps whole numbers: scale 1 */
    CHECK(tml_forest_validate(&f) == TML_E_SCALE);
    f.feature_scale = cat_scales;
    f.feature_offset = offsets;
    CHECK(tml_forest_validate(&f) == TML_E_SCALE);
}

static void test_exp_link_exponentiates_the_raw_sum(void)
{
    const float x[2] = {-2.0f, 1.0f}; /* raw = 0.25 + 0.5 + 2.0 */
    float value, raw;
    tml_forest_t f = make_boosted(1, TML_LINK_EXP);
    CHECK(tml_forest_validate(&f) == TML_OK);
    CHECK(tml_forest_n_values(&f) == 1);
    CHECK(tml_forest_predict_values(&f, x, NULL, &value, 1) == TML_OK && value == expf(2.75f));
    CHECK(tml_forest_decision_function(&f, x, NULL, &raw, 1) == TML_OK && raw == 2.75f);
    f = make_boosted(2, TML_LINK_EXP); /* one raw output only */
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
    f = make_boosted(1, TML_LINK_EXP);
    f.combine = TML_COMBINE_MEAN; /* a sum of boosting stages only */
    CHECK(tml_forest_validate(&f) == TML_E_KIND);
}

/* The integer compares of cores without an FPU (TML_FLOAT_COMPARE_BITS) equal IEEE 754's on
 * every pair of special and ordinary values: zeros of both signs, subnormals, infinities, NaNs
 * of both signs, thresholds of both signs, and neighbours one ulp apart. */
static void test_bit_compares_equal_float_compares(void)
{
    union {
        uint32_t u;
        float f;
    } nan_pos, nan_neg, sub;
    float values[32];
    int32_t n = 0, a, b, wrong = 0;
    nan_pos.u = 0x7fc00000u;
    nan_neg.u = 0xffc00000u;
    sub.u = 0x00000001u;
    values[n++] = 0.0f;
    values[n++] = -0.0f;
    values[n++] = sub.f;
    values[n++] = -sub.f;
    values[n++] = 1.0f;
    values[n++] = -1.0f;
    values[n++] = nextafterf(1.0f, 2.0f);
    values[n++] = nextafterf(1.0f, 0.0f);
    values[n++] = nextafterf(-1.0f, -2.0f);
    values[n++] = nextafterf(-1.0f, 0.0f);
    values[n++] = 0.5f;
    values[n++] = -2.5e-3f;
    values[n++] = 3.0e38f;
    values[n++] = -3.0e38f;
    values[n++] = INFINITY;
    values[n++] = -INFINITY;
    values[n++] = nan_pos.f;
    values[n++] = nan_neg.f;
    for (a = 0; a < n; a++) {
        CHECK(tml_is_nan_f32_bits(values[a]) == (values[a] != values[a]));
        for (b = 0; b < n; b++) {
            if (values[b] != values[b]) {
                continue; /* thresholds are never NaN */
            }
            wrong += tml_le_f32_bits(values[a], values[b]) != (values[a] <= values[b]);
            wrong += tml_gt_f32_bits(values[a], values[b]) != (values[a] > values[b]);
        }
    }
    CHECK(wrong == 0);
}

/* ---- many rows at once: tml_forest_raw_rows against tml_forest_raw, row by row ---- */

#define RF_FEATURES 5
#define RF_OUTPUTS 3
#define RF_MAX_NODES 10240 /* 24 trees of depth 6 or 9 of depth 9 at most */
#define RF_MAX_TREES 24
#define RF_ROWS 37 /* not a multiple of any block size below but 1 and 37 */

/* The tables of a random forest, in the layout tml_forest_t points into. */
typedef struct {
    int32_t root[RF_MAX_TREES];
    int16_t feature[RF_MAX_NODES];
    int32_t next[RF_MAX_NODES];
    float threshold[RF_MAX_NODES];
    int16_t threshold_i16[RF_MAX_NODES];
    int8_t threshold_i8[RF_MAX_NODES];
    float scale[RF_FEATURES], offset[RF_FEATURES];
    uint8_t missing_left[(RF_MAX_NODES + 7) / 8];
    float leaf_f32[RF_MAX_NODES * RF_OUTPUTS];
    uint8_t leaf_u8[RF_MAX_NODES * RF_OUTPUTS];
    int16_t leaf_i16[RF_MAX_NODES];
    int16_t output[RF_MAX_TREES];
    float baseline[RF_OUTPUTS];
    int32_t n_nodes, n_leaves;
} random_forest_t;

/* A tree in preorder from node rf->n_nodes on: splits on random features and thresholds,
 * NaN sent left at random, leaves at random depths, each a row of its own. */
static int32_t random_tree(random_forest_t *rf, int32_t depth)
{
    int32_t at = rf->n_nodes++;
    if (depth == 0 || rng_u32() % 5 == 0) {
        rf->feature[at] = TML_LEAF;
        rf->next[at] = rf->n_leaves++;
        rf->threshold[at] = 0.0f;
        return at;
    }
    rf->feature[at] = (int16_t)(rng_u32() % RF_FEATURES);
    /* thresholds on a coarse grid, so that rows land on them too (ties go left) */
    rf->threshold[at] = (float)((int32_t)(rng_u32() % 9) - 4) * 0.5f;
    if (rng_u32() % 3 == 0) {
        rf->missing_left[at >> 3] = (uint8_t)(rf->missing_left[at >> 3] | (1u << (at & 7)));
    }
    random_tree(rf, depth - 1);
    rf->next[at] = random_tree(rf, depth - 1);
    return at;
}

/* n_trees random trees (the last one's root shared with an earlier tree's subtree) and
 * random leaf rows: float32 of any sign (impure rows), uint8 and int16. */
static tml_forest_t random_forest(random_forest_t *rf, int32_t n_trees, int32_t max_depth)
{
    tml_forest_t f;
    int32_t t, k;
    memset(rf, 0, sizeof *rf);
    for (t = 0; t < n_trees; t++) {
        rf->root[t] = random_tree(rf, max_depth);
        rf->output[t] = (int16_t)(t % RF_OUTPUTS);
    }
    rf->root[n_trees - 1] = rf->root[0] + 1 < rf->n_nodes && rf->feature[rf->root[0]] != TML_LEAF ? rf->root[0] + 1 : rf->root[0];
    for (k = 0; k < rf->n_leaves * RF_OUTPUTS; k++) {
        rf->leaf_f32[k] = rng_float(-3.0f, 3.0f);
        rf->leaf_u8[k] = (uint8_t)(rng_u32() % 256);
    }
    for (k = 0; k < rf->n_leaves; k++) {
        rf->leaf_i16[k] = (int16_t)((int32_t)(rng_u32() % 2001) - 1000);
    }
    for (k = 0; k < RF_OUTPUTS; k++) {
        rf->baseline[k] = rng_float(-1.0f, 1.0f);
    }
    memset(&f, 0, sizeof f);
    f.n_features = RF_FEATURES;
    f.n_outputs = RF_OUTPUTS;
    f.n_trees = n_trees;
    f.n_nodes = rf->n_nodes;
    f.n_leaf_rows = rf->n_leaves;
    f.tree_root = rf->root;
    f.node_feature = rf->feature;
    f.node_next = rf->next;
    f.node_threshold_f32 = rf->threshold;
    f.leaf_values = rf->leaf_f32;
    f.node_missing_left = rf->missing_left;
    f.combine = TML_COMBINE_MEAN;
    f.link = TML_LINK_IDENTITY;
    return f;
}

/* The kinds of forest the device runs: a mean forest of impure float32 rows (a classifier's
 * probabilities), of uint8 rows, a regressor, boosted classifiers with one output per tree
 * (float32 and int16 leaves, softmax), a binary boosted one and an isolation forest. */
static tml_forest_t forest_kind(random_forest_t *rf, int32_t kind)
{
    tml_forest_t f = random_forest(rf, kind == 0 ? RF_MAX_TREES : 7 + kind, kind == 2 ? 9 : 6);
    if (kind == 1) {
        f.leaf_values = NULL;
        f.leaf_u8 = rf->leaf_u8;
        f.leaf_scale = 1.0f / 255.0f;
    } else if (kind == 2 || kind == 6) {
        f.n_outputs = 1; /* every leaf row's first value */
        if (kind == 6) {
            f.link = TML_LINK_ISOLATION;
            f.link_param = 3.5f;
            f.offset = -0.5f;
        }
    } else if (kind >= 3) {
        f.combine = TML_COMBINE_SUM;
        f.baseline = rf->baseline;
        f.n_outputs = kind == 5 ? 1 : RF_OUTPUTS;
        f.link = kind == 5 ? TML_LINK_LOGISTIC : TML_LINK_SOFTMAX;
        f.tree_output = rf->output;
        if (kind == 5) {
            memset(rf->output, 0, sizeof rf->output);
        }
        if (kind == 4) {
            f.leaf_values = NULL;
            f.leaf_i16 = rf->leaf_i16;
            f.leaf_scale = 1.0f / 64.0f;
        }
    }
    return f;
}

/*
 * f with quantized thresholds (width 16 or 8): the float grid's thresholds at each feature's
 * power-of-two scale, less its whole offset (with_offset), and now and then the extremes
 * (the int16 ones, NaN's code among them), clamped to int8 at width 8.
 */
static tml_forest_t quantized_kind(random_forest_t *rf, tml_forest_t f, int width, int with_offset)
{
    int32_t k, i;
    for (k = 0; k < RF_FEATURES; k++) {
        rf->scale[k] = (float)(1 << (rng_u32() % 4));
        rf->offset[k] = (float)((int32_t)(rng_u32() % 7) - 3);
    }
    for (i = 0; i < rf->n_nodes; i++) {
        uint32_t pick = rng_u32() % 16;
        int32_t f_at = rf->feature[i] == TML_LEAF ? 0 : rf->feature[i];
        int32_t q = pick == 0   ? INT16_MAX
                    : pick == 1 ? INT16_MAX - 1
                    : pick == 2 ? INT16_MIN
                                : (int32_t)(rf->threshold[i] * rf->scale[f_at]) - (with_offset ? (int32_t)rf->offset[f_at] : 0);
        rf->threshold_i16[i] = (int16_t)q;
        rf->threshold_i8[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
    f.node_threshold_f32 = NULL;
    f.node_threshold_i16 = width == 16 ? rf->threshold_i16 : NULL;
    f.node_threshold_i8 = width == 8 ? rf->threshold_i8 : NULL;
    f.feature_scale = rf->scale;
    f.feature_offset = with_offset ? rf->offset : NULL;
    return f;
}

static void test_rows_in_blocks_equal_row_by_row(void)
{
    static random_forest_t rf;
    static unsigned char scratch[RF_ROWS * 4 + RF_MAX_NODES * sizeof(tml_walk_node_t) + RF_MAX_TREES * 4 +
                                 RF_ROWS * RF_FEATURES * 4];
    static const int32_t blocks[] = {1, 3, 4, 5, 8, 37, 64};
    float X[RF_ROWS * RF_FEATURES], want[RF_ROWS * (RF_OUTPUTS + 1)], got[RF_ROWS * (RF_OUTPUTS + 1)];
    int32_t kind, b, r, k, trial, width_kind;
    int valid = 1, same = 1, nan_left_taken = 0;
    for (trial = 0; trial < 6; trial++) {
        /* float32 thresholds, then int16 and int8 ones (quantized features) */
        for (kind = 0; kind < 7 * 3; kind++) {
            tml_forest_t f = forest_kind(&rf, kind % 7);
            int32_t stride = tml_forest_n_values(&f) + (trial & 1); /* rows may be wider */
            width_kind = kind / 7;
            if (width_kind > 0) {
                f = quantized_kind(&rf, f, width_kind == 1 ? 16 : 8, trial & 2);
            }
            valid &= tml_forest_validate(&f) == TML_OK;
            for (k = 0; k < RF_ROWS * RF_FEATURES; k++) {
                /* the thresholds' grid, values between, now and then a NaN or one that saturates */
                uint32_t pick = rng_u32() % 14;
                X[k] = pick == 0   ? NAN
                       : pick < 6  ? (float)((int32_t)(rng_u32() % 11) - 5) * 0.5f
                       : pick == 12 ? 1.0e6f
                       : pick == 13 ? -1.0e6f
                                    : rng_float(-3.0f, 3.0f);
            }
            for (r = 0; r < RF_ROWS; r++) {
                valid &= tml_forest_raw(&f, X + r * RF_FEATURES, NULL, want + r * stride, stride) == TML_OK;
            }
            for (b = 0; b < (int32_t)(sizeof blocks / sizeof blocks[0]); b++) {
                memset(got, 0xff, sizeof got);
                valid &= tml_forest_rows_scratch(&f, blocks[b]) <= sizeof scratch;
                valid &= tml_forest_raw_rows(&f, X, RF_ROWS, got, stride, blocks[b], scratch, sizeof scratch) == TML_OK;
                for (r = 0; r < RF_ROWS; r++) {
                    /* bit for bit: the same float sums in the same order */
                    same &= memcmp(got + r * stride, want + r * stride, (size_t)f.n_outputs * sizeof(float)) == 0;
                }
            }
        }
    }
    CHECK(valid);
    CHECK(same);
    {
        /* the random rows do reach splits that send NaN left (the walk table's NaN mask) */
        tml_forest_t f = forest_kind(&rf, 0);
        tml_forest_t plain = f;
        const float nan_row[RF_FEATURES] = {NAN, NAN, NAN, NAN, NAN};
        float a[RF_OUTPUTS], c[RF_OUTPUTS];
        plain.node_missing_left = NULL;
        CHECK(tml_forest_raw(&f, nan_row, NULL, a, RF_OUTPUTS) == TML_OK);
        CHECK(tml_forest_raw(&plain, nan_row, NULL, c, RF_OUTPUTS) == TML_OK);
        nan_left_taken = memcmp(a, c, sizeof a) != 0;
        CHECK(nan_left_taken);
        CHECK(tml_forest_raw_rows(&f, nan_row, 1, c, RF_OUTPUTS, 4, scratch, sizeof scratch) == TML_OK);
        CHECK(memcmp(a, c, sizeof a) == 0);
    }
}

static void test_rows_in_blocks_refuse_what_they_cannot_run(void)
{
    static random_forest_t rf;
    static int32_t scratch[4096];
    float X[RF_FEATURES] = {0}, raw[RF_OUTPUTS];
    tml_forest_t f = forest_kind(&rf, 0);
    size_t need = tml_forest_rows_scratch(&f, 8);
    CHECK(need == 8 * 4 + (size_t)f.n_nodes * sizeof(tml_walk_node_t) + (size_t)f.n_trees * 4);
    CHECK(tml_forest_raw_rows(&f, X, 1, raw, RF_OUTPUTS, 8, scratch, need - 1) == TML_E_SIZE);
    CHECK(tml_forest_raw_rows(&f, X, 1, raw, RF_OUTPUTS, 0, scratch, sizeof scratch) == TML_E_SIZE);
    CHECK(tml_forest_raw_rows(&f, X, 1, raw, RF_OUTPUTS - 1, 8, scratch, sizeof scratch) == TML_E_SIZE);
    CHECK(tml_forest_raw_rows(&f, X, 1, raw, RF_OUTPUTS, 8, (char *)scratch + 1, sizeof scratch - 1) == TML_E_ARENA);
    CHECK(tml_forest_raw_rows(&f, NULL, 1, raw, RF_OUTPUTS, 8, scratch, sizeof scratch) == TML_E_NULL);
    {
        tml_forest_t cat = make_categorical(); /* categorical splits go row by row */
        CHECK(!tml_forest_uses_walk_table(&cat) && tml_forest_rows_scratch(&cat, 8) == 0);
        CHECK(tml_forest_raw_rows(&cat, X, 1, raw, RF_OUTPUTS, 8, scratch, sizeof scratch) == TML_E_KIND);
        cat = make_quantized_forest(); /* quantized forests walk in blocks, on floats of their own */
        CHECK(tml_forest_uses_walk_table(&cat));
        CHECK(tml_forest_rows_scratch(&cat, 8) == 8 * 4 + (size_t)cat.n_nodes * sizeof(tml_walk_node_t) +
                                                      (size_t)cat.n_trees * 4 + 8 * (size_t)cat.n_features * 4);
    }
}

int main(void)
{
    test_bit_compares_equal_float_compares();
    test_validate_accepts_good_tables();
    test_validate_rejects_malformed_tables();
    test_split_sends_equal_values_left();
    test_predict_values_and_class();
    test_quantize_floors_and_saturates();
    test_quantize_subtracts_the_offset_after_the_floor();
    test_validate_checks_scales_and_offsets();
    test_quantized_offsets_route_like_float();
    test_shared_subtree_is_walked_from_two_trees();
    test_quantized_forest_routes_grid_values_like_float();
    test_quantized_ties_go_left_off_the_grid();
    test_int8_thresholds_route_like_int16();
    test_nan_goes_right_in_both_forms();
    test_boosting_adds_trees_to_the_baseline();
    test_isolation_score();
    test_isolation_methods();
    test_classifier_methods();
    test_validate_rejects_bad_kinds();
    test_inline_code_replaces_the_node_tables();
    test_uint8_leaves_sum_exactly_and_scale();
    test_int16_leaves_add_up_in_fixed_point();
    test_argmax_picks_first_maximum();
    test_missing_left_bits_route_nan();
    test_inline_missing_left_matches_the_tables();
    test_lt_split_is_le_below_the_threshold();
    test_categorical_split_tests_the_bit_of_trunc_x();
    test_validate_checks_categorical_splits();
    test_exp_link_exponentiates_the_raw_sum();
    test_rows_in_blocks_equal_row_by_row();
    test_rows_in_blocks_refuse_what_they_cannot_run();
    return CHECK_REPORT("forest");
}
