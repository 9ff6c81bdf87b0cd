/*
 * WebAssembly entry points of the TinyML Lab C runtime. The browser widget and the
 * Python headless API (through an embedded V8) run these on the user's test data, so
 * "device" output comes from the same C code that the exported header embeds.
 *
 * The caller lays out tables in linear memory (above __heap_base) and passes their
 * addresses; 0 stands for NULL. Every model is validated before it is run.
 */
#include "tinyml/forest.h"

#define TML_EXPORT(name) __attribute__((export_name(name)))

/* Descriptor of a forest: the fields of tml_forest_t in order, as 32-bit words
 * (addresses for pointers, IEEE bits for link_param and leaf_scale). */
enum {
    DESC_N_FEATURES, DESC_N_OUTPUTS, DESC_N_TREES, DESC_N_NODES, DESC_N_LEAF_ROWS,
    DESC_TREE_ROOT, DESC_NODE_FEATURE, DESC_NODE_NEXT, DESC_THRESHOLD_F32,
    DESC_THRESHOLD_I16, DESC_FEATURE_SCALE, DESC_LEAF_VALUES, DESC_COMBINE, DESC_LINK,
    DESC_LINK_PARAM, DESC_BASELINE, DESC_TREE_OUTPUT, DESC_LEAF_U8, DESC_LEAF_SCALE,
    DESC_THRESHOLD_I8, DESC_LEAF_I16, DESC_FEATURE_OFFSET, DESC_LENGTH
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
    return f;
}

TML_EXPORT("tml_abi_version") int32_t tml_abi_version(void) { return 3; }

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
 * Runs the forest on n_rows rows of X (row-major float32, n_features per row). Writes the
 * model's values (tml_forest_n_values per row: probabilities, regression output or
 * anomaly score) to values and the class index to classes (pass 0 to skip either).
 * scratch must hold n_scratch >= tml_forest_n_values floats. Returns TML_OK or TML_E_*.
 */
TML_EXPORT("tml_wasm_forest_predict")
int32_t tml_wasm_forest_predict(const int32_t *desc, const float *X, int32_t n_rows,
                                float *values, int32_t *classes, float *scratch,
                                int32_t n_scratch)
{
    tml_forest_t f;
    int32_t r, n_values;
    int status;
    if (desc == NULL || X == NULL || scratch == NULL) {
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
        const float *x = X + (size_t)r * (size_t)f.n_features;
        int32_t k;
        status = tml_forest_raw(&f, x, NULL, scratch, n_scratch);
        if (status != TML_OK) {
            return status;
        }
        if (classes != NULL) {
            classes[r] = tml_forest_class_from_raw(&f, scratch);
        }
        if (values != NULL) {
            tml_forest_apply_link(&f, scratch);
            for (k = 0; k < n_values; k++) {
                values[(size_t)r * (size_t)n_values + (size_t)k] = scratch[k];
            }
        }
    }
    return TML_OK;
}
