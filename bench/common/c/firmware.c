/* Bare-metal Cortex-M firmware for QEMU mps2-an386 (Cortex-M4F).
 *
 * Runs bench_predict over the first BENCH_FW_ROWS test rows between two marker functions,
 * so an instruction trace (-d exec with -singlestep) can be cut to exactly that window.
 * Before the window it paints the stack below main's frame with a pattern; afterwards the
 * lowest overwritten word gives the deepest stack the predictions used (libraries included).
 * Reports "agree=K/N stack=S" and exits through the export bundle's mps2-an386 target glue
 * (semihosting): no C library start-up is needed, only libgcc (soft-float helpers) and memcpy
 * from newlib-nano. */
#include <stdint.h>
#include "bench_rows.h"

#ifndef BENCH_FW_ROWS
#define BENCH_FW_ROWS 10
#endif
#if BENCH_FW_ROWS > BENCH_N_ROWS
#undef BENCH_FW_ROWS
#define BENCH_FW_ROWS BENCH_N_ROWS
#endif

int32_t bench_predict(const BENCH_ROW_T *x); /* float, or int8_t for an int8 model's tensor */
#include "firmware_base.h"

static volatile int32_t predictions[BENCH_FW_ROWS];

int main(void)
{
    const uint32_t *sp = paint_stack();
    bench_window_begin();
    for (int r = 0; r < BENCH_FW_ROWS; r++) predictions[r] = bench_predict(bench_rows[r]);
    bench_window_end();

    unsigned agree = 0;
    for (int r = 0; r < BENCH_FW_ROWS; r++) agree += predictions[r] == bench_expected[r];

    char line[64] = "agree=";
    char *p = format_uint(line + 6, agree);
    *p++ = '/';
    p = format_uint(p, BENCH_FW_ROWS);
    const char *label = " stack=";
    while (*label) *p++ = *label++;
    p = format_uint(p, stack_used(sp));
    *p++ = '\n';
    *p = 0;
    target_write(line);
    target_exit(0);
    return 0;
}
