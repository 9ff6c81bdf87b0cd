/* Shared by the benchmarks' Cortex-M4F firmwares (bench/common/c/firmware.c, bench/features/c/firmware.c):
 * ARM semihosting output and exit, the two marker functions an instruction trace is cut at, the
 * stack paint for the high-water mark, and the start-up code and vector table. Included once by
 * a firmware that defines main(). */
#ifndef BENCH_FIRMWARE_BASE_H
#define BENCH_FIRMWARE_BASE_H

#include <stdint.h>

int main(void);

/* ---- semihosting ---------------------------------------------------------------------- */
#define SEMIHOST_WRITE0 0x04
#define SEMIHOST_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int semihost_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void write_text(const char *s) { semihost_call(SEMIHOST_WRITE0, s); }

static char *format_uint(char *out, unsigned v)
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
#define STACK_PAINT 0xC5A3E1B7u
#define STACK_SPAN (16u * 1024u) /* painted below main's frame; a result of STACK_SPAN means "at least" */

/* Paints [sp - STACK_SPAN, sp - 8) and returns sp. Inlined into main: the loop runs in
 * main's frame and touches only memory below the stack pointer, which nothing uses yet. */
static inline __attribute__((always_inline)) uint32_t *paint_stack(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
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

/* ---- start-up ------------------------------------------------------------------------- */
extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[], _stack_top[];

void reset_handler(void)
{
    /* Enable CP10/CP11 (the FPU) before any float instruction runs. */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");

    for (uint32_t *src = _data_load, *dst = _data_start; dst < _data_end;) *dst++ = *src++;
    for (uint32_t *dst = _bss_start; dst < _bss_end;) *dst++ = 0;
    main();
}

static void fault_handler(void)
{
    write_text("fault\n");
    semihost_call(SEMIHOST_EXIT, (const void *)0x20023); /* ADP_Stopped_RunTimeErrorUnknown */
    for (;;) {
    }
}

/* Initial stack pointer, reset, NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) static void *const vector_table[] = {
    _stack_top,    (void *)reset_handler, (void *)fault_handler, (void *)fault_handler,
    (void *)fault_handler, (void *)fault_handler, (void *)fault_handler,
};

#endif /* BENCH_FIRMWARE_BASE_H */
