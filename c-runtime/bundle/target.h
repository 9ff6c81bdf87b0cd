/*
 * target.h: what the harness (main.c) needs from a board.
 * target/mps2_an386/target.c implements it for QEMU's mps2-an386 (semihosting), target/host/target.c
 * for a PC. On your board, implement these two over a UART, RTT or a debugger console.
 */
#ifndef TINYML_BUNDLE_TARGET_H
#define TINYML_BUNDLE_TARGET_H

/* Writes a NUL-terminated string (lines end in \n). */
void target_write(const char *text);

/* Ends the run: status 0 when every checked vector passed, else 1. May return on a board
 * that has nowhere to go; main then returns. */
void target_exit(int status);

#endif /* TINYML_BUNDLE_TARGET_H */
