/* Bare-metal Cortex-M4F firmware for QEMU mps2-an386, for one case of cases.c.
 *
 * The same scheme as bench/common/c/firmware.c (linked with its firmware.ld), with a set-up
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
        write_text(line);
    } while (i < n);
}

/* ---- the measured window -------------------------------------------------------------- */
__attribute__((noinline)) void bench_window_begin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void bench_window_end(void) { __asm__ volatile(""); }

static volatile uint32_t returned[BENCH_FW_CALLS];

/* ---- stack high-water mark (as bench/common/c/firmware.c) ------------------------------ */
#define STACK_PAINT 0xC5A3E1B7u
#define STACK_SPAN (16u * 1024u)

static inline __attribute__((always_inline)) uint32_t *paint_stack(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *w = sp - STACK_SPAN / 4; w < sp - 2; w++) *w = STACK_PAINT;
    return sp;
}

static unsigned stack_used(const uint32_t *sp)
{
    const volatile uint32_t *w = sp - STACK_SPAN / 4;
    while (w < sp && *w == STACK_PAINT) w++;
    return (unsigned)((const uint32_t *)sp - (const uint32_t *)w) * 4u;
}

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
    write_text(line);
    semihost_call(SEMIHOST_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
    for (;;) {
    }
}

/* ---- start-up ------------------------------------------------------------------------- */
extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[], _stack_top[];

void reset_handler(void)
{
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u; /* enable the FPU */
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");

    for (uint32_t *src = _data_load, *dst = _data_start; dst < _data_end;) *dst++ = *src++;
    for (uint32_t *dst = _bss_start; dst < _bss_end;) *dst++ = 0;
    main();
}

static void fault_handler(void)
{
    write_text("fault\n");
    semihost_call(SEMIHOST_EXIT, (const void *)0x20023);
    for (;;) {
    }
}

__attribute__((section(".vectors"), used)) static void *const vector_table[] = {
    _stack_top,    (void *)reset_handler, (void *)fault_handler, (void *)fault_handler,
    (void *)fault_handler, (void *)fault_handler, (void *)fault_handler,
};
