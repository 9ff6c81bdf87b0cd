/**
 * The boards an export bundle has glue for (the registry of bundle targets): the name users
 * pass, the directory of its glue under c-runtime/bundle/target/, the files copied from it,
 * and the Makefile and README templates (paths under c-runtime/bundle/) that build and run it.
 */
export interface BundleTarget {
  dir: string;
  board: string;
  /** Files of target/<dir>/ the bundle holds (start-up code, target.h's functions, linker script). */
  glue: readonly string[];
  makefile: string;
  readme: string;
}

export const BUNDLE_TARGETS: Record<string, BundleTarget> = {
  'cortex-m4f': {
    dir: 'mps2_an386',
    board: 'Arm MPS2 AN386 (Cortex-M4F), emulated by qemu-system-arm -M mps2-an386',
    glue: ['target.c', 'mps2_an386.ld'],
    makefile: 'Makefile.in',
    readme: 'README.md.in'
  },
  atmega328p: {
    dir: 'atmega328p',
    board: 'ATmega328P at 16 MHz (Arduino Uno), emulated by simavr',
    glue: ['target.c'],
    makefile: 'target/atmega328p/Makefile.in',
    readme: 'target/atmega328p/README.md.in'
  }
};
