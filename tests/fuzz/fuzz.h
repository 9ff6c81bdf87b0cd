/*
 * What the libFuzzer targets (tests/fuzz/fuzz_*.c) share.
 *
 * Each target compiles c-runtime/wasm/runtime_wasm.c natively and hands its run exports a
 * model the way the browser does: a descriptor (c-runtime/wasm/descriptors.h, one 32-bit word
 * per field) whose PTR words are 32-bit addresses of tables. The tables live in a "linear
 * memory" mapped below 4 GiB (MAP_32BIT), each one alone between poisoned gaps, so AddressSanitizer
 * sees a read one element past any table. A model the validator accepts then goes through every
 * model method of its family with output buffers exactly as large as documented.
 *
 * Input layout, read front to back (an input that ends early reads as zeros):
 *   1. the descriptor: INT and FLOAT fields 4 bytes each (little-endian), PTR fields 1 byte
 *      (0: NULL, else a table is given);
 *   2. the tables given, in descriptor order, each as many elements as a validated model reads
 *      (the count follows from the descriptor's sizes), raw little-endian elements;
 *   3. the rest: feature rows (fz_rows).
 * With FUZZ_MAKE_SEED a target is instead a program that writes this layout for the model of a
 * generated header (tests/fuzz/make_seeds.py builds one per golden case).
 */
#ifndef TINYML_FUZZ_H
#define TINYML_FUZZ_H

#define _GNU_SOURCE /* MAP_32BIT */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_MAKE_SEED
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>
#endif

/* The native build of the WebAssembly entry points: export_name is a WebAssembly attribute,
 * which clang ignores elsewhere (-Wno-unknown-attributes in run.sh). */
#include "../../c-runtime/wasm/runtime_wasm.c"

/* Sizes beyond these are skipped, not errors: the harness cannot give tables that large. */
#define FZ_MAX_TABLE_BYTES (1u << 20)
#define FZ_LOW_BYTES (32u << 20)
#define FZ_GAP 64 /* poisoned bytes between two tables */
#define FZ_ROWS 3
#define FZ_MAX_WORK (1 << 22) /* multiply-adds (or so) per row a run may cost */

/* A property of the runtime failed: libFuzzer records the input as a crash. */
#define FZ_REQUIRE(cond)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

/* Every status a function returns is TML_OK or one of the error codes of common.h. */
#define FZ_IS_STATUS(s) ((s) <= TML_OK && (s) >= TML_E_ARENA)

typedef struct {
    const uint8_t *at;
    size_t left;
} fz_input;

static inline void fz_bytes(fz_input *in, void *out, size_t n)
{
    size_t k = n < in->left ? n : in->left;
    if (k > 0) {
        memcpy(out, in->at, k);
    }
    memset((uint8_t *)out + k, 0, n - k);
    in->at += k;
    in->left -= k;
}

static inline uint8_t fz_u8(fz_input *in)
{
    uint8_t v;
    fz_bytes(in, &v, 1);
    return v;
}

static inline int32_t fz_i32(fz_input *in)
{
    int32_t v;
    fz_bytes(in, &v, 4);
    return v;
}

static inline float fz_f32(fz_input *in)
{
    float v;
    fz_bytes(in, &v, 4);
    return v;
}

/* Values that break careless arithmetic: what the special feature rows are made of. */
static const float fz_specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, NAN, INFINITY, -INFINITY, FLT_MAX,
                                    -FLT_MAX, FLT_MIN, 1e-45f, 1e30f, -1e30f, 65504.0f, 2147483648.0f};
#define FZ_N_SPECIALS ((int)(sizeof fz_specials / sizeof fz_specials[0]))

/* Beyond every cap; still far from int64 overflow when a few are added or multiplied again. */
#define FZ_TOO_MUCH ((int64_t)1 << 41)

/* n * m for n, m >= 0 in an int64 without overflow, or FZ_TOO_MUCH past 2^40: a product that
 * is compared with a cap is then over it (a -1 here once let a huge median window through). */
