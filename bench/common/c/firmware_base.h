/* Shared by the benchmarks' firmwares (bench/common/c/firmware.c, firmware_avr.c, bench/features/c/firmware.c,
 * bench/nets/c/dsp_check.c): the two marker functions an instruction trace is cut at and the stack
 * paint for the high-water mark. Start-up code, vector table, linker script and the semihosting
 * console (target_write, target_exit) are the export bundle's own for QEMU's mps2-an386
 * (c-runtime/bundle/target/mps2_an386/), linked in by bench/common/measure.py (FIRMWARE_*), so the
 * benchmarks run models exactly as a bundle does. Included once by a firmware that defines main(). */
#ifndef BENCH_FIRMWARE_BASE_H
#define BENCH_FIRMWARE_BASE_H

#include <stdint.h>

#include "target.h"

static char *format_uint(char *out, uint32_t v) /* 32 bits on every core: AVR cycle counts pass 65,535 */
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *out++ = digits[--n];
    return out;
}

/* ---- the measured window -------------------------------------------------------------- */
/* noinline + an asm barrier keep these as distinct addresses the trace parser can find. */
__attribute__((noinline)) void bench_window_begin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void bench_window_end(void) { __asm__ volatile(""); }

/* ---- stack high-water mark ------------------------------------------------------------- */
#if defined(__AVR__)
/* ATmega328P: 2 KB of RAM, so the paint covers all of it that is free: from the end of .bss
 * (avr-libc's linker script names it __heap_start; nothing here uses a heap) up to main's
 * frame. A result that reaches .bss means the stack overran the static data. */
#include <avr/io.h>

extern uint8_t __heap_start;
#define STACK_PAINT 0xA5u

static inline __attribute__((always_inline)) const uint8_t *paint_stack(void)
{
    uint8_t *sp = (uint8_t *)SP;
    for (volatile uint8_t *b = &__heap_start; b < sp - 8; b++) *b = STACK_PAINT;
    return sp;
}

static unsigned stack_used(const uint8_t *sp)
{
    const volatile uint8_t *b = &__heap_start;
    while (b < sp && *b == STACK_PAINT) b++;
    return (unsigned)(sp - (const uint8_t *)b);
}
#else
#define STACK_PAINT 0xC5A3E1B7u
#define STACK_SPAN (16u * 1024u) /* painted below main's frame; a result of STACK_SPAN means "at least" */

/* Paints [sp - STACK_SPAN, sp - 8) and returns sp. Inlined into main: the loop runs in
 * main's frame and touches only memory below the stack pointer, which nothing uses yet. */
static inline __attribute__((always_inline)) uint32_t *paint_stack(void)
{
    uint32_t *sp;
#if defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    for (volatile uint32_t *w = sp - STACK_SPAN / 4; w < sp - 2; w++) *w = STACK_PAINT;
    return sp;
}

/* Bytes between main's stack pointer and the lowest word no longer holding the paint. */
static unsigned stack_used(const uint32_t *sp)
{
    const volatile uint32_t *w = sp - STACK_SPAN / 4;
    while (w < sp && *w == STACK_PAINT) w++;
    return (unsigned)((const uint32_t *)sp - (const uint32_t *)w) * 4u;
}
#endif

#endif /* BENCH_FIRMWARE_BASE_H */
