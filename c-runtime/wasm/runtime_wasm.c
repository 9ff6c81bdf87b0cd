/*
 * WebAssembly entry points of the TinyML Lab C runtime. The browser widget and the
 * Python headless API (through an embedded V8) run these on the user's test data, so
 * "device" output comes from the same C code that the exported header embeds.
 *
 * The caller lays out tables in linear memory (above __heap_base) and passes their
 * addresses; 0 stands for NULL. Every model is validated before it is run.
 */
#include "tinyml/features.h"
#include "tinyml/forest.h"
#include "tinyml/gauss.h"
#include "tinyml/knn.h"
#include "tinyml/net.h"
#include "tinyml/svm.h"

#include <string.h>

#define TML_EXPORT(name) __attribute__((export_name(name)))

/* Descriptor of a forest: the fields of tml_forest_t in order, as 32-bit words
 * (addresses for pointers, IEEE bits for link_param and leaf_scale). */
enum {
    DESC_N_FEATURES, DESC_N_OUTPUTS, DESC_N_TREES, DESC_N_NODES, DESC_N_LEAF_ROWS,
    DESC_TREE_ROOT, DESC_NODE_FEATURE, DESC_NODE_NEXT, DESC_THRESHOLD_F32,
    DESC_THRESHOLD_I16, DESC_FEATURE_SCALE, DESC_LEAF_VALUES, DESC_COMBINE, DESC_LINK,
    DESC_LINK_PARAM, DESC_BASELINE, DESC_TREE_OUTPUT, DESC_LEAF_U8, DESC_LEAF_SCALE,
    DESC_THRESHOLD_I8, DESC_LEAF_I16, DESC_FEATURE_OFFSET, DESC_OFFSET, DESC_LENGTH
};

static const void *address(int32_t a) { return (const void *)(uintptr_t)(uint32_t)a; }

static tml_forest_t forest_from_descriptor(const int32_t *d)
{
    tml_forest_t f;
    f.n_features = d[DESC_N_FEATURES];
    f.n_outputs = d[DESC_N_OUTPUTS];
    f.n_trees = d[DESC_N_TREES];
    f.n_nodes = d[DESC_N_NODES];
    f.n_leaf_rows = d[DESC_N_LEAF_ROWS];
    f.tree_root = (const int32_t *)address(d[DESC_TREE_ROOT]);
    f.node_feature = (const int16_t *)address(d[DESC_NODE_FEATURE]);
    f.node_next = (const int32_t *)address(d[DESC_NODE_NEXT]);
    f.node_threshold_f32 = (const float *)address(d[DESC_THRESHOLD_F32]);
    f.node_threshold_i16 = (const int16_t *)address(d[DESC_THRESHOLD_I16]);
    f.feature_scale = (const float *)address(d[DESC_FEATURE_SCALE]);
    f.leaf_values = (const float *)address(d[DESC_LEAF_VALUES]);
    f.combine = d[DESC_COMBINE];
    f.link = d[DESC_LINK];
    f.link_param = ((const float *)d)[DESC_LINK_PARAM];
    f.baseline = (const float *)address(d[DESC_BASELINE]);
    f.tree_output = (const int16_t *)address(d[DESC_TREE_OUTPUT]);
    f.tree_leaf = NULL; /* the WebAssembly build always walks the tables */
    f.leaf_u8 = (const uint8_t *)address(d[DESC_LEAF_U8]);
    f.leaf_scale = ((const float *)d)[DESC_LEAF_SCALE];
    f.node_threshold_i8 = (const int8_t *)address(d[DESC_THRESHOLD_I8]);
    f.leaf_i16 = (const int16_t *)address(d[DESC_LEAF_I16]);
    f.feature_offset = (const float *)address(d[DESC_FEATURE_OFFSET]);
    f.offset = ((const float *)d)[DESC_OFFSET];
    return f;
}

TML_EXPORT("tml_abi_version") int32_t tml_abi_version(void) { return TML_ABI_VERSION; }

TML_EXPORT("tml_forest_descriptor_length") int32_t tml_forest_descriptor_length(void)
{
    return DESC_LENGTH;
}

/* Checks a forest descriptor; returns TML_OK or a TML_E_* code. */
TML_EXPORT("tml_wasm_forest_validate") int32_t tml_wasm_forest_validate(const int32_t *desc)
{
    tml_forest_t f;
    if (desc == NULL) {
        return TML_E_NULL;
    }
    f = forest_from_descriptor(desc);
    return tml_forest_validate(&f);
}

