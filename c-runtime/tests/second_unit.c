/* Includes the runtime a second time, from another translation unit, to prove that the
 * header-only runtime links cleanly when several .c files use it. */
#include "tinyml/forest.h"
#include "tinyml/net.h"

int32_t second_unit_argmax(const float *v, int32_t n);
int32_t second_unit_net_outputs(const tml_net_t *net);

int32_t second_unit_argmax(const float *v, int32_t n) { return tml_argmax(v, n); }

int32_t second_unit_net_outputs(const tml_net_t *net)
{
    return tml_net_validate(net) == TML_OK ? tml_net_n_outputs(net) : -1;
}
