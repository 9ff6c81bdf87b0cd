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

#include "descriptors.h"

#define TML_EXPORT(name) __attribute__((export_name(name)))

static const void *address(int32_t a) { return (const void *)(uintptr_t)(uint32_t)a; }

static float float_bits(int32_t word)
{
    float f;
    memcpy(&f, &word, sizeof f);
    return f;
}

/* A descriptor list of descriptors.h expands into its word count (the layer descriptors lie
 * one after the other) ... */
#define TML_DESC_WORD(...) +1
enum { LAYER_WORDS = 0 TML_LAYER_DESCRIPTOR(TML_DESC_WORD, TML_DESC_WORD, TML_DESC_WORD) };

/* ... and into the function that fills the struct from the words, the fields not listed 0.
 * The WebAssembly build walks a forest's tables: tree_leaf stays NULL. */
#define TML_DESC_INT(field) m.field = d[at++];
#define TML_DESC_FLOAT(field) m.field = float_bits(d[at++]);
#define TML_DESC_PTR(field, type) m.field = (type *)address(d[at++]);
#define TML_DESC_READER(name, type, LIST)                                                        \
    static type name(const int32_t *d)                                                           \
    {                                                                                             \
        type m;                                                                                   \
        int32_t at = 0;                                                                           \
        memset(&m, 0, sizeof m);                                                                  \
        LIST(TML_DESC_INT, TML_DESC_FLOAT, TML_DESC_PTR)                                          \
        return m;                                                                                 \
    }

TML_DESC_READER(forest_from_descriptor, tml_forest_t, TML_FOREST_DESCRIPTOR)
TML_DESC_READER(layer_from_descriptor, tml_layer_t, TML_LAYER_DESCRIPTOR)
TML_DESC_READER(net_from_descriptor, tml_net_t, TML_NET_DESCRIPTOR)
TML_DESC_READER(gauss_from_descriptor, tml_gauss_t, TML_GAUSS_DESCRIPTOR)
TML_DESC_READER(svm_from_descriptor, tml_svm_t, TML_SVM_DESCRIPTOR)
TML_DESC_READER(knn_from_descriptor, tml_knn_t, TML_KNN_DESCRIPTOR)
TML_DESC_READER(logmel_from_descriptor, tml_logmel_t, TML_LOGMEL_DESCRIPTOR)

/* What every model's run export starts with: the model of a descriptor, validated, for
 * n_rows >= 0 rows of X. Returns TML_OK or a TML_E_* code. */
#define TML_DESC_LOADER(name, type, reader, validate)                                            \
    static int name(const int32_t *d, const float *X, int32_t n_rows, type *m)                  \
    {                                                                                             \
        if (d == NULL || X == NULL) {                                                            \
            return TML_E_NULL;                                                                    \
        }                                                                                         \
        if (n_rows < 0) {                                                                         \
            return TML_E_SIZE;                                                                    \
        }                                                                                         \
        *m = reader(d);                                                                           \
        return validate(m);                                                                       \
    }

TML_DESC_LOADER(forest_load, tml_forest_t, forest_from_descriptor, tml_forest_validate)
TML_DESC_LOADER(gauss_load, tml_gauss_t, gauss_from_descriptor, tml_gauss_validate)
TML_DESC_LOADER(svm_load, tml_svm_t, svm_from_descriptor, tml_svm_validate)
TML_DESC_LOADER(knn_load, tml_knn_t, knn_from_descriptor, tml_knn_validate)

TML_EXPORT("tml_abi_version") int32_t tml_abi_version(void) { return TML_ABI_VERSION; }

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

/* Whether tml_wasm_forest_run takes rows in blocks: asked to, and the forest can be. */
static int forest_in_blocks(const tml_forest_t *f, int32_t block_rows)
{
    return block_rows > 0 && tml_forest_uses_walk_table(f);
}

/*
 * Bytes of scratch tml_wasm_forest_run needs for the forest of a descriptor and block_rows:
 * in blocks, tml_forest_rows_scratch's (0 when too large); row by row, n_values floats.
 */
TML_EXPORT("tml_wasm_forest_scratch")
int32_t tml_wasm_forest_scratch(const int32_t *desc, int32_t block_rows)
{
    tml_forest_t f;
    size_t bytes;
    if (desc == NULL) {
        return 0;
    }
    f = forest_from_descriptor(desc);
    bytes = forest_in_blocks(&f, block_rows) ? tml_forest_rows_scratch(&f, block_rows)
                                             : (size_t)tml_forest_n_values(&f) * sizeof(float);
    return bytes > (size_t)INT32_MAX ? 0 : (int32_t)bytes;
}

