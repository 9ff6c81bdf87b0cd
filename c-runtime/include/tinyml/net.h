/*
 * TinyML Lab C runtime: neural networks (dense, 1-D/2-D convolution, depthwise convolution,
 * pooling, and the merges that join a graph's branches), float32 and int8.
 *
 * Header-only C99, `static inline` throughout, no malloc, no state: the caller gives an
 * arena (scratch memory of net->arena_bytes, 4-byte aligned) and every layer reads its input
 * from and writes its output to a fixed byte offset in it. The compiler plans those offsets
 * at export time (a chain of layers needs max(input + output) bytes, not their sum).
 *
 * Layers run in their order. Each reads the output of the layer before it, or in a graph of
 * any earlier layer or the net's input (in_from; two-input layers in2_from too), so branches
 * and skip connections are a list of layers whose inputs reach back; the last layer's output
 * is the net's. The compiler places each tensor where no other tensor alive at the same time
 * lies, and tml_net_validate checks that no layer overwrites a tensor before its last reader.
 *
 * Tensors are channels-last and row-major, [h][w][c]; a 1-D signal is h = 1; a dense layer
 * is a 1x1 convolution of a 1x1xC input (a flatten before it moves no data, so a layer's
 * input is the previous output's shape or 1 x 1 x its size). Weights are
 * [out_c][kernel_h][kernel_w][in_c]. An output position (oy, ox) reads input rows
 * oy * stride_h - pad_top + ky, ky < kernel_h (columns likewise); positions outside the input
 * are padding: a convolution adds nothing for them, a max skips them, an average leaves them
 * out of its count (Keras "same"). A global average pool is a window the input's size.
 *
 * Use: tml_net_validate once for a net from outside (generated headers come checked), then
 * tml_net_predict per row; or tml_net_load_input, tml_net_run_layer per layer and
 * tml_net_read_output to look at every layer's output.
 *
 * int8 nets quantize activations per tensor, value = scale * (q - zero), and weights per
 * output channel, symmetric (zero 0). A convolution sums (q_in - in_zero) * w in an int32,
 * adds an int32 bias, and requantizes with a fixed-point multiplier and shift per output
 * channel (tml_requantize, the rounding of the common int8 schemes). The last layer may write
 * float32 instead (out_float), so the model's outputs keep the int32 sum's precision.
 *
 * The inner loop sums q_in * w alone and the zero point's share, in_zero * sum(w), is taken
 * off once per output: the compiler stores it in the bias (bias_folded = 1). The integers are
 * the same either way. On Armv7E-M (Cortex-M4/M7: gcc defines __ARM_FEATURE_DSP) that loop
 * multiplies two pairs of int8 per SMLAD; define TML_NET_NO_DSP to keep the portable loop.
 *
 * The files, one part each (including this header includes them all):
 *   net_types.h     structs, codes, sizes, arena places, window geometry
 *   net_quant.h     int8 arithmetic: rounding, requantization, quantize / dequantize
 *   net_validate.h  tml_net_validate
 *   net_f32.h       float32 kernels: activations, convolution, dense
 *   net_i8.h        int8 kernels: dot products (portable and DSP paths), convolution, dense
 *   net_pool.h      max and average pooling
 *   net_merge.h     two-input layers: add, multiply, maximum, concatenation
 *   net_run.h       the driver (tml_net_predict, layer by layer) and the model methods
 */
#ifndef TINYML_NET_H
#define TINYML_NET_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_QUANT_H
#include "tinyml/net_quant.h"
#endif
#ifndef TINYML_NET_VALIDATE_H
#include "tinyml/net_validate.h"
#endif
#ifndef TINYML_NET_RUN_H
#include "tinyml/net_run.h"
#endif

#endif /* TINYML_NET_H */
