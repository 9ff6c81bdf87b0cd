/*
 * TinyML Lab C runtime: what every model family shares (error codes, argmax).
 *
 * Header-only C99, `static inline` throughout: include it from as many .c files as you
 * like. Model headers include it; a standalone model header embeds it.
 */
#ifndef TINYML_COMMON_H
#define TINYML_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes: every failure is a negative number. */
#define TML_OK 0
#define TML_E_NULL (-1)        /* a required pointer is NULL */
#define TML_E_SIZE (-2)        /* a count is out of range, or a buffer is too small */
#define TML_E_TREE (-3)        /* a tree's node indices are malformed */
#define TML_E_FEATURE (-4)     /* a node tests a feature index >= n_features */
#define TML_E_LEAF (-5)        /* a leaf points outside the leaf table */
#define TML_E_THRESHOLDS (-6)  /* not exactly one threshold table is given */
#define TML_E_KIND (-7)        /* unknown kind (combine, link, layer, activation) or one that does not fit */
#define TML_E_SCALE (-8)       /* a quantization scale, offset, zero point or shift is out of range */
#define TML_E_SHAPE (-9)       /* a layer's shape does not follow from the previous layer's */
#define TML_E_ARENA (-10)      /* a buffer lies outside the arena, overlaps, or is misaligned */

/* Index of the first largest value, as numpy's argmax picks it. */
static inline int32_t tml_argmax(const float *v, int32_t n)
{
    int32_t best = 0, k;
    for (k = 1; k < n; k++) {
        if (v[k] > v[best]) {
            best = k;
        }
    }
    return best;
}

#endif /* TINYML_COMMON_H */
