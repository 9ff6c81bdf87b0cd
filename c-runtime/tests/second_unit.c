/* Includes the runtime a second time, from another translation unit, to prove that the
 * header-only runtime links cleanly when several .c files use it. */
#include "tinyml/forest.h"

int32_t second_unit_argmax(const float *v, int32_t n) { return tml_argmax(v, n); }