/*
 * Runs the forest on n_rows rows of X (row-major float32, n_features per row): classes get
 * predict's class index (an isolation forest's 0 = outlier, 1 = inlier) and values the
 * model's values (tml_forest_n_values per row: predict_proba, a regressor's predict or
 * score_samples), both from one walk of the trees: tml_forest_predict_class leaves the raw
 * output in scratch (n_scratch >= tml_forest_n_values floats) and tml_forest_apply_link
 * makes it the values. Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_forest_run")
int32_t tml_wasm_forest_run(const int32_t *desc, const float *X, int32_t n_rows, float *values,
                            int32_t *classes, float *scratch, int32_t n_scratch)
{
    tml_forest_t f;
    int32_t r, k, n_values;
    int status;
    if (desc == NULL || X == NULL || values == NULL || classes == NULL || scratch == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    f = forest_from_descriptor(desc);
    status = tml_forest_validate(&f);
    if (status != TML_OK) {
        return status;
    }
    n_values = tml_forest_n_values(&f);
    if (n_scratch < n_values) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        int32_t c = tml_forest_predict_class(&f, X + (size_t)r * (size_t)f.n_features, NULL, scratch, n_scratch);
        if (c < 0) {
            return c;
        }
        classes[r] = c;
        tml_forest_apply_link(&f, scratch);
        for (k = 0; k < n_values; k++) {
            values[(size_t)r * (size_t)n_values + (size_t)k] = scratch[k];
        }
    }
    return TML_OK;
}

/* Descriptor of a layer: the fields of tml_layer_t in order, as 32-bit words (addresses for
 * pointers, IEEE bits for in_scale and out_scale). */
enum {
    LAYER_KIND, LAYER_ACTIVATION, LAYER_IN_H, LAYER_IN_W, LAYER_IN_C, LAYER_OUT_H, LAYER_OUT_W,
    LAYER_OUT_C, LAYER_KERNEL_H, LAYER_KERNEL_W, LAYER_STRIDE_H, LAYER_STRIDE_W, LAYER_PAD_TOP,
    LAYER_PAD_LEFT, LAYER_IN_OFFSET, LAYER_OUT_OFFSET, LAYER_WEIGHT_F32, LAYER_BIAS_F32,
    LAYER_WEIGHT_I8, LAYER_BIAS_I32, LAYER_MULTIPLIER, LAYER_SHIFT, LAYER_CHANNEL_SCALE,
    LAYER_IN_SCALE, LAYER_IN_ZERO, LAYER_OUT_SCALE, LAYER_OUT_ZERO, LAYER_OUT_FLOAT, LAYER_BIAS_FOLDED,
    LAYER_WORDS
};

/* Descriptor of a net: {n_layers, quantized, arena_bytes}. */
enum { NET_N_LAYERS, NET_QUANTIZED, NET_ARENA_BYTES };

static float float_bits(int32_t word)
{
    float f;
    memcpy(&f, &word, sizeof f);
    return f;
}

static tml_layer_t layer_from_descriptor(const int32_t *d)
{
    tml_layer_t l;
    l.kind = d[LAYER_KIND];
    l.activation = d[LAYER_ACTIVATION];
    l.in_h = d[LAYER_IN_H];
    l.in_w = d[LAYER_IN_W];
    l.in_c = d[LAYER_IN_C];
    l.out_h = d[LAYER_OUT_H];
    l.out_w = d[LAYER_OUT_W];
    l.out_c = d[LAYER_OUT_C];
    l.kernel_h = d[LAYER_KERNEL_H];
    l.kernel_w = d[LAYER_KERNEL_W];
    l.stride_h = d[LAYER_STRIDE_H];
    l.stride_w = d[LAYER_STRIDE_W];
    l.pad_top = d[LAYER_PAD_TOP];
    l.pad_left = d[LAYER_PAD_LEFT];
    l.in_offset = d[LAYER_IN_OFFSET];
    l.out_offset = d[LAYER_OUT_OFFSET];
    l.weight_f32 = (const float *)address(d[LAYER_WEIGHT_F32]);
    l.bias_f32 = (const float *)address(d[LAYER_BIAS_F32]);
    l.weight_i8 = (const int8_t *)address(d[LAYER_WEIGHT_I8]);
    l.bias_i32 = (const int32_t *)address(d[LAYER_BIAS_I32]);
    l.multiplier = (const int32_t *)address(d[LAYER_MULTIPLIER]);
    l.shift = (const int8_t *)address(d[LAYER_SHIFT]);
    l.channel_scale = (const float *)address(d[LAYER_CHANNEL_SCALE]);
    l.in_scale = float_bits(d[LAYER_IN_SCALE]);
    l.in_zero = d[LAYER_IN_ZERO];
    l.out_scale = float_bits(d[LAYER_OUT_SCALE]);
    l.out_zero = d[LAYER_OUT_ZERO];
    l.out_float = d[LAYER_OUT_FLOAT];
    l.bias_folded = d[LAYER_BIAS_FOLDED];
    return l;
}

