/* Host driver for one case of cases.c: bench_setup, BENCH_FW_CALLS calls of bench_predict
 * (callgrind counts them with --toggle-collect=bench_predict), then the same "ret" / "out"
 * lines as firmware.c prints, for the device-vs-host comparison. bench_predict lives in its
 * own translation unit (no LTO), so it stays a real call. */
#include <stdint.h>
#include <stdio.h>
#include "bench_input.h"

#ifndef BENCH_FW_CALLS
#define BENCH_FW_CALLS 5
#endif

void bench_setup(const void *input);
uint32_t bench_predict(const void *input);
const void *bench_output(uint32_t *bytes);

static void write_words(const char *label, const uint32_t *words, uint32_t n)
{
    uint32_t i = 0;
    do {
        printf("%s", label);
        for (uint32_t k = 0; k < 16 && i < n; k++, i++) printf(" %08x", (unsigned)words[i]);
        printf("\n");
    } while (i < n);
}

int main(void)
{
    uint32_t returned[BENCH_FW_CALLS], bytes = 0;
    bench_setup(bench_input);
    for (int c = 0; c < BENCH_FW_CALLS; c++) returned[c] = bench_predict(bench_input);
    write_words("ret", returned, BENCH_FW_CALLS);
    const uint32_t *out = (const uint32_t *)bench_output(&bytes);
    write_words("out", out, bytes / 4u);
    return 0;
}
