/* Host driver: runs bench_predict over every test row and prints one class index per line.
 * bench_predict lives in its own translation unit (no LTO), so it stays a real call that
 * callgrind's --toggle-collect=bench_predict can attribute instructions to. */
#include <stdint.h>
#include <stdio.h>
#include "bench_rows.h"

int32_t bench_predict(const float *x);

int main(void)
{
    for (int r = 0; r < BENCH_N_ROWS; r++) {
        printf("%d\n", (int)bench_predict(bench_rows[r]));
    }
    return 0;
}
