/*
 * TinyML Lab C runtime: tree ensembles (decision trees, random forests).
 *
 * Header-only C99. Every function is `static inline`, so a program may include this
 * header (and any number of generated model headers that embed it) from several .c
 * files and still link: each translation unit gets its own copy, and the include guard
 * keeps one copy per unit. No malloc, no state outside the caller's stack.
 *
 * Table layout (one forest = several trees sharing one node table):
 *   - Nodes are numbered in preorder, so the left child of internal node i is always node
 *     i + 1 and only the right child needs storing. Identical subtrees may be stored once:
 *     a right child or a tree root can point at a node that other trees also use. Every
 *     child index is greater than its parent's, which makes every walk terminate.
 *   - node_feature[i] >= 0: internal node that tests feature node_feature[i].
 *     node_feature[i] == TML_LEAF: leaf; node_next[i] is then its row in the leaf table.
 *   - node_feature[i] == TML_CATEGORICAL(f) (= -2 - f): categorical split on feature f; its
 *     threshold slot holds a whole number k, the row of category_bits it tests (below).
 *   - Internal node i goes left when x[feature] <= threshold, exactly as scikit-learn
 *     does on float32 features. Float thresholds are the largest float32 not above
 *     scikit-learn's float64 threshold, so `x <= t32` equals `(double)x <= t64` for
 *     every float32 x. XGBoost's `x < t` becomes `x <= t32` with t32 the largest float32
 *     strictly below t, exact for every float32 x.
 *   - Missing values: a NaN feature goes left at node i when bit (i & 7) of
 *     node_missing_left[i >> 3] is set, right otherwise (NaN <= t is false); the table is
 *     NULL when no node sends NaN left. Quantized, NaN is the code TML_QUANTIZED_NAN, above
 *     every other input and every threshold, so it also goes right unless the bit is set.
 *   - Categorical split on x: NaN, x < 0 and trunc(x) >= 32 * category_words ("not a
 *     category") take the node's missing direction; else category c = trunc(x) goes left
 *     when bit (c & 31) of word c >> 5 of its row is set. Rows are category_words uint32 words
 *     each. Quantized forests quantize categorical features with scale 1 and offset 0, so
 *     q = floor(x) is the category; a saturated input is not a category.
 *   - Forests with neither node_missing_left nor category_bits walk the plain loop of
 *     numeric splits; the general loop runs only for the forests that need it.
 *   - A generated header usually replaces these tables with its own code (tree_leaf): inline
 *     if/goto code per tree, or a walk over packed split tables (8- or 16-bit feature codes
 *     with a NaN-left flag, 16- or 32-bit children, leaves as references past the splits);
 *     its predict counts votes or sums leaf rows itself (see src/core/families/trees/emit.ts).
 *   - Quantized forests (int16 or int8 thresholds) compare q(x) <= tq with
 *     q(x) = floor(x * scale[f]) - offset[f] and tq = floor(t * scale[f]) - offset[f]. The scale
 *     is a power of two and the offset a whole number, so both are exact. Then q(x) <= tq
 *     exactly when x * scale < floor(t * scale) + 1: every x <= t goes left (ties included),
 *     and so does every x > t except those between t and the next 1/scale grid point.
 *     Features whose values lie on the grid (integers, say) route exactly as in sklearn.
 *     Quantized int16 thresholds stay below INT16_MAX - 1, the code of saturated large inputs,
 *     except a split that sends every value left and only NaN right (scikit-learn's threshold
 *     +inf): its threshold is INT16_MAX - 1, so saturated inputs go left too.
 *   - Leaf rows are float32, uint8 probabilities (k * leaf_scale, forests only) or int16
 *     fixed point (k * leaf_scale, one value per row): the fixed-point rows add up in an
 *     int32, so a model without an FPU does one float multiply per output, not per tree.
 *
 * Combining trees: a forest averages its trees' leaf rows (TML_COMBINE_MEAN); a boosted
 * ensemble adds them to a baseline (TML_COMBINE_SUM), each tree optionally feeding one
 * output only (tree_output, then its leaf rows hold a single value). The link turns that
 * raw output into what predict_proba / score_samples give (TML_LINK_*).
 *
 * Model methods, named after scikit-learn's (the end of this file): tml_forest_predict_class
 * (a classifier's predict; an isolation forest's 0 = outlier / 1 = inlier),
 * tml_forest_predict_values (a regressor's predict), tml_forest_predict_proba,
 * tml_forest_decision_function, and for an isolation forest tml_forest_score_samples and
 * tml_forest_predict_label (-1 / 1), which compare with the struct's offset.
 *
 * Functions that take sizes validate them and return a negative TML_E_* code instead of
 * reading or writing out of bounds. tml_forest_validate() checks a whole table set once
 * (the WebAssembly build runs it on every model it is handed).
 */
#ifndef TINYML_FOREST_H
#define TINYML_FOREST_H

#ifndef TINYML_COMMON_H /* a standalone model header embeds it just before */
#include "tinyml/common.h"
#endif

/*
 * The small helpers of a tree walk. Forced inline where the compiler allows it (GCC, clang):
 * a const model's unused branches (the general walk of a plain forest) then fold away before
 * the compiler would clone the helpers they call, leaving the plain walk's code as it was.
 */
#if defined(__GNUC__)
#define TML_FOREST_INLINE static inline __attribute__((always_inline))
#else
#define TML_FOREST_INLINE static inline
#endif

#define TML_LEAF (-1)
/* node_feature code of a categorical split on feature f, and back (f < 32767). */
#define TML_CATEGORICAL(f) (-2 - (f))
#define TML_CATEGORY_FEATURE(code) (-2 - (code))
/* Largest word count of a category_bits row: categories 0 ... 32767. */
#define TML_MAX_CATEGORY_WORDS 1024
/* What tml_quantize_i16 gives for NaN (INT16_MAX); large inputs saturate one below it. */
#define TML_QUANTIZED_NAN 32767

/* How the trees' leaf rows combine into the raw output. */
#define TML_COMBINE_MEAN 0 /* forests: mean of the trees' rows */
#define TML_COMBINE_SUM 1  /* boosting: baseline + sum of the trees' rows */

/* How the raw output becomes the model's values. */
#define TML_LINK_IDENTITY 0  /* forest probabilities, regression */
#define TML_LINK_LOGISTIC 1  /* binary boosting: raw[0] is the log-odds of class 1 */
#define TML_LINK_SOFTMAX 2   /* multi-class boosting */
#define TML_LINK_ISOLATION 3 /* isolation forest: score = -2^(-mean path length / link_param) */
#define TML_LINK_EXP 4       /* regression boosting (poisson, gamma, tweedie): value = exp(raw) */

/* Generated code that walks tree `tree` and returns its leaf row (inline-code models). A
 * quantized model's code reads xq only; a float model's reads x only. */
