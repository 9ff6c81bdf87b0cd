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
  /** The emulated machine, for the README (default: dir with its first _ as -). */
  machine?: string;
  /** The toolchain and emulator `make run` uses, and their Debian packages (for the README). */
  toolchain: string;
  packages: string;
}

export const BUNDLE_TARGETS: Record<string, BundleTarget> = {
  'cortex-m4f': {
    dir: 'mps2_an386',
    board: 'Arm MPS2 AN386 (Cortex-M4F), emulated by qemu-system-arm -M mps2-an386',
    glue: ['target.c', 'mps2_an386.ld'],
    makefile: 'Makefile.in',
    readme: 'README.md.in',
    toolchain: 'arm-none-eabi-gcc + newlib nano, then qemu-system-arm -M mps2-an386',
    packages: 'gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm'
  },
  rv32imc: {
    dir: 'qemu_virt_rv32',
    board: 'an RV32IMC core (as in the ESP32-C3), emulated by qemu-system-riscv32 -M virt',
    glue: ['target.c', 'qemu_virt_rv32.ld'],
    makefile: 'Makefile.qemu_virt_rv32.in',
    readme: 'README.md.in',
    machine: 'virt (qemu-system-riscv32)',
    toolchain: 'riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 + picolibc, then qemu-system-riscv32 -M virt',
    packages: 'gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc'
  },
  atmega328p: {
    dir: 'atmega328p',
    board: 'ATmega328P at 16 MHz (Arduino Uno), emulated by simavr',
    glue: ['target.c'],
    makefile: 'target/atmega328p/Makefile.in',
    readme: 'target/atmega328p/README.md.in',
    toolchain: 'avr-gcc -mmcu=atmega328p + avr-libc, then simavr',
    packages: 'gcc-avr avr-libc simavr'
  }
};