static inline int64_t fz_mul(int64_t n, int64_t m)
{
    if (n < 0 || m < 0) {
        return 0; /* a negative size gives an empty table: the validator must refuse it */
    }
    if (n != 0 && m > ((int64_t)1 << 40) / n) {
        return FZ_TOO_MUCH;
    }
    return n * m;
}

/*
 * FZ_ROWS rows of n features, malloc'd (NULL when too large): row 0 raw floats from the input,
 * row 1 the special values in turn from an offset the input picks, row 2 a special value per
 * feature, one input byte each.
 */
static inline float *fz_rows(fz_input *in, int32_t n)
{
    float *x;
    int32_t k;
    uint8_t first;
    if (n < 1 || n > (1 << 18)) {
        return NULL;
    }
    x = (float *)malloc((size_t)FZ_ROWS * (size_t)n * sizeof(float));
    fz_bytes(in, x, (size_t)n * sizeof(float));
    first = fz_u8(in);
    for (k = 0; k < n; k++) {
        x[n + k] = fz_specials[(first + k) % FZ_N_SPECIALS];
        x[2 * n + k] = fz_specials[fz_u8(in) % FZ_N_SPECIALS];
    }
    return x;
}

/* A malloc'd buffer of exactly n elements (at least one byte, so that malloc(0) is not NULL):
 * AddressSanitizer catches a write past what a function documents it writes. */
#define FZ_ALLOC(type, n) ((type *)malloc((n) > 0 ? (size_t)(n) * sizeof(type) : 1))

#ifndef FUZZ_MAKE_SEED

/* ---- linear memory below 4 GiB, for the tables a descriptor points at ---- */

static uint8_t *fz_low;
static size_t fz_low_used;

/* Starts an input: every byte poisoned, nothing placed (address 0 stays NULL). Only what the
 * last input used is poisoned again: 32 MiB of shadow per input would halve the speed. */
static inline void fz_low_reset(void)
{
    if (fz_low == NULL) {
        void *p = mmap(NULL, FZ_LOW_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (p == MAP_FAILED) {
            perror("mmap MAP_32BIT");
            abort();
        }
        fz_low = (uint8_t *)p;
        fz_low_used = FZ_LOW_BYTES;
    }
    ASAN_POISON_MEMORY_REGION(fz_low, fz_low_used);
    fz_low_used = FZ_GAP;
}

/* A 32-bit address word of `bytes` bytes in the linear memory, 8-aligned (AddressSanitizer's
 * granule: the poisoned gap starts right after the last byte), or 0 when it does not fit. */
static inline int32_t fz_low_alloc(size_t bytes)
{
    uint8_t *p;
    if (bytes > FZ_MAX_TABLE_BYTES || fz_low_used + bytes + FZ_GAP > FZ_LOW_BYTES) {
        return 0;
    }
    p = fz_low + fz_low_used;
    fz_low_used = (fz_low_used + bytes + FZ_GAP + 7u) & ~(size_t)7u;
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);
    return (int32_t)(uint32_t)(uintptr_t)p;
}

/* A table of count elements of elem bytes read from the input, placed in the linear memory;
 * 0 when it is too large. An empty table is a valid address with nothing readable behind it. */
static inline int32_t fz_place(fz_input *in, int64_t count, size_t elem)
{
    int64_t bytes = fz_mul(count, (int64_t)elem);
    int32_t word;
    if (bytes < 0 || bytes > (int64_t)FZ_MAX_TABLE_BYTES) {
        return 0;
    }
    word = fz_low_alloc((size_t)bytes);
    if (word != 0) {
        fz_bytes(in, (void *)(uintptr_t)(uint32_t)word, (size_t)bytes);
    }
    return word;
}

/* ---- descriptors: decoding a descriptors.h list and its tables from the input ---- */