typedef int32_t (*tml_tree_leaf_fn)(int32_t tree, const float *x, const int16_t *xq);

typedef struct {
    int32_t n_features;
    int32_t n_outputs;   /* width of the raw output: classes of a forest, 1 for a regressor */
    int32_t n_trees;
    int32_t n_nodes;     /* in the shared node table */
    int32_t n_leaf_rows; /* rows in leaf_values */
    const int32_t *tree_root;          /* [n_trees]: root node of each tree */
    const int16_t *node_feature;       /* [n_nodes] */
    const int32_t *node_next;          /* [n_nodes]: right child, or leaf row */
    const float *node_threshold_f32;   /* [n_nodes] or NULL */
    const int16_t *node_threshold_i16; /* [n_nodes] or NULL */
    const float *feature_scale;        /* [n_features] for quantized forests, else NULL */
    const float *leaf_values;          /* [n_leaf_rows * leaf width], or NULL with leaf_u8/i16 */
    int32_t combine;                   /* TML_COMBINE_* */
    int32_t link;                      /* TML_LINK_* */
    float link_param;                  /* TML_LINK_ISOLATION: c(max_samples) */
    const float *baseline;             /* [n_outputs] start of a TML_COMBINE_SUM, or NULL */
    const int16_t *tree_output;        /* [n_trees] output each tree feeds, or NULL: all */
    tml_tree_leaf_fn tree_leaf;        /* inline code in place of the node tables, or NULL */
    const uint8_t *leaf_u8;            /* leaf rows as uint8 (value = u8 * leaf_scale), or NULL */
    float leaf_scale;                  /* with leaf_u8 (1/255) or leaf_i16 (a power of two) */
    const int8_t *node_threshold_i8;   /* [n_nodes] or NULL: int8 thresholds, int16 inputs */
    const int16_t *leaf_i16;           /* leaf values as fixed point (width 1), or NULL */
    const float *feature_offset;       /* [n_features] whole-number zero points, or NULL: 0 */
    float offset;                      /* TML_LINK_ISOLATION: sklearn's offset_ (decision = score - offset) */
    const uint8_t *node_missing_left;  /* [(n_nodes + 7) / 8] bits: NaN goes left at node i, or NULL */
    const uint32_t *category_bits;     /* [n_category_sets * category_words], or NULL: no categorical split */
    int32_t n_category_sets;           /* rows of category_bits */
    int32_t category_words;            /* uint32 words per row, 1 ... TML_MAX_CATEGORY_WORDS */
} tml_forest_t;

/* Largest |offset|: offset +- 32767 stays a whole float32, so quantizing needs no rounding. */
#define TML_MAX_FEATURE_OFFSET 8388608.0f
/* int16 leaves add up in an int32: at most this many trees cannot overflow it. */
#define TML_MAX_I16_LEAF_TREES 65536

/*
 * Float compares of the splits. Cores without a floating-point unit (Cortex-M0+/M3 soft float,
 * RV32 without F, AVR) compare the bit patterns as integers instead of calling the C library's
 * soft-float compare, which costs them a call and about 20 instructions a split: non-NaN
 * float32 values are ordered as their bits are, read as sign and magnitude, so against a
 * threshold t >= 0 (a constant in generated code) a signed compare of the bits decides, and
 * against t < 0 an unsigned one reversed. NaN is tested on its own, so both forms give
 * exactly x <= t and x > t of IEEE 754, NaN, infinities and -0 included. Define
 * TML_FLOAT_COMPARE_BITS to 0 or 1 to choose.
 */
#ifndef TML_FLOAT_COMPARE_BITS
#if (defined(__arm__) && !defined(__ARM_FP)) || (defined(__riscv) && !defined(__riscv_flen)) || defined(__AVR__)
#define TML_FLOAT_COMPARE_BITS 1
#else
#define TML_FLOAT_COMPARE_BITS 0
#endif
#endif

/* The bits of a float32 (a union: C99 reads the other member's bytes). */
TML_FOREST_INLINE uint32_t tml_f32_bits(float v)
{
    union {
        float f;
        uint32_t u;
    } bits;
    bits.f = v;
    return bits.u;
}

/* x <= t on the bits of a non-NaN x and any t: -0 compares as +0; t >= 0 as signed integers
 * (flipping the sign bit makes the unsigned compare a signed one), t < 0 reversed. */
TML_FOREST_INLINE int tml_le_bits(uint32_t xb, uint32_t tb)
{
    if (tb == 0x80000000u) {
        tb = 0u;
    }
    return (tb >> 31) == 0u ? (xb ^ 0x80000000u) <= (tb ^ 0x80000000u) : xb >= tb;
}

/* The integer forms, defined everywhere so that a test can hold them against the FPU's. */
TML_FOREST_INLINE int tml_is_nan_f32_bits(float v)
{
    return (tml_f32_bits(v) << 1) > 0xff000000u; /* exponent all ones, fraction non-zero */
}

TML_FOREST_INLINE int tml_le_f32_bits(float x, float t)
{
    uint32_t xb = tml_f32_bits(x);
    /* bits above -inf's are the NaNs whose sign bit is set; the others fail the compare */
    return xb <= 0xff800000u && tml_le_bits(xb, tml_f32_bits(t));
}

TML_FOREST_INLINE int tml_gt_f32_bits(float x, float t)
{
    return !tml_is_nan_f32_bits(x) && !tml_le_bits(tml_f32_bits(x), tml_f32_bits(t));
}

/* Whether v is NaN. */
TML_FOREST_INLINE int tml_is_nan_f32(float v)
{
#if TML_FLOAT_COMPARE_BITS
    return tml_is_nan_f32_bits(v);
#else
    return v != v;
#endif
}

/* x <= t, false for NaN: a split's test. */
TML_FOREST_INLINE int tml_le_f32(float x, float t)
{
#if TML_FLOAT_COMPARE_BITS
    return tml_le_f32_bits(x, t);
#else
    return x <= t;
#endif
}

/* x > t, false for NaN: the test of a split that sends NaN left. */
TML_FOREST_INLINE int tml_gt_f32(float x, float t)
{
#if TML_FLOAT_COMPARE_BITS
    return tml_gt_f32_bits(x, t);
#else
    return x > t;
#endif
}

/* Quantized forests compare int16 features with int16 or int8 thresholds. */
static inline int tml_forest_is_quantized(const tml_forest_t *f)
{
    return f->node_threshold_i16 != NULL || f->node_threshold_i8 != NULL;
}

/* Quantized threshold of node i, whichever width the forest stores. */
TML_FOREST_INLINE int16_t tml_forest_threshold_q(const tml_forest_t *f, int32_t i)
{
    return f->node_threshold_i16 != NULL ? TML_READ_I16(&f->node_threshold_i16[i]) : (int16_t)TML_READ_I8(&f->node_threshold_i8[i]);
}