TML_EXPORT("tml_wasm_layer_words") int32_t tml_wasm_layer_words(void) { return LAYER_WORDS; }

TML_EXPORT("tml_wasm_layer_size") int32_t tml_wasm_layer_size(void)
{
    return (int32_t)sizeof(tml_layer_t);
}

/* Fills storage[n_layers] from the descriptors into *net and validates it. */
static int net_from_descriptors(const int32_t *net_desc, const int32_t *layer_desc,
                                tml_layer_t *storage, tml_net_t *net)
{
    int32_t k;
    if (net_desc == NULL || layer_desc == NULL || storage == NULL) {
        return TML_E_NULL;
    }
    if (((uintptr_t)storage % sizeof(int32_t)) != 0) {
        return TML_E_ARENA;
    }
    if (net_desc[NET_N_LAYERS] < 1) {
        return TML_E_SIZE;
    }
    for (k = 0; k < net_desc[NET_N_LAYERS]; k++) {
        storage[k] = layer_from_descriptor(layer_desc + (size_t)k * LAYER_WORDS);
    }
    net->n_layers = net_desc[NET_N_LAYERS];
    net->layers = storage;
    net->quantized = net_desc[NET_QUANTIZED];
    net->arena_bytes = net_desc[NET_ARENA_BYTES];
    return tml_net_validate(net);
}

/* Checks a net given as descriptors (storage: n_layers * tml_wasm_layer_size() bytes). */
TML_EXPORT("tml_wasm_net_validate")
int32_t tml_wasm_net_validate(const int32_t *net_desc, const int32_t *layer_desc, tml_layer_t *storage)
{
    tml_net_t net;
    return net_from_descriptors(net_desc, layer_desc, storage, &net);
}

/*
 * Runs the net on n_rows rows of X (row-major float32, n_inputs per row): classes (unless 0)
 * get tml_net_predict_class's class index, values n_values floats per row: with proba,
 * predict_proba (tml_net_proba_inplace: a single logistic output p gives [1 - p, p]); else
 * the outputs (decision_function, a regressor's predict, a pipeline's transform); zeros
 * after them when n_values is larger. Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_net_run")
int32_t tml_wasm_net_run(const int32_t *net_desc, const int32_t *layer_desc, tml_layer_t *storage, const float *X,
                         int32_t n_rows, void *arena, int32_t arena_bytes, int32_t proba, float *values,
                         int32_t n_values, int32_t *classes)
{
    tml_net_t net;
    int32_t r, k, n_in, width;
    int status = net_from_descriptors(net_desc, layer_desc, storage, &net);
    if (status != TML_OK) {
        return status;
    }
    if (X == NULL || values == NULL) {
        return TML_E_NULL;
    }
    width = proba ? tml_net_n_proba(&net) : tml_net_n_outputs(&net);
    if (n_rows < 0 || n_values < width) {
        return TML_E_SIZE;
    }
    n_in = tml_net_n_inputs(&net);
    for (r = 0; r < n_rows; r++) {
        float *row = values + (size_t)r * (size_t)n_values;
        int32_t c = tml_net_predict_class(&net, X + (size_t)r * (size_t)n_in, arena, arena_bytes, row, n_values);
        if (c < 0) {
            return c;
        }
        if (classes != NULL) {
            classes[r] = c;
        }
        if (proba) {
            tml_net_proba_inplace(&net, row, n_values);
        }
        for (k = width; k < n_values; k++) {
            row[k] = 0.0f;
        }
    }
    return TML_OK;
}

/* Smallest and largest real value of layer k's output, folded into *lo and *hi. */
static void trace_layer(const tml_net_t *net, int32_t k, const void *arena, float *lo, float *hi)
{
    const tml_layer_t *layer = &net->layers[k];
    const unsigned char *at = (const unsigned char *)arena + layer->out_offset;
    int32_t i, n = layer->out_h * layer->out_w * layer->out_c;
    if (tml_net_out_bytes(net, layer) == 4) {
        const float *v = (const float *)(const void *)at;
        for (i = 0; i < n; i++) {
            *lo = v[i] < *lo ? v[i] : *lo; /* NaN fails both tests and is skipped */
            *hi = v[i] > *hi ? v[i] : *hi;
        }
    } else {
        const int8_t *q = (const int8_t *)at;
        int8_t q_lo = q[0], q_hi = q[0];
        for (i = 1; i < n; i++) {
            q_lo = q[i] < q_lo ? q[i] : q_lo;
            q_hi = q[i] > q_hi ? q[i] : q_hi;
        }
        /* scale > 0: dequantizing keeps the order */
        {
            float v_lo = tml_dequantize_i8(q_lo, layer->out_scale, layer->out_zero);
            float v_hi = tml_dequantize_i8(q_hi, layer->out_scale, layer->out_zero);
            *lo = v_lo < *lo ? v_lo : *lo;
            *hi = v_hi > *hi ? v_hi : *hi;
        }
    }
}

