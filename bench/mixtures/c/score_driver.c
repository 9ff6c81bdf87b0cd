/* Host driver for the score comparison: calls bench_score over every test row and prints
 * one score per line ("nan" when the tool returned an error). Not measured; bench_predict
 * and bench/common/c/host_driver.c are. */
#include <stdint.h>
#include <stdio.h>
#include "bench_rows.h"

int bench_score(const float *x, float *score);

int main(void)
{
    for (int r = 0; r < BENCH_N_ROWS; r++) {
        float score = 0.0f;
        int status = bench_score(bench_rows[r], &score);
        if (status != 0) {
            printf("nan\n");
        } else {
            printf("%.9g\n", (double)score);
        }
    }
    return 0;
}