/* No missing-value bits and no categorical split: every split is x <= t (the plain walk). */
TML_FOREST_INLINE int tml_forest_is_plain(const tml_forest_t *f)
{
    return f->node_missing_left == NULL && f->category_bits == NULL;
}

/* Whether a NaN feature goes left at node i. */
TML_FOREST_INLINE int tml_forest_missing_left(const tml_forest_t *f, int32_t i)
{
    return f->node_missing_left != NULL && ((TML_READ_U8(&f->node_missing_left[i >> 3]) >> (i & 7)) & 1u) != 0u;
}

/* Feature tested by a split of node_feature code `code` (numeric or categorical). */
TML_FOREST_INLINE int32_t tml_forest_split_feature(int32_t code)
{
    return code >= 0 ? code : TML_CATEGORY_FEATURE(code);
}

/* Row of category_bits that categorical node i tests: the whole number in its threshold slot. */
TML_FOREST_INLINE const uint32_t *tml_forest_category_row(const tml_forest_t *f, int32_t i)
{
    int32_t set = f->node_threshold_f32 != NULL ? (int32_t)TML_READ_F32(&f->node_threshold_f32[i]) : tml_forest_threshold_q(f, i);
    return f->category_bits + (size_t)set * (size_t)f->category_words;
}

/*
 * Whether a categorical split with bit row `row` (n_words words) sends x left: NaN, x < 0 and
 * x >= 32 * n_words are not categories and take the missing direction; else bit trunc(x).
 * Inline code calls it with its own row.
 */
static inline int tml_category_left(const uint32_t *row, int32_t n_words, float x, int missing_left)
{
    int32_t c;
    /* The bound is a constant, and the row's own one an integer compare: an outlined copy of
     * this function needs no int-to-float conversion or multiply (soft-float routines). */
    if (!(x >= 0.0f && x < (float)((int32_t)32 * TML_MAX_CATEGORY_WORDS))) { /* int32: int is 16 bits on AVR */
        return missing_left;
    }
    c = (int32_t)x; /* toward zero */
    if (c >= 32 * n_words) {
        return missing_left;
    }
    return (int)((TML_READ_U32(&row[c >> 5]) >> (c & 31)) & 1u);
}

/* The same on a feature quantized with scale 1 and offset 0 (q = floor(x)): NaN's code and the
 * saturated code INT16_MAX - 1 are not categories. */
static inline int tml_category_left_q(const uint32_t *row, int32_t n_words, int16_t q, int missing_left)
{
    if (q < 0 || q >= TML_QUANTIZED_NAN - 1 || q >= 32 * n_words) {
        return missing_left;
    }
    return (int)((TML_READ_U32(&row[q >> 5]) >> (q & 31)) & 1u);
}

/* Whether node i sends float32 features x left (general walk: NaN's direction, categories). */
TML_FOREST_INLINE int tml_forest_left_f32(const tml_forest_t *f, int32_t i, const float *x)
{
    int32_t code = TML_READ_I16(&f->node_feature[i]);
    if (code < 0) {
        return tml_category_left(tml_forest_category_row(f, i), f->category_words, x[TML_CATEGORY_FEATURE(code)],
                                 tml_forest_missing_left(f, i));
    }
    return tml_le_f32(x[code], TML_READ_F32(&f->node_threshold_f32[i])) || (tml_is_nan_f32(x[code]) && tml_forest_missing_left(f, i));
}

/* Whether node i sends q, the quantized value of the feature it tests, left (general walk). */
TML_FOREST_INLINE int tml_forest_left_q(const tml_forest_t *f, int32_t i, int16_t q)
{
    if (TML_READ_I16(&f->node_feature[i]) < 0) {
        return tml_category_left_q(tml_forest_category_row(f, i), f->category_words, q, tml_forest_missing_left(f, i));
    }
    return q <= tml_forest_threshold_q(f, i) || (q == TML_QUANTIZED_NAN && tml_forest_missing_left(f, i));
}

/* Values per leaf row: 1 when each tree feeds one output, else n_outputs. */
static inline int32_t tml_forest_leaf_width(const tml_forest_t *f)
{
    return f->tree_output != NULL ? 1 : f->n_outputs;
}

/* How many values tml_forest_predict_values writes: 2 probabilities for a logistic link. */
static inline int32_t tml_forest_n_values(const tml_forest_t *f)
{
    return f->link == TML_LINK_LOGISTIC ? 2 : f->n_outputs;
}

/* Leaf tables given: exactly one of float32, uint8 and int16 must be. */
static inline int tml_forest_leaf_tables(const tml_forest_t *f)
{
    return (f->leaf_values != NULL) + (f->leaf_u8 != NULL) + (f->leaf_i16 != NULL);
}

/* Checks a quantized forest's scales (positive, finite) and offsets (whole, bounded). */
static inline int tml_forest_validate_scales(const tml_forest_t *f)
{
    int32_t k;
    for (k = 0; k < f->n_features; k++) {
        float scale = TML_READ_F32(&f->feature_scale[k]);
        if (!(scale > 0.0f) || !(scale < 3.0e38f)) {
            return TML_E_SCALE;
        }
        if (f->feature_offset != NULL) {
            float offset = TML_READ_F32(&f->feature_offset[k]);
            if (!(offset >= -TML_MAX_FEATURE_OFFSET && offset <= TML_MAX_FEATURE_OFFSET) ||
                (float)(int32_t)offset != offset) {
                return TML_E_SCALE;
            }
        }
    }
    return TML_OK;
}

/* Checks categorical node i: category rows given, its row index a whole number in range, and
 * (quantized) its feature quantized with scale 1 and offset 0, so that q is the category. */