/*
 * Range of every layer's output over n_rows rows of X: mins[k] and maxs[k] (n_layers each)
 * get the smallest and largest real value layer k wrote (int8 outputs dequantized), +inf
 * and -inf with no rows. Calibrates a float32 net's int8 quantization; shows an int8 net's
 * saturation. Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_net_trace")
int32_t tml_wasm_net_trace(const int32_t *net_desc, const int32_t *layer_desc, tml_layer_t *storage,
                           const float *X, int32_t n_rows, void *arena, int32_t arena_bytes,
                           float *mins, float *maxs)
{
    tml_net_t net;
    int32_t r, k, n_in;
    int status = net_from_descriptors(net_desc, layer_desc, storage, &net);
    if (status != TML_OK) {
        return status;
    }
    if (X == NULL || arena == NULL || mins == NULL || maxs == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0 || arena_bytes < net.arena_bytes) {
        return TML_E_SIZE;
    }
    if (((uintptr_t)arena & 3u) != 0) {
        return TML_E_ARENA;
    }
    for (k = 0; k < net.n_layers; k++) {
        mins[k] = INFINITY;
        maxs[k] = -INFINITY;
    }
    n_in = tml_net_n_inputs(&net);
    for (r = 0; r < n_rows; r++) {
        tml_net_load_input(&net, X + (size_t)r * (size_t)n_in, arena);
        for (k = 0; k < net.n_layers; k++) {
            tml_net_run_layer(&net, k, arena);
            trace_layer(&net, k, arena, &mins[k], &maxs[k]);
        }
    }
    return TML_OK;
}

/* ---- Gaussian log-likelihoods, support vector machines, nearest neighbours ---- */

/* Descriptor of a Gaussian model: the fields of tml_gauss_t in order, as 32-bit words. */
enum { GAUSS_N_COMPONENTS, GAUSS_N_FEATURES, GAUSS_COVARIANCE, GAUSS_MEANS, GAUSS_PREC_CHOL, GAUSS_LOG_NORM,
       GAUSS_KIND, GAUSS_OFFSET, GAUSS_WORDS };

/* Descriptor of an SVM: the fields of tml_svm_t in order (IEEE bits for gamma and coef0). */
enum {
    SVM_N_FEATURES, SVM_N_SUPPORT, SVM_N_CLASSES, SVM_KERNEL, SVM_GAMMA, SVM_COEF0, SVM_DEGREE, SVM_SUPPORT,
    SVM_CLASS_START, SVM_DUAL_COEF, SVM_INTERCEPT, SVM_SHAPE, SVM_OFFSET, SVM_WORDS
};

/* Descriptor of a nearest-neighbour model: the fields of tml_knn_t in order (IEEE bits for p). */
enum {
    KNN_N_SAMPLES, KNN_N_FEATURES, KNN_N_OUTPUTS, KNN_K, KNN_METRIC, KNN_P, KNN_WEIGHTS, KNN_SAMPLES, KNN_LABELS,
    KNN_TARGETS, KNN_WORDS
};

static tml_gauss_t gauss_from_descriptor(const int32_t *d)
{
    tml_gauss_t g;
    g.n_components = d[GAUSS_N_COMPONENTS];
    g.n_features = d[GAUSS_N_FEATURES];
    g.covariance = d[GAUSS_COVARIANCE];
    g.means = (const float *)address(d[GAUSS_MEANS]);
    g.prec_chol = (const float *)address(d[GAUSS_PREC_CHOL]);
    g.log_norm = (const float *)address(d[GAUSS_LOG_NORM]);
    g.kind = d[GAUSS_KIND];
    g.offset = float_bits(d[GAUSS_OFFSET]);
    return g;
}

