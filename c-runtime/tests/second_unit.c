/* Includes the runtime a second time, from another translation unit, to prove that the
 * header-only runtime links cleanly when several .c files use it. */
#include "tinyml/features.h"
#include "tinyml/forest.h"
#include "tinyml/gauss.h"
#include "tinyml/knn.h"
#include "tinyml/net.h"
#include "tinyml/svm.h"

int32_t second_unit_argmax(const float *v, int32_t n);
int32_t second_unit_net_outputs(const tml_net_t *net);
int second_unit_net_predict(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes, float *out,
                             int32_t n_out);
float second_unit_gauss_mahalanobis0(const tml_gauss_t *g, const float *x);
int32_t second_unit_svm_decisions(const tml_svm_t *s);
int32_t second_unit_knn_validate(const tml_knn_t *m);
int32_t second_unit_fft_real(float *re, float *im, int32_t n);

int32_t second_unit_argmax(const float *v, int32_t n) { return tml_argmax(v, n); }

int32_t second_unit_net_outputs(const tml_net_t *net)
{
    return tml_net_validate(net) == TML_OK ? tml_net_n_outputs(net) : -1;
}

/* A prediction by the runtime with every kernel compiled in (this unit sets no TML_NET_LAYERS). */
int second_unit_net_predict(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes, float *out,
                             int32_t n_out)
{
    return tml_net_predict(net, x, arena, arena_bytes, out, n_out);
}

float second_unit_gauss_mahalanobis0(const tml_gauss_t *g, const float *x)
{
    return tml_gauss_validate(g) == TML_OK ? tml_gauss_mahalanobis(g, 0, x) : -1.0f;
}

int32_t second_unit_svm_decisions(const tml_svm_t *s)
{
    return tml_svm_validate(s) == TML_OK ? tml_svm_n_decisions(s) : -1;
}

int32_t second_unit_knn_validate(const tml_knn_t *m) { return tml_knn_validate(m); }

int32_t second_unit_fft_real(float *re, float *im, int32_t n) { return tml_fft_real(re, im, n); }