static inline int tml_forest_validate_categorical(const tml_forest_t *f, int32_t i)
{
    int32_t feature = TML_CATEGORY_FEATURE(TML_READ_I16(&f->node_feature[i]));
    if (f->category_bits == NULL) {
        return TML_E_FEATURE;
    }
    if (f->node_threshold_f32 != NULL) {
        float set = TML_READ_F32(&f->node_threshold_f32[i]);
        /* the range check first: converting a float beyond int32 is undefined */
        if (!(set >= 0.0f && set < (float)f->n_category_sets) || (float)(int32_t)set != set) {
            return TML_E_FEATURE;
        }
    } else if (tml_forest_threshold_q(f, i) < 0 || tml_forest_threshold_q(f, i) >= f->n_category_sets) {
        return TML_E_FEATURE;
    }
    if (tml_forest_is_quantized(f) && /* validated: quantized forests have scales */
        (TML_READ_F32(&f->feature_scale[feature]) != 1.0f || (f->feature_offset != NULL && TML_READ_F32(&f->feature_offset[feature]) != 0.0f))) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* Checks every count and index once, so the walks below need no checks of their own. */
static inline int tml_forest_validate(const tml_forest_t *f)
{
    int32_t t, i;
    int status;
    if (f == NULL || tml_forest_leaf_tables(f) != 1 ||
        (f->tree_leaf == NULL &&
         (f->tree_root == NULL || f->node_feature == NULL || f->node_next == NULL))) {
        return TML_E_NULL;
    }
    if (f->n_features <= 0 || f->n_outputs <= 0 || f->n_trees <= 0 || f->n_nodes <= 0 ||
        f->n_leaf_rows <= 0) {
        return TML_E_SIZE;
    }
    if (f->tree_leaf == NULL && (f->node_threshold_f32 != NULL) + (f->node_threshold_i16 != NULL) +
                                        (f->node_threshold_i8 != NULL) != 1) {
        return TML_E_THRESHOLDS; /* exactly one threshold table */
    }
    if ((tml_forest_is_quantized(f) || f->feature_offset != NULL) && f->feature_scale == NULL) {
        return TML_E_NULL;
    }
    if (f->feature_scale != NULL && tml_forest_validate_scales(f) != TML_OK) {
        return TML_E_SCALE;
    }
    if ((f->combine != TML_COMBINE_MEAN && f->combine != TML_COMBINE_SUM) ||
        (f->link == TML_LINK_LOGISTIC && f->n_outputs != 1) ||
        (f->link == TML_LINK_SOFTMAX && f->n_outputs < 2) ||
        (f->link == TML_LINK_ISOLATION && (f->n_outputs != 1 || !(f->link_param > 0.0f))) ||
        (f->link == TML_LINK_EXP && (f->n_outputs != 1 || f->combine != TML_COMBINE_SUM)) ||
        f->link < TML_LINK_IDENTITY || f->link > TML_LINK_EXP ||
        (f->leaf_u8 != NULL && f->combine != TML_COMBINE_MEAN) ||
        (f->leaf_i16 != NULL && (tml_forest_leaf_width(f) != 1 || f->n_trees > TML_MAX_I16_LEAF_TREES))) {
        return TML_E_KIND;
    }
    if (((f->leaf_u8 != NULL || f->leaf_i16 != NULL) &&
         !(f->leaf_scale > 0.0f && f->leaf_scale < 3.0e38f)) ||
        !tml_is_finite(f->offset)) {
        return TML_E_SCALE;
    }
    if (f->category_bits != NULL &&
        (f->n_category_sets <= 0 || f->category_words <= 0 || f->category_words > TML_MAX_CATEGORY_WORDS)) {
        return TML_E_SIZE;
    }
    if (f->tree_output != NULL) {
        for (t = 0; t < f->n_trees; t++) {
            if (TML_READ_I16(&f->tree_output[t]) < 0 || TML_READ_I16(&f->tree_output[t]) >= f->n_outputs) {
                return TML_E_KIND;
            }
        }
    }
    /* Inline code was generated from checked tables: there are no node tables to check. */
    if (f->tree_leaf != NULL) {
        return TML_OK;
    }
    for (t = 0; t < f->n_trees; t++) {
        if (TML_READ_I32(&f->tree_root[t]) < 0 || TML_READ_I32(&f->tree_root[t]) >= f->n_nodes) {
            return TML_E_TREE;
        }
    }
    for (i = 0; i < f->n_nodes; i++) {
        int32_t feature = TML_READ_I16(&f->node_feature[i]);
        int32_t next = TML_READ_I32(&f->node_next[i]);
        if (feature == TML_LEAF) {
            if (next < 0 || next >= f->n_leaf_rows) {
                return TML_E_LEAF;
            }
        } else if (tml_forest_split_feature(feature) >= f->n_features) {
            return TML_E_FEATURE;
        } else if (feature < 0 && (status = tml_forest_validate_categorical(f, i)) != TML_OK) {
            return status;
        } else if (i + 1 >= f->n_nodes || next <= i + 1 || next >= f->n_nodes) {
            /* both children lie after the node: every walk ends at a leaf */
            return TML_E_TREE;
        }
    }
    return TML_OK;
}

/*
 * Class with the most votes in votes[n], the first of equal counts: np.argmax's rule. A forest
 * whose leaves are all pure (one class each) predicts this from one vote per tree, which is
 * exactly scikit-learn's argmax of the averaged probabilities (emit.ts, voteCounting).
 */
static inline int32_t tml_argmax_votes(const uint16_t *votes, int32_t n)
{
    int32_t best = 0, k;
    for (k = 1; k < n; k++) {
        if (votes[k] > votes[best]) {
            best = k;
        }
    }
    return best;
}

/* Leaf row reached by tree t for float32 features x[n_features] (table forests only). */
static inline int32_t tml_forest_leaf_f32(const tml_forest_t *f, int32_t t, const float *x)
{
    int32_t i = TML_READ_I32(&f->tree_root[t]);
    if (tml_forest_is_plain(f)) {
        while (TML_READ_I16(&f->node_feature[i]) != TML_LEAF) {
            i = tml_le_f32(x[TML_READ_I16(&f->node_feature[i])], TML_READ_F32(&f->node_threshold_f32[i])) ? i + 1 : TML_READ_I32(&f->node_next[i]);
        }
        return TML_READ_I32(&f->node_next[i]);
    }
    while (TML_READ_I16(&f->node_feature[i]) != TML_LEAF) {
        i = tml_forest_left_f32(f, i, x) ? i + 1 : TML_READ_I32(&f->node_next[i]);
    }
    return TML_READ_I32(&f->node_next[i]);
}

/* Leaf row reached by tree t for quantized features xq[n_features] (table forests only). */
static inline int32_t tml_forest_leaf_q(const tml_forest_t *f, int32_t t, const int16_t *xq)
{
    int32_t i = TML_READ_I32(&f->tree_root[t]);
    if (tml_forest_is_plain(f)) {
        while (TML_READ_I16(&f->node_feature[i]) != TML_LEAF) {
            i = (xq[TML_READ_I16(&f->node_feature[i])] <= tml_forest_threshold_q(f, i)) ? i + 1 : TML_READ_I32(&f->node_next[i]);
        }
        return TML_READ_I32(&f->node_next[i]);
    }
    while (TML_READ_I16(&f->node_feature[i]) != TML_LEAF) {
        i = tml_forest_left_q(f, i, xq[tml_forest_split_feature(TML_READ_I16(&f->node_feature[i]))]) ? i + 1 : TML_READ_I32(&f->node_next[i]);
    }
    return TML_READ_I32(&f->node_next[i]);
}

/*
 * q = floor(x * scale) - offset, saturated to [INT16_MIN, INT16_MAX - 1]. Quantized
 * thresholds stay below INT16_MAX - 1, so a saturated input still goes right wherever it
 * should. NaN maps to TML_QUANTIZED_NAN (INT16_MAX), a code of its own: it goes right at every
 * split, as a float NaN does (NaN <= t is false), unless the node's missing-value bit sends it
 * left. The scale is a power of two and the offset a whole number within
 * TML_MAX_FEATURE_OFFSET, so every step below is exact in float32.
 */
static inline int16_t tml_quantize_i16(float x, float scale, float offset)
{
    float v = x * scale;
    if (!(v < offset + 32767.0f)) {
        /* v in [offset + 32766, offset + 32767) floors to INT16_MAX - 1 below, as does all above */
        return (int16_t)(v == v ? INT16_MAX - 1 : TML_QUANTIZED_NAN);
    }
    if (v < offset - 32767.0f) {
        return INT16_MIN;
    }
    {
        /* floor without libm: truncate toward zero, then step down below zero. */
        int32_t q = (int32_t)v;
        q = (float)q > v ? q - 1 : q;
        return (int16_t)(q - (int32_t)offset);
    }
}

/* 2^e as a float32, built from its bits (no libm, no soft-float call): e in [-126, 127]. Generated
 * code stores a power-of-two scale as its exponent, one byte in place of a float's four. */
static inline float tml_pow2f(int32_t e)
{
    union {
        uint32_t u;
        float f;
    } bits;
    bits.u = (uint32_t)(e + 127) << 23;
    return bits.f;
}

/* Feature k's value v quantized with its scale and offset (tables; offset NULL: all 0). */
TML_FOREST_INLINE int16_t tml_quantize_feature_i16(const float *scale, const float *offset, int32_t k, float v)
{
    return tml_quantize_i16(v, TML_READ_F32(&scale[k]), offset != NULL ? TML_READ_F32(&offset[k]) : 0.0f);
}

/* Quantizes x[n] with per-feature scales and offsets (tables; offset NULL: all 0) into xq[n]. */
static inline int tml_quantize_features_i16(const float *scale, const float *offset, const float *x,
                                            int16_t *xq, int32_t n)
{
    int32_t k;
    if (scale == NULL || x == NULL || xq == NULL) {
        return TML_E_NULL;
    }
    if (n <= 0) {
        return TML_E_SIZE;
    }
    for (k = 0; k < n; k++) {
        xq[k] = tml_quantize_feature_i16(scale, offset, k, x[k]);
    }
    return TML_OK;
}

/* Leaf row reached by tree t, through inline code or the tables; a quantized table forest
 * given float features quantizes each tested feature of x. */
static inline int32_t tml_forest_leaf(const tml_forest_t *f, int32_t t, const float *x,
                                      const int16_t *xq)
{
    int32_t i;
    if (f->tree_leaf != NULL) {
        return f->tree_leaf(t, x, xq);
    }
    if (!tml_forest_is_quantized(f)) {
        return tml_forest_leaf_f32(f, t, x);
    }
    if (xq != NULL) {
        return tml_forest_leaf_q(f, t, xq);
    }
    /* Quantize on the fly, one feature per split, so no feature buffer is needed. */
    i = TML_READ_I32(&f->tree_root[t]);
    while (TML_READ_I16(&f->node_feature[i]) != TML_LEAF) {
        int32_t feat = tml_forest_split_feature(TML_READ_I16(&f->node_feature[i]));
        int16_t q = tml_quantize_feature_i16(f->feature_scale, f->feature_offset, feat, x[feat]);
        int left = tml_forest_is_plain(f) ? q <= tml_forest_threshold_q(f, i) : tml_forest_left_q(f, i, q);
        i = left ? i + 1 : TML_READ_I32(&f->node_next[i]);
    }
    return TML_READ_I32(&f->node_next[i]);
}

/*
 * The steps of one row's raw output, shared by tml_forest_raw (one row) and
 * tml_forest_raw_rows (rows in blocks, below), so that both add the same leaves in the same
 * order; test_forest.c holds the two to the same bits on random forests of every kind.
 */

/* How a row's raw output starts: a boosted ensemble's baseline, else zeros. */
TML_FOREST_INLINE void tml_forest_raw_start(const tml_forest_t *f, float *raw)
{
    int32_t k;
    for (k = 0; k < f->n_outputs; k++) {
        raw[k] = (f->combine == TML_COMBINE_SUM && f->baseline != NULL) ? TML_READ_F32(&f->baseline[k]) : 0.0f;
    }
}

/* Fixed-point leaves add up in an int32 per output: one pass per output, each tree walked in
 * the pass of the output it feeds. Other leaves need one pass. */
TML_FOREST_INLINE int32_t tml_forest_passes(const tml_forest_t *f)
{
    return f->leaf_i16 != NULL ? f->n_outputs : 1;
}

/* Whether tree t is walked in pass `pass`. */
TML_FOREST_INLINE int tml_forest_tree_in_pass(const tml_forest_t *f, int32_t t, int32_t pass)
{
    return f->leaf_i16 == NULL || f->tree_output == NULL || TML_READ_I16(&f->tree_output[t]) == pass;
}

/* Adds tree t's leaf row `leaf` (width values: tml_forest_leaf_width) to a row's raw output,
 * or an int16 leaf to the pass's *sum. */
TML_FOREST_INLINE void tml_forest_add_leaf(const tml_forest_t *f, int32_t t, int32_t leaf, int32_t width, float *raw,
                                           int32_t *sum)
{
    int32_t k;
    size_t at = (size_t)leaf * (size_t)width;
    if (f->leaf_i16 != NULL) {
        *sum += TML_READ_I16(&f->leaf_i16[at]);
    } else if (f->leaf_u8 != NULL) {
        /* Whole numbers: float sums stay exact below 2^24, so ties stay ties. */
        for (k = 0; k < width; k++) {
            raw[f->tree_output != NULL ? TML_READ_I16(&f->tree_output[t]) : k] += (float)TML_READ_U8(&f->leaf_u8[at + (size_t)k]);
        }
    } else if (f->tree_output != NULL) {
        raw[TML_READ_I16(&f->tree_output[t])] += TML_READ_F32(&f->leaf_values[at]);
    } else {
        for (k = 0; k < width; k++) {
            raw[k] += TML_READ_F32(&f->leaf_values[at + (size_t)k]);
        }
    }
}

/* Ends pass `pass`: an int16 forest's sum becomes its output's value. */
TML_FOREST_INLINE void tml_forest_raw_end_pass(const tml_forest_t *f, int32_t pass, int32_t sum, float *raw)
{
    if (f->leaf_i16 != NULL) {
        raw[pass] += (float)sum * f->leaf_scale;
    }
}

/* Ends a row's raw output: uint8 rows scaled, a forest's sum divided into the mean. */
TML_FOREST_INLINE void tml_forest_raw_end(const tml_forest_t *f, float *raw)
{
    int32_t k;
    if (f->leaf_u8 != NULL) {
        for (k = 0; k < f->n_outputs; k++) {
            raw[k] *= f->leaf_scale;
        }
    }
    if (f->combine == TML_COMBINE_MEAN) {
        for (k = 0; k < f->n_outputs; k++) {
            raw[k] /= (float)f->n_trees;
        }
    }
}

/*
 * Raw output for one row into raw[n_raw] (n_raw >= n_outputs): the mean of the trees' leaf
 * rows for TML_COMBINE_MEAN, baseline plus their sum for TML_COMBINE_SUM. Give float32
 * features x, or for a quantized forest either x or already quantized features xq.
 * Returns TML_OK or a TML_E_* code.
 */
static inline int tml_forest_raw(const tml_forest_t *f, const float *x, const int16_t *xq,
                                 float *raw, int32_t n_raw)
{
    int32_t t, pass, passes;
    int32_t width;
    if (f == NULL || raw == NULL) {
        return TML_E_NULL;
    }
    if (x == NULL && (xq == NULL || (!tml_forest_is_quantized(f) && f->tree_leaf == NULL))) {
        return TML_E_NULL;
    }
    if (f->tree_leaf != NULL && f->feature_scale != NULL && xq == NULL) {
        return TML_E_NULL; /* quantized inline code reads xq only: quantize the features first */
    }
    if (n_raw < f->n_outputs) {
        return TML_E_SIZE;
    }
    width = tml_forest_leaf_width(f);
    tml_forest_raw_start(f, raw);
    /* One call site of tml_forest_leaf keeps it inlined, so a const model's checks fold away. */
    passes = tml_forest_passes(f);
    for (pass = 0; pass < passes; pass++) {
        int32_t sum = 0;
        for (t = 0; t < f->n_trees; t++) {
            if (tml_forest_tree_in_pass(f, t, pass)) {
                tml_forest_add_leaf(f, t, tml_forest_leaf(f, t, x, xq), width, raw, &sum);
            }
        }
        tml_forest_raw_end_pass(f, pass, sum, raw);
    }
    tml_forest_raw_end(f, raw);
    return TML_OK;
}

/*
 * ---- Many rows at once (the WebAssembly build's device run) ----
 *
 * tml_forest_raw_rows gives every row exactly tml_forest_raw's raw output: each row starts,
 * adds its trees' leaf rows in tree order and ends as tml_forest_raw does, so every float sum
 * is the same sum, bit for bit. Only the order of the walks changes: rows go in blocks, and
 * each tree walks every row of a block before the next tree, so a tree's nodes stay in cache
 * while the block's rows pass through it (a forest's tables are megabytes; walked row by row,
 * almost every node is a cache miss).
 *
 * It walks a copy of the forest's node table (tml_walk_node_t, built into the caller's
 * scratch on every call) made for walking several rows at once: a node's feature, threshold,
 * right child and NaN direction side by side, and leaves that lead to themselves, so that
 * every row takes exactly its tree's depth in steps, each a mask instead of a branch, and
 * TML_FOREST_WALK_GROUP rows walk side by side. A split's choice is a coin toss for the branch
 * predictor; rows in lockstep take none. Table forests without categorical splits walk it
 * (tml_forest_uses_walk_table); the others go row by row.
 *
 * A quantized forest walks it too, on each block's rows quantized once (tml_quantize_i16, as
 * row by row) and held as floats: whole numbers below 2^15 compare in float32 as they do in
 * int16, its thresholds are whole numbers too, and NaN's code TML_QUANTIZED_NAN becomes a
 * float NaN, which takes the node's NaN direction: left where its missing-value bit says so
 * or where the threshold is that code itself, as tml_forest_left_q compares them.
 */

/* One node of the walk table. Internal node i: left child i + 1 (preorder), right child
 * right, nan_left all ones where a NaN goes left. A leaf: threshold NaN and nan_left 0, so
 * that every x goes right, to the leaf itself (its leaf row stays in node_next). */
typedef struct {
    int32_t feature;
    float threshold;
    int32_t right;
    int32_t nan_left;
} tml_walk_node_t;

/* Rows that walk a tree side by side. */
#define TML_FOREST_WALK_GROUP 4

/* Whether tml_forest_raw_rows can run the forest: node tables, no categorical split. */
static inline int tml_forest_uses_walk_table(const tml_forest_t *f)
{
    return f->tree_leaf == NULL && f->category_bits == NULL;
}

/* Features per block row that a quantized forest's walk holds as floats (0 for float32). */
static inline size_t tml_forest_block_features(const tml_forest_t *f)
{
    return tml_forest_is_quantized(f) ? (size_t)f->n_features : 0;
}

/*
 * Bytes of scratch tml_forest_raw_rows needs for blocks of block_rows rows: the int16
 * leaves' sums of a block, the walk table, the trees' depths and, for a quantized forest,
 * the block's quantized features; 0 for a forest it cannot run or when that does not fit in
 * a size_t.
 */
static inline size_t tml_forest_rows_scratch(const tml_forest_t *f, int32_t block_rows)
{
    size_t room, features;
    if (f == NULL || !tml_forest_uses_walk_table(f) || block_rows <= 0 || f->n_nodes < 0 || f->n_trees < 0 ||
        f->n_features < 0) {
        return 0;
    }
    room = (size_t)-1 / 5; /* each of the four parts below stays under a fifth */
    features = tml_forest_block_features(f);
    if ((size_t)block_rows > room / sizeof(int32_t) || (size_t)f->n_nodes > room / sizeof(tml_walk_node_t) ||
        (size_t)f->n_trees > room / sizeof(int32_t) ||
        (features > 0 && (size_t)block_rows > room / sizeof(float) / features)) {
        return 0;
    }
    return (size_t)block_rows * sizeof(int32_t) + (size_t)f->n_nodes * sizeof(tml_walk_node_t) +
           (size_t)f->n_trees * sizeof(int32_t) + (size_t)block_rows * features * sizeof(float);
}

/*
 * Builds the walk table of a validated forest without categorical splits into nodes[n_nodes]
 * (a quantized forest's thresholds as floats) and each tree's depth (the most splits on a path
 * from its root) into depth[n_trees].
 */
static inline void tml_forest_build_walk_table(const tml_forest_t *f, tml_walk_node_t *nodes, int32_t *depth)
{
    int32_t i, t;
    /* Heights first, kept in .right: a node's children lie after it, so a backward sweep has
     * both children's heights when it reaches their parent. */
    for (i = f->n_nodes - 1; i >= 0; i--) {
        if (TML_READ_I16(&f->node_feature[i]) == TML_LEAF) {
            nodes[i].right = 0;
        } else {
            int32_t left = nodes[i + 1].right, right = nodes[TML_READ_I32(&f->node_next[i])].right;
            nodes[i].right = 1 + (left > right ? left : right);
        }
    }
    for (t = 0; t < f->n_trees; t++) {
        depth[t] = nodes[TML_READ_I32(&f->tree_root[t])].right;
    }
    for (i = 0; i < f->n_nodes; i++) {
        int32_t feature = TML_READ_I16(&f->node_feature[i]);
        int leaf = feature == TML_LEAF;
        nodes[i].feature = leaf ? 0 : feature;
        nodes[i].threshold = leaf                          ? NAN
                             : tml_forest_is_quantized(f) ? (float)tml_forest_threshold_q(f, i)
                                                          : TML_READ_F32(&f->node_threshold_f32[i]);
        nodes[i].right = leaf ? i : TML_READ_I32(&f->node_next[i]);
        /* a quantized NaN also goes left where the threshold is NaN's code itself */
        nodes[i].nan_left = !leaf && (tml_forest_missing_left(f, i) ||
                                      (tml_forest_is_quantized(f) && tml_forest_threshold_q(f, i) == TML_QUANTIZED_NAN))
                                ? -1
                                : 0;
    }
}

/*
 * One step of a walk: the child node i sends x to, a leaf itself. IEEE compares (not
 * tml_le_f32, whose integer form does not fail against a NaN threshold) made masks, so the
 * compiler keeps them selects and loads the right child before the compare is known: no
 * branch to mispredict, no load waiting on the compare.
 */
TML_FOREST_INLINE int32_t tml_walk_step(const tml_walk_node_t *nodes, int32_t i, const float *x)
{
    const tml_walk_node_t *node = &nodes[i];
    float v = x[node->feature];
    int32_t left = -(int32_t)(v <= node->threshold) | (-(int32_t)(v != v) & node->nan_left);
    return ((i + 1) & left) | (node->right & ~left);
}

/* Tree t (depth steps from its root) walked by the rows x[0 .. n_rows) of a block (n_features
 * apart), each row's leaf row added to its raw output (raw, stride apart) or int16 sum. */
static inline void tml_forest_walk_block(const tml_forest_t *f, const tml_walk_node_t *nodes, int32_t t,
                                         int32_t depth, const float *x, int32_t n_rows, float *raw,
                                         int32_t stride, int32_t *sums)
{
    int32_t root = TML_READ_I32(&f->tree_root[t]), width = tml_forest_leaf_width(f), r = 0, s;
    size_t row = (size_t)f->n_features;
    /* Four rows in four variables, not an array: compilers keep them in registers. */
    for (; r + TML_FOREST_WALK_GROUP <= n_rows; r += TML_FOREST_WALK_GROUP) {
        const float *x0 = x + (size_t)r * row, *x1 = x0 + row, *x2 = x1 + row, *x3 = x2 + row;
        int32_t i0 = root, i1 = root, i2 = root, i3 = root;
        float *out = raw + (size_t)r * (size_t)stride;
        for (s = 0; s < depth; s++) {
            i0 = tml_walk_step(nodes, i0, x0);
            i1 = tml_walk_step(nodes, i1, x1);
            i2 = tml_walk_step(nodes, i2, x2);
            i3 = tml_walk_step(nodes, i3, x3);
        }
        tml_forest_add_leaf(f, t, TML_READ_I32(&f->node_next[i0]), width, out, &sums[r]);
        tml_forest_add_leaf(f, t, TML_READ_I32(&f->node_next[i1]), width, out + (size_t)stride, &sums[r + 1]);
        tml_forest_add_leaf(f, t, TML_READ_I32(&f->node_next[i2]), width, out + 2 * (size_t)stride, &sums[r + 2]);
        tml_forest_add_leaf(f, t, TML_READ_I32(&f->node_next[i3]), width, out + 3 * (size_t)stride, &sums[r + 3]);
    }
    for (; r < n_rows; r++) {
        int32_t at = root;
        for (s = 0; s < depth; s++) {
            at = tml_walk_step(nodes, at, x + (size_t)r * row);
        }
        tml_forest_add_leaf(f, t, TML_READ_I32(&f->node_next[at]), width, raw + (size_t)r * (size_t)stride, &sums[r]);
    }
}

/* A block's rows x[n_rows * n_features] quantized as tml_forest_leaf does, into xq as floats
 * (NaN's code as a NaN): what a quantized forest's walk compares with its thresholds. */
static inline void tml_forest_quantize_block(const tml_forest_t *f, const float *x, int32_t n_rows, float *xq)
{
    int32_t r, k;
    for (r = 0; r < n_rows; r++) {
        for (k = 0; k < f->n_features; k++) {
            size_t at = (size_t)r * (size_t)f->n_features + (size_t)k;
            int16_t q = tml_quantize_feature_i16(f->feature_scale, f->feature_offset, k, x[at]);
            xq[at] = q == TML_QUANTIZED_NAN ? NAN : (float)q;
        }
    }
}

/*
 * Raw outputs of n_rows rows of X (row-major float32, n_features per row) into raw (row r at
 * raw + r * stride, stride >= n_outputs), each exactly as tml_forest_raw gives it, for a
 * validated forest that tml_forest_uses_walk_table (else TML_E_KIND: walk it row by row).
 * Rows go in blocks of block_rows (> 0); scratch holds scratch_bytes >=
 * tml_forest_rows_scratch(f, block_rows), 4-byte aligned. Returns TML_OK or a TML_E_* code.
 */
static inline int tml_forest_raw_rows(const tml_forest_t *f, const float *X, int32_t n_rows, float *raw,
                                      int32_t stride, int32_t block_rows, void *scratch, size_t scratch_bytes)
{
    int32_t first, r, t, pass, passes;
    int32_t *sums = (int32_t *)scratch, *depth;
    tml_walk_node_t *nodes;
    float *quantized;
    if (f == NULL || X == NULL || raw == NULL || scratch == NULL) {
        return TML_E_NULL;
    }
    if (!tml_forest_uses_walk_table(f)) {
        return TML_E_KIND;
    }
    if (n_rows < 0 || block_rows <= 0 || stride < f->n_outputs || tml_forest_rows_scratch(f, block_rows) == 0 ||
        scratch_bytes < tml_forest_rows_scratch(f, block_rows)) {
        return TML_E_SIZE;
    }
    if (((uintptr_t)scratch & 3u) != 0) {
        return TML_E_ARENA;
    }
    nodes = (tml_walk_node_t *)(void *)(sums + block_rows);
    depth = (int32_t *)(void *)(nodes + f->n_nodes);
    quantized = (float *)(void *)(depth + f->n_trees);
    tml_forest_build_walk_table(f, nodes, depth);
    passes = tml_forest_passes(f);
    for (first = 0; first < n_rows; first += block_rows) {
        int32_t n_block = n_rows - first < block_rows ? n_rows - first : block_rows;
        const float *x = X + (size_t)first * (size_t)f->n_features;
        float *out = raw + (size_t)first * (size_t)stride;
        if (tml_forest_is_quantized(f)) {
            tml_forest_quantize_block(f, x, n_block, quantized);
            x = quantized;
        }
        for (r = 0; r < n_block; r++) {
            tml_forest_raw_start(f, out + (size_t)r * (size_t)stride);
        }
        for (pass = 0; pass < passes; pass++) {
            for (r = 0; r < n_block; r++) {
                sums[r] = 0;
            }
            for (t = 0; t < f->n_trees; t++) {
                if (tml_forest_tree_in_pass(f, t, pass)) {
                    tml_forest_walk_block(f, nodes, t, depth[t], x, n_block, out, stride, sums);
                }
            }
            for (r = 0; r < n_block; r++) {
                tml_forest_raw_end_pass(f, pass, sums[r], out + (size_t)r * (size_t)stride);
            }
        }
        for (r = 0; r < n_block; r++) {
            tml_forest_raw_end(f, out + (size_t)r * (size_t)stride);
        }
    }
    return TML_OK;
}

/* An isolation forest's score_samples from its mean path length (raw[0]). */
static inline float tml_forest_isolation_score(const tml_forest_t *f, float mean_path)
{
#if defined(__AVR__)
    return -powf(2.0f, -mean_path / f->link_param); /* avr-libc has no exp2f */
#else
    return -exp2f(-mean_path / f->link_param);
#endif
}

/*
 * Class index from a raw output, as scikit-learn's predict picks it: log-odds >= 0 for a
 * logistic link; an isolation forest's 0 (outlier: score_samples < offset) or 1 (inlier);
 * else the argmax (a regressor's single output gives 0).
 */
static inline int32_t tml_forest_class_from_raw(const tml_forest_t *f, const float *raw)
{
    if (f->link == TML_LINK_LOGISTIC) {
        return raw[0] >= 0.0f ? 1 : 0;
    }
    if (f->link == TML_LINK_ISOLATION) {
        return tml_anomaly_class(tml_forest_isolation_score(f, raw[0]), f->offset);
    }
    return tml_argmax(raw, f->n_outputs);
}

/*
 * Applies the link in place: buf holds the raw output and receives tml_forest_n_values(f)
 * values (probabilities, regression output, or an isolation forest's score_samples).
 */
static inline void tml_forest_apply_link(const tml_forest_t *f, float *buf)
{
    int32_t k;
    if (f->link == TML_LINK_LOGISTIC) {
        float p = 1.0f / (1.0f + expf(-buf[0]));
        buf[1] = p;
        buf[0] = 1.0f - p;
    } else if (f->link == TML_LINK_SOFTMAX) {
        float top = buf[tml_argmax(buf, f->n_outputs)];
        float total = 0.0f;
        for (k = 0; k < f->n_outputs; k++) {
            buf[k] = expf(buf[k] - top); /* shifted by the maximum: no overflow */
            total += buf[k];
        }
        for (k = 0; k < f->n_outputs; k++) {
            buf[k] /= total;
        }
    } else if (f->link == TML_LINK_ISOLATION) {
        buf[0] = tml_forest_isolation_score(f, buf[0]);
    } else if (f->link == TML_LINK_EXP) {
        buf[0] = expf(buf[0]);
    }
}

/* ---- model methods ---- */

/*
 * The model's values for one row into out[n_out] (n_out >= tml_forest_n_values(f)): what
 * predict_proba gives for a classifier, predict for a regressor, score_samples for an
 * isolation forest. Returns TML_OK or a TML_E_* code.
 *
 * Every method takes float32 features x or, for a quantized forest, either x or features
 * already quantized with tml_quantize_features_i16 (xq; x NULL).
 */
static inline int tml_forest_predict_values(const tml_forest_t *f, const float *x,
                                            const int16_t *xq, float *out, int32_t n_out)
{
    int status;
    if (f != NULL && n_out < tml_forest_n_values(f)) {
        return TML_E_SIZE;
    }
    status = tml_forest_raw(f, x, xq, out, n_out);
    if (status != TML_OK) {
        return status;
    }
    tml_forest_apply_link(f, out);
    return TML_OK;
}

/*
 * Class index (into the model's class list) for one row, as scikit-learn's predict picks
 * it; an isolation forest's index into [-1, 1] (0 = outlier, 1 = inlier). Needs a scratch
 * buffer of n_outputs floats; returns a negative TML_E_* code on bad input.
 */
static inline int32_t tml_forest_predict_class(const tml_forest_t *f, const float *x,
                                               const int16_t *xq, float *scratch,
                                               int32_t n_scratch)
{
    int status = tml_forest_raw(f, x, xq, scratch, n_scratch);
    if (status != TML_OK) {
        return status;
    }
    return tml_forest_class_from_raw(f, scratch);
}

/* predict_proba of a classifier into proba[n] (n >= tml_forest_n_values: 2 for a logistic
 * link); TML_E_KIND for an isolation forest. Returns TML_OK or a TML_E_* code. */
static inline int tml_forest_predict_proba(const tml_forest_t *f, const float *x, const int16_t *xq,
                                           float *proba, int32_t n)
{
    if (f != NULL && f->link == TML_LINK_ISOLATION) {
        return TML_E_KIND;
    }
    return tml_forest_predict_values(f, x, xq, proba, n);
}

/*
 * decision_function into out[n]: a boosted ensemble's raw scores (n >= n_outputs; with
 * TML_LINK_EXP the sum before exp), an isolation forest's score_samples - offset (n >= 1;
 * negative means outlier). A mean forest has none in scikit-learn; it gets its raw output,
 * the probabilities before any link.
 * Returns TML_OK or a TML_E_* code.
 */
static inline int tml_forest_decision_function(const tml_forest_t *f, const float *x, const int16_t *xq,
                                               float *out, int32_t n)
{
    int status = tml_forest_raw(f, x, xq, out, n);
    if (status == TML_OK && f->link == TML_LINK_ISOLATION) {
        out[0] = tml_forest_isolation_score(f, out[0]) - f->offset;
    }
    return status;
}

/* score_samples of an isolation forest into *score (lower is more abnormal); TML_E_KIND for
 * other forests. Returns TML_OK or a TML_E_* code. */
static inline int tml_forest_score_samples(const tml_forest_t *f, const float *x, const int16_t *xq,
                                           float *score)
{
    if (f != NULL && f->link != TML_LINK_ISOLATION) {
        return TML_E_KIND;
    }
    return tml_forest_predict_values(f, x, xq, score, 1);
}

/* predict of an isolation forest as scikit-learn labels it: *label = 1 for an inlier, -1 for
 * an outlier (score_samples < offset). Returns TML_OK or a TML_E_* code. */
static inline int tml_forest_predict_label(const tml_forest_t *f, const float *x, const int16_t *xq,
                                           int32_t *label)
{
    float score;
    int status;
    if (label == NULL) {
        return TML_E_NULL;
    }
    status = tml_forest_score_samples(f, x, xq, &score);
    if (status == TML_OK) {
        *label = tml_anomaly_class(score, f->offset) == 1 ? 1 : -1;
    }
    return status;
}

#endif /* TINYML_FOREST_H */
