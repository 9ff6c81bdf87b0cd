/* Unit tests of the neural-network runtime: the driver and the model methods (net_run.h): predict's class, predict_proba, argument checks, layer by layer against a whole prediction. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x510e527fade682d1ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

/* The model methods: predict's class, predict_proba (one logistic output gives [1 - p, p]),
 * decision_function and a regressor's predict, against tml_net_predict. */
static void test_model_methods(void)
{
    static const float w1[] = {-2.0f}, w3[] = {1.0f, -1.0f, 0.5f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
    tml_net_t net;
    float x = 0.25f, out[3], proba[3], p;
    l.weight_f32 = w1;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 8);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_n_proba(&net) == 2);
    CHECK(tml_net_predict(&net, &x, arena, 8, &p, 1) == TML_OK);
    CHECK(tml_net_predict_proba(&net, &x, arena, 8, proba, 2) == TML_OK);
    CHECK(proba[1] == p && proba[0] == 1.0f - p);
    CHECK(tml_net_predict_proba(&net, &x, arena, 8, proba, 1) == TML_E_SIZE);
    CHECK(tml_net_predict_class(&net, &x, arena, 8, out, 1) == (p > 0.5f ? 1 : 0));
    CHECK(tml_net_predict_class(&net, &x, arena, 4, out, 1) == TML_E_SIZE);
    CHECK(tml_net_decision_function(&net, &x, arena, 8, out, 1) == TML_OK && out[0] == p);
    CHECK(tml_net_predict_values(&net, &x, arena, 8, out, 1) == TML_OK && out[0] == p);
    CHECK(tml_net_proba_inplace(&net, NULL, 2) == TML_E_NULL);
    /* three softmax outputs: predict_proba is the outputs themselves */
    l = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 1, 1, 1, 3);
    l.weight_f32 = w3;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 16);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_n_proba(&net) == 3);
    CHECK(tml_net_predict(&net, &x, arena, 16, out, 3) == TML_OK);
    CHECK(tml_net_predict_proba(&net, &x, arena, 16, proba, 3) == TML_OK);
    CHECK(proba[0] == out[0] && proba[1] == out[1] && proba[2] == out[2]);
    CHECK(tml_net_predict_class(&net, &x, arena, 16, proba, 3) == tml_argmax(out, 3));
}

static void test_class_from_output(void)
{
    static const float w[] = {1.0f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
    tml_net_t net;
    float half = 0.5f, above = 0.50001f, below = 0.49f;
    const float three[3] = {0.2f, 0.7f, 0.7f};
    l.weight_f32 = w;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 8);
    CHECK(tml_net_class_from_output(&net, &half) == 0); /* sklearn: p > 0.5 */
    CHECK(tml_net_class_from_output(&net, &above) == 1);
    CHECK(tml_net_class_from_output(&net, &below) == 0);
    l.activation = TML_ACT_IDENTITY; /* a linear classifier's decision score: class 1 above 0 */
    CHECK(tml_net_class_from_output(&net, &above) == 1);
    {
        float zero = 0.0f, negative = -0.25f;
        CHECK(tml_net_class_from_output(&net, &zero) == 0);
        CHECK(tml_net_class_from_output(&net, &negative) == 0);
    }
    l = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 1, 1, 1, 3);
    net = net_of(&l, 1, 0, 16);
    CHECK(tml_net_class_from_output(&net, three) == 1); /* first largest */
    {
        /* end to end: logistic(-2 x) for x = 1 and x = -1 */
        static const float wn[] = {-2.0f};
        tml_layer_t d = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
        float x = 1.0f, y;
        d.weight_f32 = wn;
        CHECK(run_single(&d, &x, &y) == TML_OK);
        net = net_of(&d, 1, 0, 8);
        CHECK(tml_net_class_from_output(&net, &y) == 0);
        x = -1.0f;
        CHECK(run_single(&d, &x, &y) == TML_OK);
        CHECK(tml_net_class_from_output(&net, &y) == 1);
    }
}

static void test_flatten_before_dense(void)
{
    /* a 1x1 conv on 1x2x2, then a dense layer on its output flattened to 1x1x4 */
    static const float w0[] = {1, 0, 0, 1}; /* 1x1 conv, 2 -> 2 channels, identity */
    static const float w1[] = {1, 10, 100, 1000};
    tml_layer_t layers[2];
    tml_net_t net;
    const float x[4] = {1, 2, 3, 4};
    float y[1];
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 2, 2, 1, 2, 2);
    layers[0].weight_f32 = w0;
    layers[0].out_offset = 16;
    layers[1] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 4, 1, 1, 1);
    layers[1].weight_f32 = w1;
    layers[1].in_offset = 16;
    layers[1].out_offset = 0;
    net = net_of(layers, 2, 0, 32);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 32, y, 1) == TML_OK);
    CHECK(y[0] == 4321.0f);
}

static void test_predict_argument_checks(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    float x[16] = {0}, y[3];
    valid_float_net(layers);
    net = net_of(layers, 3, 0, 192);
    CHECK(tml_net_predict(&net, x, arena, 192, y, 3) == TML_OK);
    CHECK(tml_net_predict(NULL, x, arena, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, NULL, arena, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, NULL, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, arena, 192, NULL, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, arena, 188, y, 3) == TML_E_SIZE);  /* small arena */
    CHECK(tml_net_predict(&net, x, arena, 192, y, 2) == TML_E_SIZE);  /* short out */
    CHECK(tml_net_predict(&net, x, (unsigned char *)(void *)arena + 2, 192, y, 3) == TML_E_ARENA);
    CHECK(tml_net_run_layer(&net, 3, arena) == TML_E_SIZE);
    CHECK(tml_net_run_layer(&net, -1, arena) == TML_E_SIZE);
    CHECK(tml_net_run_layer(&net, 0, NULL) == TML_E_NULL);
    CHECK(tml_net_load_input(&net, NULL, arena) == TML_E_NULL);
    CHECK(tml_net_read_output(&net, arena, y, 2) == TML_E_SIZE);
    CHECK(tml_net_read_output(&net, arena, NULL, 3) == TML_E_NULL);
}

static void test_layer_by_layer_equals_predict(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    float x[16], y1[3], y2[3];
    int k, i;
    for (i = 0; i < 16; i++) {
        x[i] = rng_float(-1.0f, 1.0f);
    }
    valid_int8_net(layers);
    net = net_of(layers, 3, 1, 192);
    CHECK(tml_net_predict(&net, x, arena, 192, y1, 3) == TML_OK);
    memset(arena, 0, sizeof arena);
    CHECK(tml_net_load_input(&net, x, arena) == TML_OK);
    for (k = 0; k < 3; k++) {
        CHECK(tml_net_run_layer(&net, k, arena) == TML_OK);
    }
    CHECK(tml_net_read_output(&net, arena, y2, 3) == TML_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
}

int main(void)
{
    test_model_methods();
    test_class_from_output();
    test_flatten_before_dense();
    test_predict_argument_checks();
    test_layer_by_layer_equals_predict();
    return CHECK_REPORT("net_run");
}
