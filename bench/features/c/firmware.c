/* Bare-metal Cortex-M4F firmware for QEMU mps2-an386, for one case of cases.c.
 *
 * The same scheme as bench/common/c/firmware.c (linked with the bundle's mps2-an386 glue), with a set-up
 * call and a whole output to report instead of test rows and class indices:
 *   paint the stack, bench_setup(input), bench_window_begin(), BENCH_FW_CALLS calls of
 *   bench_predict(input), bench_window_end(); then print, through semihosting,
 *   "ret <hex>..." (each call's return value), "out <hex>..." (the last call's output, as
 *   32-bit words) and "stack=<bytes>" (deepest stack of set-up and calls, painted).
 * run.py cuts the instruction trace between the two markers and compares the printed words
 * with the host build's (host_driver.c prints the same lines). */
#include <stdint.h>
#include "bench_input.h" /* bench_input[]: the case's fixed input window */

#ifndef BENCH_FW_CALLS
#define BENCH_FW_CALLS 5
#endif

void bench_setup(const void *input);
uint32_t bench_predict(const void *input);
const void *bench_output(uint32_t *bytes);
#include "../../common/c/firmware_base.h"

static char *format_hex(char *out, uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) *out++ = "0123456789abcdef"[(v >> shift) & 0xFu];
    return out;
}

/* "<label> w w w ...\n" in lines of at most 16 words (semihosting writes one string at a time). */
static void write_words(const char *label, const uint32_t *words, uint32_t n)
{
    char line[16 * 9 + 16];
    uint32_t i = 0;
    do {
        char *p = line;
        for (const char *l = label; *l; l++) *p++ = *l;
        for (uint32_t k = 0; k < 16 && i < n; k++, i++) {
            *p++ = ' ';
            p = format_hex(p, words[i]);
        }
        *p++ = '\n';
        *p = 0;
        target_write(line);
    } while (i < n);
}

static volatile uint32_t returned[BENCH_FW_CALLS];

int main(void)
{
    const uint32_t *sp = paint_stack();
    bench_setup(bench_input);
    bench_window_begin();
    for (int c = 0; c < BENCH_FW_CALLS; c++) returned[c] = bench_predict(bench_input);
    bench_window_end();
    unsigned stack = stack_used(sp);

    uint32_t copy[BENCH_FW_CALLS], bytes = 0;
    for (int c = 0; c < BENCH_FW_CALLS; c++) copy[c] = returned[c];
    write_words("ret", copy, BENCH_FW_CALLS);
    const uint32_t *out = (const uint32_t *)bench_output(&bytes);
    write_words("out", out, bytes / 4u);

    char line[32] = "stack=";
    char *p = format_uint(line + 6, stack);
    *p++ = '\n';
    *p = 0;
    target_write(line);
    target_exit(0);
    return 0;
}