/*
 * Runs the forest on n_rows rows of X (row-major float32, n_features per row): classes get
 * predict's class index (an isolation forest's 0 = outlier, 1 = inlier) and values the
 * model's values (tml_forest_n_values per row: predict_proba, a regressor's predict or
 * score_samples), both from one walk of the trees: the raw output, then its class and, by
 * tml_forest_apply_link in place, its values. With block_rows > 0 and a forest that
 * tml_forest_uses_walk_table, in blocks of block_rows rows, tree by tree (tml_forest_raw_rows:
 * the same values, several times faster on many rows); else row by row, as a device runs it
 * (tml_forest_predict_class). scratch: tml_wasm_forest_scratch(desc, block_rows) bytes.
 * Returns TML_OK or a TML_E_* code.
 */
TML_EXPORT("tml_wasm_forest_run")
int32_t tml_wasm_forest_run(const int32_t *desc, const float *X, int32_t n_rows, float *values,
                            int32_t *classes, void *scratch, int32_t scratch_bytes, int32_t block_rows)
{
    tml_forest_t f;
    int32_t r, k, n_values;
    int status = forest_load(desc, X, n_rows, &f);
    if (status != TML_OK) {
        return status;
    }
    if (values == NULL || classes == NULL || scratch == NULL) {
        return TML_E_NULL;
    }
    if (((uintptr_t)scratch & 3u) != 0) {
        return TML_E_ARENA;
    }
    n_values = tml_forest_n_values(&f);
    if (forest_in_blocks(&f, block_rows)) {
        status = scratch_bytes < 0 ? TML_E_SIZE
                                   : tml_forest_raw_rows(&f, X, n_rows, values, n_values, block_rows, scratch,
                                                         (size_t)scratch_bytes);
        for (r = 0; status == TML_OK && r < n_rows; r++) {
            float *row = values + (size_t)r * (size_t)n_values;
            classes[r] = tml_forest_class_from_raw(&f, row);
            tml_forest_apply_link(&f, row);
        }
        return status;
    }
    if (scratch_bytes < 0 || (size_t)scratch_bytes < (size_t)n_values * sizeof(float)) {
        return TML_E_SIZE;
    }
    for (r = 0; r < n_rows; r++) {
        float *raw = (float *)scratch;
        int32_t c = tml_forest_predict_class(&f, X + (size_t)r * (size_t)f.n_features, NULL, raw, n_values);
        if (c < 0) {
            return c;
        }
        classes[r] = c;
        tml_forest_apply_link(&f, raw);
        for (k = 0; k < n_values; k++) {
            values[(size_t)r * (size_t)n_values + (size_t)k] = raw[k];
        }
    }
    return TML_OK;
}

TML_EXPORT("tml_wasm_layer_size") int32_t tml_wasm_layer_size(void)
{
    return (int32_t)sizeof(tml_layer_t);
}

/* Fills storage[n_layers] from the layer descriptors (LAYER_WORDS each) into *net and
 * validates it. */
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
    *net = net_from_descriptor(net_desc);
    if (net->n_layers < 1) {
        return TML_E_SIZE;
    }
    for (k = 0; k < net->n_layers; k++) {
        storage[k] = layer_from_descriptor(layer_desc + (size_t)k * LAYER_WORDS);
    }
    net->layers = storage;
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
    int status = gauss_load(desc, X, n_rows, &g);
    if (status != TML_OK) {
        return status;
    }
    if (scratch == NULL || values == NULL || classes == NULL || (g.kind == TML_GAUSS_LIKELIHOOD && scores == NULL)) {
        return TML_E_NULL;
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
    int status = svm_load(desc, X, n_rows, &s);
    if (status != TML_OK) {
        return status;
    }
    if (values == NULL || classes == NULL) {
        return TML_E_NULL;
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
    int status = knn_load(desc, X, n_rows, &m);
    if (status != TML_OK) {
        return status;
    }
    if (values == NULL || classes == NULL) {
        return TML_E_NULL;
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
 * out gets n_rows x n_frames x width. desc is a logmel descriptor (descriptors.h) of the
 * tables from tml_wasm_logmel_tables; scratch has TML_LOGMEL_SCRATCH(n_fft, n_mels) floats.
 */
TML_EXPORT("tml_wasm_logmel_clips")
int32_t tml_wasm_logmel_clips(const int32_t *desc, const float *X, int32_t n_rows, int32_t n_samples, int32_t hop,
                              float *scratch, float *out)
{
    tml_logmel_t c;
    int32_t r, n_frames;
    size_t per_clip;
    if (desc == NULL || X == NULL || scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    c = logmel_from_descriptor(desc);
    c.mel.n_bins = c.n_fft / 2 + 1;
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
