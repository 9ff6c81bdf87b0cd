/*
 * The descriptors the WebAssembly build reads its models from: one 32-bit word per listed
 * field of the runtime's struct, in the order listed. INT(field) is the value, FLOAT(field)
 * its IEEE bits, PTR(field, type) the address of a table in linear memory (0: NULL); fields
 * not listed are zero (a forest's tree_leaf, a net's layers, which come from the layer
 * descriptors).
 *
 * Each list is written once, here: runtime_wasm.c expands it into the descriptor's word count
 * and the function that fills the struct, and scripts/runtime-constants.mjs reads it at build
 * time into src/generated/runtimeConstants.ts (DESCRIPTORS), from which the TypeScript packs
 * a descriptor by field name. Changing a list changes the ABI: bump TML_ABI_VERSION.
 */
#ifndef TINYML_WASM_DESCRIPTORS_H
#define TINYML_WASM_DESCRIPTORS_H

/* tml_forest_t (forest.h) */
#define TML_FOREST_DESCRIPTOR(INT, FLOAT, PTR)                                                    \
    INT(n_features) INT(n_outputs) INT(n_trees) INT(n_nodes) INT(n_leaf_rows)                     \
    PTR(tree_root, const int32_t) PTR(node_feature, const int16_t) PTR(node_next, const int32_t)  \
    PTR(node_threshold_f32, const float) PTR(node_threshold_i16, const int16_t)                   \
    PTR(feature_scale, const float) PTR(leaf_values, const float) INT(combine) INT(link)          \
    FLOAT(link_param) PTR(baseline, const float) PTR(tree_output, const int16_t)                  \
    PTR(leaf_u8, const uint8_t) FLOAT(leaf_scale) PTR(node_threshold_i8, const int8_t)            \
    PTR(leaf_i16, const int16_t) PTR(feature_offset, const float) FLOAT(offset)                   \
    PTR(node_missing_left, const uint8_t) PTR(category_bits, const uint32_t)                      \
    INT(n_category_sets) INT(category_words)

/* tml_layer_t (net_types.h), one per layer */
#define TML_LAYER_DESCRIPTOR(INT, FLOAT, PTR)                                                     \
    INT(kind) INT(activation) FLOAT(act_alpha) INT(in_h) INT(in_w) INT(in_c) INT(out_h)          \
    INT(out_w) INT(out_c) INT(kernel_h) INT(kernel_w) INT(stride_h) INT(stride_w) INT(pad_top)    \
    INT(pad_left)                                                                                 \
    INT(in_offset) INT(out_offset) PTR(weight_f32, const float) PTR(bias_f32, const float)        \
    PTR(weight_i8, const int8_t) PTR(bias_i32, const int32_t) PTR(multiplier, const int32_t)      \
    PTR(shift, const int8_t) PTR(channel_scale, const float) FLOAT(in_scale) INT(in_zero)         \
    FLOAT(out_scale) INT(out_zero) INT(out_float) INT(bias_folded) INT(in_from) INT(in2_from)     \
    INT(in2_offset) FLOAT(in2_scale) INT(in2_zero) PTR(row_mask, const uint8_t)

/* tml_net_t (net_types.h) but its layers */
#define TML_NET_DESCRIPTOR(INT, FLOAT, PTR) INT(n_layers) INT(quantized) INT(arena_bytes)

/* tml_gauss_t (gauss.h) */
#define TML_GAUSS_DESCRIPTOR(INT, FLOAT, PTR)                                                     \
    INT(n_components) INT(n_features) INT(covariance) PTR(means, const float)                    \
    PTR(prec_chol, const float) PTR(log_norm, const float) INT(kind) FLOAT(offset)

/* tml_svm_t (svm.h) */
#define TML_SVM_DESCRIPTOR(INT, FLOAT, PTR)                                                       \
    INT(n_features) INT(n_support) INT(n_classes) INT(kernel) FLOAT(gamma) FLOAT(coef0)          \
    INT(degree) PTR(support, const float) PTR(class_start, const int32_t)                        \
    PTR(dual_coef, const float) PTR(intercept, const float) INT(shape) FLOAT(offset)

/* tml_knn_t (knn.h) */
#define TML_KNN_DESCRIPTOR(INT, FLOAT, PTR)                                                       \
    INT(n_samples) INT(n_features) INT(n_outputs) INT(k) INT(metric) FLOAT(p) INT(weights)        \
    PTR(samples, const float) PTR(labels, const int32_t) PTR(targets, const float)

/* tml_logmel_t (features_mel.h); mel.n_bins follows from n_fft */
#define TML_LOGMEL_DESCRIPTOR(INT, FLOAT, PTR)                                                    \
    INT(n_fft) PTR(window, const float) PTR(twiddles, const float) INT(mel.n_mels)                \
    INT(mel.n_stored) PTR(mel.first_bin, const uint16_t) PTR(mel.n_weights, const uint16_t)       \
    PTR(mel.weights, const float) FLOAT(amin) INT(n_mfcc) PTR(dct, const float)

#endif /* TINYML_WASM_DESCRIPTORS_H */
