/*
 * libFuzzer target: neural networks, float32 and int8. A net descriptor, then per layer its
 * descriptor and tables (fuzz.h's layout), go through tml_wasm_net_validate, tml_wasm_net_run
 * (outputs and predict_proba) and tml_wasm_net_trace as the browser calls them; a net the
 * validator accepts then through every model method (tml_net_predict_class, _predict_proba,
 * _decision_function, _predict_values), also with a short output, a short arena and a
 * misaligned one.
 */
#include "fuzz.h"

#define FZ_MAX_LAYERS 32
#define FZ_MAX_ARENA (1 << 22)

/* The net descriptor has no tables. */
static int64_t net_count(const tml_net_t *m, const char *field)
{
    (void)m;
    return fz_unknown_field(field);
}

/* Elements of each table of a layer with m's shapes (net_types.h's struct comments). */
static int64_t layer_count(const tml_layer_t *m, const char *field)
{
    int64_t weights = fz_mul(fz_mul(fz_mul(m->out_c, m->kernel_h), m->kernel_w), m->in_c);
    if (fz_is(field, "weight_f32")) {
        return m->kind == TML_LAYER_AFFINE ? m->in_c : m->kind == TML_LAYER_ADD ? 2 : weights;
    }
    if (fz_is(field, "bias_f32")) {
        return m->kind == TML_LAYER_AFFINE ? m->in_c : m->out_c;
    }
    if (fz_is(field, "weight_i8")) {
        return weights; /* every row: enough for any row mask */
    }
    if (fz_is(field, "row_mask")) {
        return m->out_c > 0 ? ((int64_t)m->out_c + 7) / 8 : 0;
    }
    if ((fz_is(field, "multiplier") || fz_is(field, "shift")) && (m->kind == TML_LAYER_ADD || m->kind == TML_LAYER_MUL)) {
        return m->kind == TML_LAYER_ADD ? 3 : 1; /* the inputs' and the output's factors, or the product's */
    }
    if (fz_is(field, "bias_i32") || fz_is(field, "multiplier") || fz_is(field, "shift") ||
        fz_is(field, "channel_scale")) {
        return m->out_c;
    }
    return fz_unknown_field(field);
}

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_net, tml_net_t, TML_NET_DESCRIPTOR, net_count)
FZ_DESCRIPTOR_ENCODER(encode_layer, tml_layer_t, TML_LAYER_DESCRIPTOR, layer_count)

int main(void)
{
    int32_t k;
    encode_net(&FUZZ_MODEL);
    for (k = 0; k < FUZZ_MODEL.n_layers; k++) {
        encode_layer(&FUZZ_MODEL.layers[k]);
    }
    fz_write_row(tml_net_n_inputs(&FUZZ_MODEL));
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_net, tml_net_t, TML_NET_DESCRIPTOR, net_from_descriptor, net_count)
FZ_DESCRIPTOR_DECODER(decode_layer, tml_layer_t, TML_LAYER_DESCRIPTOR, layer_from_descriptor, layer_count)

/* Multiply-adds (or comparisons) of one prediction, to skip nets too slow to fuzz. */
static int64_t net_work(const tml_net_t *net)
{
    int64_t work = 0;
    int32_t k;
    for (k = 0; k < net->n_layers; k++) {
        const tml_layer_t *l = &net->layers[k];
        int64_t outputs = fz_mul(fz_mul(l->out_h, l->out_w), l->out_c);
        work += fz_mul(outputs, l->kind == TML_LAYER_CONV ? fz_mul(fz_mul(l->kernel_h, l->kernel_w), l->in_c)
                                : l->kind == TML_LAYER_AFFINE || l->kind == TML_LAYER_ACTIVATION
                                    ? 1
                                    : fz_mul(l->kernel_h, l->kernel_w));
        /* an int8 softmax computes each value three times per channel of its position */
        work += l->activation == TML_ACT_SOFTMAX ? fz_mul(outputs, l->out_c) : 0;
        if (work > FZ_MAX_WORK) {
            break; /* too slow already; and the sum of many FZ_TOO_MUCH stays far from overflow */
        }
    }
    return work;
}

/* predict's class: argmax of the outputs, or 0 / 1 for a single output. */
static int net_class_ok(const tml_net_t *net, int32_t c)
{
    int32_t n = tml_net_n_outputs(net);
    return c >= 0 && c < (n == 1 ? 2 : n);
}

