/* Bare-metal Cortex-M firmware for QEMU mps2-an386 (Cortex-M4F).
 *
 * Runs bench_predict over the first BENCH_FW_ROWS test rows between two marker functions,
 * so an instruction trace (-d exec with -singlestep) can be cut to exactly that window.
 * Before the window it paints the stack below main's frame with a pattern; afterwards the
 * lowest overwritten word gives the deepest stack the predictions used (libraries included).
 * Reports "agree=K/N stack=S" and exits through ARM semihosting (bkpt 0xAB): no C library
 * start-up is needed, only libgcc (soft-float helpers) and memcpy from newlib-nano. */
#include <stdint.h>
#include "bench_rows.h"

#ifndef BENCH_FW_ROWS
#define BENCH_FW_ROWS 10
#endif
#if BENCH_FW_ROWS > BENCH_N_ROWS
#undef BENCH_FW_ROWS
#define BENCH_FW_ROWS BENCH_N_ROWS
#endif

int32_t bench_predict(const float *x);
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

static volatile int32_t predictions[BENCH_FW_ROWS];

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
    write_text(line);
    semihost_call(SEMIHOST_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
    for (;;) {
    }
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
