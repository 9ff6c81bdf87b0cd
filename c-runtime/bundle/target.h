/*
 * target.h: what the harness (main.c) needs from a board.
 * target/mps2_an386/target.c implements it for QEMU's mps2-an386 (semihosting),
 * target/atmega328p/target.c for an ATmega328P (USART0, simavr), target/host/target.c for a PC.
 * On your board, implement these two over a UART, RTT or a debugger console.
 */
#ifndef TINYML_BUNDLE_TARGET_H
#define TINYML_BUNDLE_TARGET_H

/* Writes a NUL-terminated string (lines end in \n). */
void target_write(const char *text);

/* Ends the run: status 0 when every checked vector passed, else 1. May return on a board
 * that has nowhere to go; main then returns. */
void target_exit(int status);

/* Optional: a free-running cycle counter (mod 2^32). A target that has one is built with
 * -DTARGET_CYCLES and implements it; the harness then prints the cycles of every inference. */
#if defined(TARGET_CYCLES)
#include <stdint.h>
uint32_t target_cycles(void);
#endif

#endif /* TINYML_BUNDLE_TARGET_H */