/* Every model method on row x of a validated net. */
static void net_methods(const tml_net_t *net, const float *x, void *arena)
{
    int32_t n_out = tml_net_n_outputs(net), n_proba = tml_net_n_proba(net);
    float *out = FZ_ALLOC(float, n_proba), *short_out = FZ_ALLOC(float, n_out - 1);
    uint8_t *shifted = FZ_ALLOC(uint8_t, (int64_t)net->arena_bytes + 1);

    FZ_REQUIRE(net_class_ok(net, tml_net_predict_class(net, x, arena, net->arena_bytes, out, n_out)));
    FZ_REQUIRE(tml_net_predict_proba(net, x, arena, net->arena_bytes, out, n_proba) == TML_OK);
    FZ_REQUIRE(tml_net_predict_proba(net, x, arena, net->arena_bytes, out, n_proba - 1) == TML_E_SIZE);
    FZ_REQUIRE(tml_net_decision_function(net, x, arena, net->arena_bytes, out, n_out) == TML_OK);
    FZ_REQUIRE(tml_net_predict_values(net, x, arena, net->arena_bytes, short_out, n_out - 1) == TML_E_SIZE);
    FZ_REQUIRE(tml_net_predict_values(net, x, arena, net->arena_bytes - 1, out, n_out) == TML_E_SIZE);
    /* malloc aligns to 16: one byte on is misaligned */
    FZ_REQUIRE(tml_net_predict_values(net, x, shifted + 1, net->arena_bytes, out, n_out) == TML_E_ARENA);
    free(out);
    free(short_out);
    free(shifted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t net_desc[8], *layer_desc, n_layers, k, r, n_out, n_proba, classes[FZ_ROWS];
    tml_layer_t *storage;
    tml_net_t net;
    int status;
    float *x = NULL, *values = NULL, *mins = NULL, *maxs = NULL;
    void *arena = NULL;

    fz_low_reset();
    decode_net(&in, net_desc);
    n_layers = net_desc[0];
    if (n_layers > FZ_MAX_LAYERS) {
        return 0;
    }
    /* a net of no layers reads no layer descriptor: give none */
    layer_desc = FZ_ALLOC(int32_t, n_layers > 0 ? n_layers * LAYER_WORDS : 0);
    storage = FZ_ALLOC(tml_layer_t, n_layers > 0 ? n_layers : 0);
    for (k = 0; k < n_layers; k++) {
        if (decode_layer(&in, layer_desc + k * LAYER_WORDS) < 0) {
            goto done;
        }
    }
    status = tml_wasm_net_validate(net_desc, layer_desc, storage);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    if (status != TML_OK) {
        float none[1], *empty = FZ_ALLOC(float, 0);
        FZ_REQUIRE(tml_wasm_net_run(net_desc, layer_desc, storage, none, 1, empty, 0, 0, empty, 0, NULL) == status);
        FZ_REQUIRE(tml_wasm_net_trace(net_desc, layer_desc, storage, none, 1, empty, 0, empty, empty) == status);
        free(empty);
        goto done;
    }
    net = net_from_descriptor(net_desc);
    net.layers = storage;
    FZ_REQUIRE(tml_net_validate(&net) == TML_OK);
    if (net.arena_bytes > FZ_MAX_ARENA || net_work(&net) > FZ_MAX_WORK ||
        (x = fz_rows(&in, tml_net_n_inputs(&net))) == NULL) {
        goto done;
    }
    arena = malloc((size_t)net.arena_bytes);
    n_out = tml_net_n_outputs(&net);
    n_proba = tml_net_n_proba(&net);
    values = FZ_ALLOC(float, FZ_ROWS * n_proba);
    mins = FZ_ALLOC(float, n_layers);
    maxs = FZ_ALLOC(float, n_layers);
    status = tml_wasm_net_run(net_desc, layer_desc, storage, x, FZ_ROWS, arena, net.arena_bytes, 0, values, n_out,
                              classes);
    FZ_REQUIRE(status == TML_OK);
    status = tml_wasm_net_run(net_desc, layer_desc, storage, x, FZ_ROWS, arena, net.arena_bytes, 1, values, n_proba,
                              NULL);
    FZ_REQUIRE(status == TML_OK);
    status = tml_wasm_net_trace(net_desc, layer_desc, storage, x, FZ_ROWS, arena, net.arena_bytes, mins, maxs);
    FZ_REQUIRE(status == TML_OK);
    for (r = 0; r < FZ_ROWS; r++) {
        FZ_REQUIRE(net_class_ok(&net, classes[r]));
        net_methods(&net, x + (size_t)r * (size_t)tml_net_n_inputs(&net), arena);
    }
done:
    free(layer_desc);
    free(storage);
    free(x);
    free(arena);
    free(values);
    free(mins);
    free(maxs);
    return 0;
}
#endif
