/*
 * TinyML Lab C runtime, neural networks: max and average pooling, float32 and int8 (on q
 * directly: input and output share scale and zero point).
 */
#ifndef TINYML_NET_POOL_H
#define TINYML_NET_POOL_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif

/* sum / count rounded half away from zero, count >= 1 (int8 average pooling). */
static inline int32_t tml_divide_round(int32_t sum, int32_t count)
{
    return sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
}

/* Max or average over the window's positions inside the input; q directly for int8 (in and
 * out share scale and zero point). */
static inline void tml_net_run_pool(const tml_net_t *net, const tml_layer_t *layer, const void *in, void *out)
{
    int32_t oy, ox, c, ky, kx, n = layer->in_c;
    int is_max = layer->kind == TML_LAYER_MAX_POOL;
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            tml_window_t w = tml_net_window(layer, oy, ox);
            int32_t count = (w.ky1 - w.ky0) * (w.kx1 - w.kx0);
            int32_t at = (oy * layer->out_w + ox) * n;
            for (c = 0; c < n; c++) {
                /* the window's first inside position starts the maximum */
                int32_t first = ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n + c;
                if (net->quantized) {
                    const int8_t *x = (const int8_t *)in;
                    int32_t acc = is_max ? x[first] : 0;
                    for (ky = w.ky0; ky < w.ky1; ky++) {
                        for (kx = w.kx0; kx < w.kx1; kx++) {
                            int32_t q = x[((w.y0 + ky) * layer->in_w + w.x0 + kx) * n + c];
                            acc = is_max ? (q > acc ? q : acc) : acc + q;
                        }
                    }
                    ((int8_t *)out)[at + c] = (int8_t)(is_max ? acc : tml_divide_round(acc, count));
                } else {
                    const float *x = (const float *)in;
                    float acc = is_max ? x[first] : 0.0f;
                    for (ky = w.ky0; ky < w.ky1; ky++) {
                        for (kx = w.kx0; kx < w.kx1; kx++) {
                            float v = x[((w.y0 + ky) * layer->in_w + w.x0 + kx) * n + c];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                        }
                    }
                    ((float *)out)[at + c] = is_max ? acc : acc / (float)count;
                }
            }
        }
    }
}

#endif /* TINYML_NET_POOL_H */
