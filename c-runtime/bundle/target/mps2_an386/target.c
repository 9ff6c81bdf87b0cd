/*
 * target/mps2_an386/target.c: Arm MPS2 AN386 (Cortex-M4F) as qemu-system-arm -M mps2-an386 emulates it.
 * The vector table, a reset handler that turns the FPU on and
 * sets up .data and .bss before main, and target.h over Arm semihosting (QEMU's
 * -semihosting-config enable=on; on hardware, a debugger that serves semihosting).
 */
#include <stdint.h>

#include "../../target.h"

int main(void);

/* Semihosting operations and the exit reasons QEMU turns into exit codes 0 and 1. */
#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023

static void semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

void target_write(const char *text)
{
    semihost(SYS_WRITE0, text);
}

void target_exit(int status)
{
    /* On AArch32 the reason is passed in r1 itself, not through a block. */
    semihost(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUN_TIME_ERROR));
    for (;;) {
    }
}

/* From the linker script (mps2_an386.ld). */
extern uint32_t ld_data_load[], ld_data_start[], ld_data_end[], ld_bss_start[], ld_bss_end[], ld_stack_top[];

void reset_handler(void);
void fault_handler(void);

void reset_handler(void)
{
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    uint32_t *src = ld_data_load;
    uint32_t *dst;
    /* Full access to CP10 and CP11 (the FPU) before any float instruction runs. */
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");
    for (dst = ld_data_start; dst < ld_data_end;) {
        *dst++ = *src++;
    }
    for (dst = ld_bss_start; dst < ld_bss_end;) {
        *dst++ = 0u;
    }
    target_exit(main());
}

void fault_handler(void)
{
    target_write("fault: the CPU raised an exception\nRESULT FAIL\n");
    target_exit(1);
}

/* The initial stack pointer, then the handlers: Reset, NMI, HardFault, MemManage, BusFault,
 * UsageFault, 4 reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick. A struct keeps the
 * stack pointer a data pointer, so no function/object pointer conversion is needed. */
typedef struct {
    uint32_t *initial_sp;
    void (*handler[15])(void);
} vector_table_t;

__attribute__((section(".vectors"), used)) static const vector_table_t vector_table = {
    ld_stack_top,
    {reset_handler, fault_handler, fault_handler, fault_handler, fault_handler, fault_handler, 0, 0, 0, 0,
     fault_handler, fault_handler, 0, fault_handler, fault_handler}
};