static tml_svm_t svm_from_descriptor(const int32_t *d)
{
    tml_svm_t s;
    s.n_features = d[SVM_N_FEATURES];
    s.n_support = d[SVM_N_SUPPORT];
    s.n_classes = d[SVM_N_CLASSES];
    s.kernel = d[SVM_KERNEL];
    s.gamma = float_bits(d[SVM_GAMMA]);
    s.coef0 = float_bits(d[SVM_COEF0]);
    s.degree = d[SVM_DEGREE];
    s.support = (const float *)address(d[SVM_SUPPORT]);
    s.class_start = (const int32_t *)address(d[SVM_CLASS_START]);
    s.dual_coef = (const float *)address(d[SVM_DUAL_COEF]);
    s.intercept = (const float *)address(d[SVM_INTERCEPT]);
    s.shape = d[SVM_SHAPE];
    s.offset = float_bits(d[SVM_OFFSET]);
    return s;
}

static tml_knn_t knn_from_descriptor(const int32_t *d)
{
    tml_knn_t m;
    m.n_samples = d[KNN_N_SAMPLES];
    m.n_features = d[KNN_N_FEATURES];
    m.n_outputs = d[KNN_N_OUTPUTS];
    m.k = d[KNN_K];
    m.metric = d[KNN_METRIC];
    m.p = float_bits(d[KNN_P]);
    m.weights = d[KNN_WEIGHTS];
    m.samples = (const float *)address(d[KNN_SAMPLES]);
    m.labels = (const int32_t *)address(d[KNN_LABELS]);
    m.targets = (const float *)address(d[KNN_TARGETS]);
    return m;
}

TML_EXPORT("tml_wasm_gauss_descriptor_length") int32_t tml_wasm_gauss_descriptor_length(void)
{
    return GAUSS_WORDS;
}

TML_EXPORT("tml_wasm_svm_descriptor_length") int32_t tml_wasm_svm_descriptor_length(void) { return SVM_WORDS; }

TML_EXPORT("tml_wasm_knn_descriptor_length") int32_t tml_wasm_knn_descriptor_length(void) { return KNN_WORDS; }

/*
 * A Gaussian model on n_rows rows of X (row-major float32, n_features per row), one
 * evaluation per row. A log-likelihood model: classes get predict (tml_gauss_predict_class,
 * which leaves the component log-likelihoods in scratch[n_components]), scores its
 * score_samples (their log-sum-exp) and values n_components floats of predict_proba (their
 * softmax). An elliptic envelope: values get score_samples and classes predict's index
 * (0 = outlier); scores may be 0. Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_gauss_run")
int32_t tml_wasm_gauss_run(const int32_t *desc, const float *X, int32_t n_rows, float *scratch, float *values,
                           float *scores, int32_t *classes)
{
    tml_gauss_t g;
    int32_t r, k;
    int status;
    if (desc == NULL || X == NULL || scratch == NULL || values == NULL || classes == NULL) {
        return TML_E_NULL;
    }
    g = gauss_from_descriptor(desc);
    status = tml_gauss_validate(&g);
    if (status != TML_OK) {
        return status;
    }
    if (g.kind == TML_GAUSS_LIKELIHOOD && scores == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        const float *x = X + (size_t)r * (size_t)g.n_features;
        int32_t c = tml_gauss_predict_class(&g, x, scratch, g.n_components);
        if (c < 0) {
            return c;
        }
        classes[r] = c;
        if (g.kind == TML_GAUSS_ENVELOPE) {
            status = tml_gauss_score_samples(&g, x, NULL, 0, &values[r]);
            if (status != TML_OK) {
                return status;
            }
        } else {
            float *p = values + (size_t)r * (size_t)g.n_components;
            scores[r] = tml_log_sum_exp(scratch, g.n_components);
            for (k = 0; k < g.n_components; k++) {
                p[k] = scratch[k];
            }
            tml_softmax_inplace(p, g.n_components);
        }
    }
    return TML_OK;
}

/*
 * An SVM on n_rows rows of X, one evaluation per row: values get score_samples (a one-class
 * SVM: pass score_samples = 1) or else decision_function (tml_svm_n_scores per row: an SVC's,
 * shaped as the descriptor says; an SVR's predict), and classes predict's index from the
 * decisions each method leaves in scratch (tml_svm_vote: an SVC's class, a one-class SVM's
 * 1 = inlier). scratch holds n_scratch >= TML_SVM_SCRATCH(n_support, n_decisions) floats.
 * Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_svm_run")
int32_t tml_wasm_svm_run(const int32_t *desc, const float *X, int32_t n_rows, int32_t score_samples, float *scratch,
                         int32_t n_scratch, float *values, int32_t *classes)
{
    tml_svm_t s;
    int32_t r, width;
    int status;
    if (desc == NULL || X == NULL || values == NULL || classes == NULL) {
        return TML_E_NULL;
    }
    s = svm_from_descriptor(desc);
    status = tml_svm_validate(&s);
    if (status != TML_OK) {
        return status;
    }
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    width = score_samples ? 1 : tml_svm_n_scores(&s);
    for (r = 0; r < n_rows; r++) {
        const float *x = X + (size_t)r * (size_t)s.n_features;
        float *row = values + (size_t)r * (size_t)width;
        status = score_samples ? tml_svm_score_samples(&s, x, scratch, n_scratch, row)
                               : tml_svm_decision_function(&s, x, scratch, n_scratch, row, width);
        if (status != TML_OK) {
            return status;
        }
        classes[r] = tml_svm_vote(&s, scratch + s.n_support);
    }
    return TML_OK;
}

/*
 * A nearest-neighbour model on n_rows rows of X: values (n_rows x n_outputs) get a
 * classifier's predict_proba or a regressor's predict, classes predict's class index (0 for a
 * regressor). dist_scratch and index_scratch hold n_scratch >= k entries. Returns TML_OK or a
 * TML_E_* code.
 */
