/*
 * TinyML Lab C runtime, neural networks: the layers that move values without arithmetic, float32
 * and int8 alike (input and output share scale and zero point): zero padding and cropping (PAD)
 * and nearest-neighbour upsampling (UPSAMPLE).
 */
#ifndef TINYML_NET_COPY_H
#define TINYML_NET_COPY_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif

/* Output position (oy, ox)'s input position, or -1 when it reads padding. */
static inline int32_t tml_net_copy_source(const tml_layer_t *layer, int32_t oy, int32_t ox)
{
    int64_t y, x;
    if (layer->kind == TML_LAYER_UPSAMPLE) {
        return (oy / layer->kernel_h) * layer->in_w + ox / layer->kernel_w;
    }
    y = (int64_t)oy - layer->pad_top;
    x = (int64_t)ox - layer->pad_left;
    return y < 0 || y >= layer->in_h || x < 0 || x >= layer->in_w ? -1 : (int32_t)(y * layer->in_w + x);
}

/* PAD or UPSAMPLE: each output position gets its input position's channels, or zeros (int8:
 * the zero point, the real value 0) for padding. */
static inline void tml_net_run_copy(const tml_net_t *net, const tml_layer_t *layer, const void *in, void *out)
{
    int32_t oy, ox, c, n = layer->out_c;
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            int32_t from = tml_net_copy_source(layer, oy, ox), to = (oy * layer->out_w + ox) * n;
            for (c = 0; c < n; c++) {
                if (net->quantized) {
                    ((int8_t *)out)[to + c] = from < 0 ? (int8_t)layer->in_zero : ((const int8_t *)in)[from * n + c];
                } else {
                    ((float *)out)[to + c] = from < 0 ? 0.0f : ((const float *)in)[from * n + c];
                }
            }
        }
    }
}

#endif /* TINYML_NET_COPY_H */
