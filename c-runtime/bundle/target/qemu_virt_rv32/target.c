/*
 * target/qemu_virt_rv32/target.c: an RV32IMC core on QEMU's virt machine
 * (qemu-system-riscv32 -M virt -bios none), in machine mode.
 * The entry point (stack, thread pointer, trap vector), a reset handler that sets up .data
 * and .bss before main, and target.h over RISC-V semihosting (QEMU's
 * -semihosting-config enable=on; on hardware, a debugger such as OpenOCD serves it).
 */
#include <stdint.h>

#include "../../target.h"

int main(void);
void reset_handler(void);
void fault_handler(void);

/* The first code QEMU runs: the stack pointer and thread pointer (picolibc's errno lives in
 * thread-local storage) from the linker script, mtvec at fault_handler, then reset_handler.
 * The CSR write needs Zicsr, which -march=rv32imc leaves out under the 2019 ISA spec. */
__asm__(
    ".section .text.start, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "    la sp, ld_stack_top\n"
    "    la tp, ld_tls_start\n"
    "    la t0, fault_handler\n"
    "    .option push\n"
    "    .option arch, +zicsr\n"
    "    csrw mtvec, t0\n"
    "    .option pop\n"
    "    call reset_handler\n"
    "    .text\n");

/* Semihosting operations and the exit reasons QEMU turns into exit codes 0 and 1. */
#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023

/* The semihosting call: ebreak between two marker instructions, all three uncompressed and in
 * one page (the 16-byte alignment), else QEMU sees a plain breakpoint. */
static void semihost(int op, const void *arg)
{
    register int a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n\t"
                     ".option norvc\n\t"
                     ".balign 16\n\t"
                     "slli zero, zero, 0x1f\n\t"
                     "ebreak\n\t"
                     "srai zero, zero, 7\n\t"
                     ".option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
}

void target_write(const char *text)
{
    semihost(SYS_WRITE0, text);
}

void target_exit(int status)
{
    /* On RV32 the reason is passed in a1 itself, not through a block. */
    semihost(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUN_TIME_ERROR));
    for (;;) {
    }
}

/* From the linker script (qemu_virt_rv32.ld). */
extern uint32_t ld_data_load[], ld_data_start[], ld_data_end[], ld_bss_start[], ld_bss_end[];

void reset_handler(void)
{
    uint32_t *src = ld_data_load;
    uint32_t *dst;
    for (dst = ld_data_start; dst < ld_data_end;) {
        *dst++ = *src++;
    }
    for (dst = ld_bss_start; dst < ld_bss_end;) {
        *dst++ = 0u;
    }
    target_exit(main());
}

/* mtvec's target: any exception (an illegal instruction, a misaligned or faulting access). */
__attribute__((aligned(4))) void fault_handler(void)
{
    target_write("fault: the CPU raised an exception\nRESULT FAIL\n");
    target_exit(1);
}