TML_EXPORT("tml_wasm_knn_run")
int32_t tml_wasm_knn_run(const int32_t *desc, const float *X, int32_t n_rows, float *dist_scratch,
                         int32_t *index_scratch, int32_t n_scratch, float *values, int32_t *classes)
{
    tml_knn_t m;
    int32_t r;
    int status;
    if (desc == NULL || X == NULL || values == NULL || classes == NULL) {
        return TML_E_NULL;
    }
    m = knn_from_descriptor(desc);
    status = tml_knn_validate(&m);
    if (status != TML_OK) {
        return status;
    }
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        const float *x = X + (size_t)r * (size_t)m.n_features;
        float *row = values + (size_t)r * (size_t)m.n_outputs;
        if (m.labels != NULL) {
            int32_t c = tml_knn_predict_class(&m, x, dist_scratch, index_scratch, n_scratch, row, m.n_outputs);
            if (c < 0) {
                return c;
            }
            classes[r] = c;
        } else {
            status = tml_knn_predict_values(&m, x, dist_scratch, index_scratch, n_scratch, row, m.n_outputs);
            if (status != TML_OK) {
                return status;
            }
            classes[r] = 0;
        }
    }
    return TML_OK;
}

/* ---- feature extraction and post-processing (features.h) ---- */

