/* ATmega328P firmware for simavr (an Arduino Uno at 16 MHz): the AVR counterpart of firmware.c.
 *
 * Runs bench_predict over the first BENCH_FW_ROWS test rows and reads the cycles of each call
 * from Timer1, as the export bundle's harness does (target_cycles of the bundle's atmega328p
 * glue, less what two back-to-back reads cost). The rows and expected labels are in program
 * memory (BENCH_ROWS_STORAGE): each row is copied to a RAM buffer before its call, outside the
 * counted window. Before the loop the free RAM between .bss and main's frame is painted, so the
 * deepest stack of the predictions is found afterwards. Reports "agree=K/N stack=S free=F
 * cycles=C" (F: the bytes painted and main's frame above them, so S >= F means the stack ran
 * into .bss; C: the total over the rows) on USART0, which simavr prints, and stops the CPU. */
#include <avr/pgmspace.h>
#include <stdint.h>
#include <string.h>

#ifndef BENCH_FW_ROWS
#define BENCH_FW_ROWS 10
#endif
#define BENCH_ROWS_STORAGE PROGMEM
#define BENCH_KEEP_ROWS BENCH_FW_ROWS /* only the rows it runs: flash is 32 KB */
#include "bench_rows.h"
#if BENCH_FW_ROWS > BENCH_N_ROWS
#undef BENCH_FW_ROWS
#define BENCH_FW_ROWS BENCH_N_ROWS
#endif

int32_t bench_predict(const float *x);
#include "firmware_base.h"

/* static: the buffer is counted in .bss with the rest of the firmware's RAM, not the stack. */
static float row[BENCH_N_FEATURES];

static char *append(char *out, const char *text)
{
    while (*text) *out++ = *text++;
    return out;
}

int main(void)
{
    const uint8_t *sp = paint_stack();
    uint32_t start = target_cycles();
    uint32_t overhead = target_cycles() - start;
    uint32_t cycles = 0;
    unsigned agree = 0;
    for (int r = 0; r < BENCH_FW_ROWS; r++) {
        memcpy_P(row, bench_rows[r], sizeof row);
        start = target_cycles();
        int32_t predicted = bench_predict(row);
        cycles += target_cycles() - start - overhead;
        agree += predicted == (int32_t)pgm_read_dword(&bench_expected[r]);
    }

    char line[64];
    char *p = append(line, "agree=");
    p = format_uint(p, agree);
    *p++ = '/';
    p = format_uint(p, BENCH_FW_ROWS);
    p = format_uint(append(p, " stack="), stack_used(sp));
    p = format_uint(append(p, " free="), (uint32_t)(sp - &__heap_start));
    p = format_uint(append(p, " cycles="), cycles);
    *p++ = '\n';
    *p = 0;
    target_write(line);
    target_exit(0);
    return 0;
}
