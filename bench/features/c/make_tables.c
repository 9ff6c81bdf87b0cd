/* Host program that writes bench_tables.h: the tables of the table cases of cases.c, made
 * the way an exported header's are (tml_wasm_logmel_tables in c-runtime/wasm: the same
 * calls, in the same order) but by the host's build of features.h:
 *
 *   bench_window_<n>, bench_twiddles_<n>   tml_window Hann, tml_fft_twiddles (n = 256, 512)
 *   bench_mel_first_bin, bench_mel_n_weights, bench_mel_weights, BENCH_MEL_N_STORED
 *                                          tml_mel_filterbank(512, 16 kHz, 40, 0, 8000) then
 *                                          tml_mel_sparsify
 *   bench_dct_13x40                        tml_dct2_table(40, 13)
 *
 * All `static const`, floats as exact hex literals. run.py compiles this with the host gcc
 * (-std=c99 -O2, as the host driver), so the tables hold the bits the host's table-free
 * cases compute on the way: the pair check there is exact. A device running them
 * reproduces the host's bits, not its own libm's (README.md). */
#include <stdio.h>
#include <stdlib.h>

#include "tinyml/features.h"

#define N_MELS 40
#define N_MFCC 13

static void floats(const char *name, const float *v, int32_t n)
{
    int32_t i;
    printf("static const float %s[%ld] = {", name, (long)n);
    for (i = 0; i < n; i++) {
        printf("%s%a%s", i % 6 == 0 ? "\n    " : " ", (double)v[i], i + 1 < n ? "f," : "f");
    }
    printf("\n};\n");
}

static void shorts(const char *name, const uint16_t *v, int32_t n)
{
    int32_t i;
    printf("static const uint16_t %s[%ld] = {", name, (long)n);
    for (i = 0; i < n; i++) {
        printf("%s%u%s", i % 16 == 0 ? "\n    " : " ", (unsigned)v[i], i + 1 < n ? "," : "");
    }
    printf("\n};\n");
}

static int fft_tables(int32_t n)
{
    static float window[512], twiddles[512];
    char name[64];
    int status = tml_window(TML_WINDOW_HANN, window, n);
    if (status == TML_OK) {
        status = tml_fft_twiddles(n, twiddles);
    }
    if (status != TML_OK) {
        return status;
    }
    printf("#if defined(BENCH_TABLES_%ld)\n", (long)n);
    sprintf(name, "bench_window_%ld", (long)n);
    floats(name, window, n);
    sprintf(name, "bench_twiddles_%ld", (long)n);
    floats(name, twiddles, n);
    printf("#endif\n");
    return TML_OK;
}

int main(void)
{
    static float dense[N_MELS * 257], weights[N_MELS * 257], dct[N_MFCC * N_MELS];
    uint16_t first[N_MELS], count[N_MELS];
    int32_t n_stored = 0;
    int status;
    printf("/* Written by bench/features/c/make_tables.c (run.py): tables made by the host's build of\n"
           " * features.h, as an exported header stores them. */\n#include <stdint.h>\n");
    status = fft_tables(256);
    if (status == TML_OK) {
        status = fft_tables(512);
    }
    if (status == TML_OK) {
        status = tml_mel_filterbank(512, 16000.0f, N_MELS, 0.0f, 8000.0f, dense);
    }
    if (status == TML_OK) {
        status = tml_mel_sparsify(dense, N_MELS, 257, first, count, weights, N_MELS * 257, &n_stored);
    }
    if (status == TML_OK) {
        status = tml_dct2_table(N_MELS, N_MFCC, dct);
    }
    if (status != TML_OK) {
        fprintf(stderr, "make_tables: status %d\n", status);
        return 1;
    }
    printf("#if defined(BENCH_TABLES_MEL)\n#define BENCH_MEL_N_STORED %ld\n", (long)n_stored);
    shorts("bench_mel_first_bin", first, N_MELS);
    shorts("bench_mel_n_weights", count, N_MELS);
    floats("bench_mel_weights", weights, n_stored);
    printf("#endif\n#if defined(BENCH_TABLES_DCT)\n");
    floats("bench_dct_13x40", dct, N_MFCC * N_MELS);
    printf("#endif\n");
    return 0;
}