/*
 * Power spectra of n_rows frames of X (row-major, n_fft samples per row): each row is
 * multiplied by a periodic window (TML_WINDOW_*, written to w[n_fft]) and transformed in
 * re[n_fft], im[n_fft]; out receives n_rows x (n_fft/2 + 1) values |X_k|^2. Returns TML_OK
 * or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_power_spectrum")
int32_t tml_wasm_power_spectrum(const float *X, int32_t n_rows, int32_t n_fft, int32_t window_kind, float *re,
                                float *im, float *w, float *out)
{
    int32_t r, k, n_bins;
    int status;
    if (X == NULL || re == NULL || im == NULL || w == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0 || n_fft < 2 || n_fft > TML_FFT_MAX || (n_fft & (n_fft - 1)) != 0) {
        return TML_E_SIZE;
    }
    status = tml_window(window_kind, w, n_fft);
    if (status != TML_OK) {
        return status;
    }
    n_bins = n_fft / 2 + 1;
    for (r = 0; r < n_rows; r++) {
        const float *x = X + (size_t)r * (size_t)n_fft;
        float *row_out = out + (size_t)r * (size_t)n_bins;
        for (k = 0; k < n_fft; k++) {
            re[k] = x[k] * w[k];
            im[k] = 0.0f;
        }
        status = tml_fft_real(re, im, n_fft);
        if (status != TML_OK) {
            return status;
        }
        for (k = 0; k < n_bins; k++) {
            row_out[k] = re[k] * re[k] + im[k] * im[k];
        }
    }
    return TML_OK;
}

/*
 * Log-mel energies of n_rows power spectra (n_fft/2 + 1 bins per row): the Slaney filterbank
 * (librosa htk=False, norm='slaney') is built once into weights[n_mels * (n_fft/2 + 1)], each
 * row's mel power goes through mel[n_mels], and out (n_rows x n_mels) gets
 * 10 log10(max(mel, amin)). Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_log_mel")
int32_t tml_wasm_log_mel(const float *power, int32_t n_rows, int32_t n_fft, float sample_rate, int32_t n_mels,
                         float fmin, float fmax, float amin, float *weights, float *mel, float *out)
{
    int32_t r, n_bins;
    int status;
    if (power == NULL || weights == NULL || mel == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    status = tml_mel_filterbank(n_fft, sample_rate, n_mels, fmin, fmax, weights);
    if (status != TML_OK) {
        return status;
    }
    if (!(amin > 0.0f) || !tml_is_finite(amin)) {
        return TML_E_SCALE;
    }
    n_bins = n_fft / 2 + 1;
    for (r = 0; r < n_rows; r++) {
        status = tml_mel_power(weights, n_mels, n_bins, power + (size_t)r * (size_t)n_bins, mel);
        if (status == TML_OK) {
            status = tml_log_mel(mel, n_mels, amin, out + (size_t)r * (size_t)n_mels);
        }
        if (status != TML_OK) {
            return status;
        }
    }
    return TML_OK;
}

/* MFCCs: the first n_mfcc DCT-II (ortho) coefficients of each of n_rows log-mel rows
 * (n_mels per row) into out (n_rows x n_mfcc). Returns TML_OK or a TML_E_* code. */
TML_EXPORT("tml_wasm_mfcc")
int32_t tml_wasm_mfcc(const float *log_mel, int32_t n_rows, int32_t n_mels, int32_t n_mfcc, float *out)
{
    int32_t r;
    if (log_mel == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_rows < 0 || n_mels < 1 || n_mfcc < 1 || n_mfcc > n_mels) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        int status = tml_dct2_ortho(log_mel + (size_t)r * (size_t)n_mels, n_mels,
                                    out + (size_t)r * (size_t)n_mfcc, n_mfcc);
        if (status != TML_OK) {
            return status;
        }
    }
    return TML_OK;
}

/*
 * The tables of a log-mel extractor (tml_logmel_t), as a header stores them: the periodic
 * Hann window[n_fft], twiddles[n_fft], the Slaney filterbank built densely in dense[n_mels *
 * (n_fft/2 + 1)] and kept sparsely in first/count/weights (room for capacity weights), and
 * with n_mfcc > 0 the DCT cosines dct[n_mfcc * n_mels]. Returns the number of stored weights,
 * or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_logmel_tables")
int32_t tml_wasm_logmel_tables(int32_t n_fft, float sample_rate, int32_t n_mels, float fmin, float fmax,
                               int32_t n_mfcc, float *window, float *twiddles, float *dense, uint16_t *first,
                               uint16_t *count, float *weights, int32_t capacity, float *dct)
{
    int32_t n_stored = 0;
    int status = tml_window(TML_WINDOW_HANN, window, n_fft);
    if (status == TML_OK) {
        status = tml_fft_twiddles(n_fft, twiddles);
    }
    if (status == TML_OK) {
        status = tml_mel_filterbank(n_fft, sample_rate, n_mels, fmin, fmax, dense);
    }
    if (status == TML_OK) {
        status = tml_mel_sparsify(dense, n_mels, n_fft / 2 + 1, first, count, weights, capacity, &n_stored);
    }
    if (status == TML_OK && n_mfcc > 0) {
        status = tml_dct2_table(n_mels, n_mfcc, dct);
    }
    return status == TML_OK ? n_stored : status;
}

/*
 * Log-mel (or MFCC) features of n_rows clips of n_samples (row-major X), frames every hop:
 * out gets n_rows x n_frames x width. desc = {n_fft, window, twiddles, n_mels, n_stored,
 * first_bin, n_weights, weights, n_mfcc, dct} (pointers as offsets), tables from
 * tml_wasm_logmel_tables; scratch has TML_LOGMEL_SCRATCH(n_fft, n_mels) floats.
 */