#define FZ_READ_WORD(field) words[at++] = fz_i32(in);
#define FZ_READ_PRESENCE(field, type) words[at++] = fz_u8(in) != 0;
#define FZ_SKIP_WORD(field) at++;
#define FZ_PLACE_TABLE(field, type)                                                              \
    if (words[at] != 0 && (words[at] = fz_place(in, fz_count(&m, #field), sizeof(type))) == 0) { \
        return -1;                                                                               \
    }                                                                                            \
    at++;

/*
 * static int name(fz_input *in, int32_t *words): reads a descriptor of LIST and the tables it
 * asks for into words (the PTR words become the tables' addresses). count(&m, "field") is how
 * many elements table `field` of the struct m has (m holds the sizes; its pointers only say
 * NULL or not). Returns the number of words, or -1 when a table is too large to place.
 */
#define FZ_DESCRIPTOR_DECODER(name, type, LIST, reader, count)                                   \
    static int name(fz_input *in, int32_t *words)                                                \
    {                                                                                            \
        int64_t (*const fz_count)(const type *, const char *) = count;                          \
        int32_t at = 0;                                                                          \
        type m;                                                                                  \
        LIST(FZ_READ_WORD, FZ_READ_WORD, FZ_READ_PRESENCE)                                       \
        m = reader(words);                                                                       \
        at = 0;                                                                                  \
        LIST(FZ_SKIP_WORD, FZ_SKIP_WORD, FZ_PLACE_TABLE)                                         \
        (void)fz_count; /* lists without tables */                                               \
        (void)m;                                                                                 \
        return at;                                                                               \
    }

#else /* FUZZ_MAKE_SEED: writing the input layout for a generated header's model */

static inline void fz_write(const void *p, size_t n) { fwrite(p, 1, n, stdout); }

#define FZ_WRITE_INT(field)                                                                      \
    {                                                                                            \
        int32_t v = (int32_t)m.field;                                                            \
        fz_write(&v, 4);                                                                         \
    }
#define FZ_WRITE_FLOAT(field)                                                                    \
    {                                                                                            \
        float v = m.field;                                                                       \
        fz_write(&v, 4);                                                                         \
    }
#define FZ_WRITE_PRESENCE(field, type)                                                           \
    {                                                                                            \
        uint8_t v = m.field != NULL;                                                             \
        fz_write(&v, 1);                                                                         \
    }
#define FZ_WRITE_NOTHING(field)
#define FZ_WRITE_TABLE(field, type)                                                              \
    if (m.field != NULL) {                                                                       \
        fz_write(m.field, (size_t)fz_count(&m, #field) * sizeof(type));                          \
    }

/* static void name(const type *model): the decoder's layout of *model on stdout. */
#define FZ_DESCRIPTOR_ENCODER(name, type, LIST, count)                                           \
    static void name(const type *model)                                                          \
    {                                                                                            \
        int64_t (*const fz_count)(const type *, const char *) = count;                          \
        type m = *model;                                                                         \
        LIST(FZ_WRITE_INT, FZ_WRITE_FLOAT, FZ_WRITE_PRESENCE)                                    \
        LIST(FZ_WRITE_NOTHING, FZ_WRITE_NOTHING, FZ_WRITE_TABLE)                                 \
        (void)fz_count;                                                                          \
    }

/* A row of n features for the seed: the values 0.5, -1, 2, ... */
static inline void fz_write_row(int32_t n)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        float v = (float)(k % 5) - 1.5f;
        fz_write(&v, 4);
    }
}
#endif

/* The table named field (a count function's question): a plain loop, not strcmp, which
 * libFuzzer intercepts and would fill its dictionary with field names. */
static inline int fz_is(const char *field, const char *name)
{
    while (*field != '\0' && *field == *name) {
        field++;
        name++;
    }
    return *field == *name;
}

/* The count function's answer for a field it does not know: the harness is behind
 * descriptors.h, which is a bug of the harness. */
static inline int64_t fz_unknown_field(const char *field)
{
    fprintf(stderr, "fuzz harness: no table length for descriptor field %s\n", field);
    abort();
}

#endif /* TINYML_FUZZ_H */