TML_EXPORT("tml_wasm_logmel_clips")
int32_t tml_wasm_logmel_clips(const int32_t *desc, float amin, const float *X, int32_t n_rows, int32_t n_samples,
                              int32_t hop, float *scratch, float *out)
{
    tml_logmel_t c;
    int32_t r, n_frames;
    size_t per_clip;
    if (desc == NULL || X == NULL || scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    c.n_fft = desc[0];
    c.window = (const float *)address(desc[1]);
    c.twiddles = (const float *)address(desc[2]);
    c.mel.n_mels = desc[3];
    c.mel.n_bins = desc[0] / 2 + 1;
    c.mel.n_stored = desc[4];
    c.mel.first_bin = (const uint16_t *)address(desc[5]);
    c.mel.n_weights = (const uint16_t *)address(desc[6]);
    c.mel.weights = (const float *)address(desc[7]);
    c.amin = amin;
    c.n_mfcc = desc[8];
    c.dct = (const float *)address(desc[9]);
    if (n_rows < 0) {
        return TML_E_SIZE;
    }
    n_frames = tml_logmel_frames(n_samples, c.n_fft, hop);
    if (n_frames < 0) {
        return n_frames;
    }
    per_clip = (size_t)n_frames * (size_t)tml_logmel_width(&c);
    for (r = 0; r < n_rows; r++) {
        int status = tml_logmel_clip(&c, X + (size_t)r * (size_t)n_samples, n_samples, hop, scratch,
                                     out + (size_t)r * per_clip);
        if (status != TML_OK) {
            return status;
        }
    }
    return TML_OK;
}

#define TML_WASM_STATS 7 /* mean, std, rms, min, max, peak_to_peak, zero_crossings */

/*
 * Window statistics of n_rows windows of X, each n * stride floats (n samples of stride
 * interleaved values, e.g. xyz with stride 3). For each axis a = 0..n_axes-1 (n_axes <=
 * stride), the samples at offset a: out gets n_rows x n_axes x 7 values (mean, std, rms,
 * min, max, peak_to_peak, zero_crossings). Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_window_stats")
int32_t tml_wasm_window_stats(const float *X, int32_t n_rows, int32_t n, int32_t stride, int32_t n_axes,
                              float *out)
{
    int32_t r, a, row_len;
    if (X == NULL || out == NULL) {
        return TML_E_NULL;
    }
    row_len = tml_count_product(n, stride);
    if (n_rows < 0 || n < 1 || stride < 1 || n_axes < 1 || n_axes > stride || row_len < 0) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        for (a = 0; a < n_axes; a++) {
            tml_stats_t s;
            float *o = out + ((size_t)r * (size_t)n_axes + (size_t)a) * TML_WASM_STATS;
            int status = tml_window_stats(X + (size_t)r * (size_t)row_len + (size_t)a, n, stride, &s);
            if (status != TML_OK) {
                return status;
            }
            o[0] = s.mean;
            o[1] = s.std;
            o[2] = s.rms;
            o[3] = s.min;
            o[4] = s.max;
            o[5] = s.peak_to_peak;
            o[6] = (float)s.zero_crossings;
        }
    }
    return TML_OK;
}

/* Median filter of x[n] with an odd window k (edges repeated), scratch of k floats. */
TML_EXPORT("tml_wasm_median_filter")
int32_t tml_wasm_median_filter(const float *x, int32_t n, int32_t k, float *scratch, float *out)
{
    return tml_median_filter(x, n, k, scratch, out);
}

/*
 * Hysteresis (state[n]: on at x >= on, off at x < off) then events of at least min_duration
 * frames: returns their count (onset[i], offset[i] for the first max_events of them), or a
 * TML_E_* code (TML_E_SIZE when there are more than max_events).
 */
TML_EXPORT("tml_wasm_hysteresis_events")
int32_t tml_wasm_hysteresis_events(const float *x, int32_t n, float on, float off, int32_t min_duration,
                                   int32_t *state, int32_t *onset, int32_t *offset, int32_t max_events)
{
    int status = tml_hysteresis(x, n, on, off, state);
    if (status != TML_OK) {
        return status;
    }
    return tml_events(state, n, min_duration, onset, offset, max_events);
}

/* Orientation-free magnitude sqrt(x^2 + y^2 + z^2) of n interleaved xyz samples into out[n]. */
TML_EXPORT("tml_wasm_magnitude")
int32_t tml_wasm_magnitude(const float *xyz, int32_t n, float *out)
{
    return tml_magnitude(xyz, n, out);
}
