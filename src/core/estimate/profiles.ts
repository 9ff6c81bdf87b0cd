/**
 * Target profiles: six classes of microcontroller, what they hold and what their
 * instructions cost. The data only; estimate/targets.ts computes a model's estimate on them.
 * How the numbers were measured is told at each table below and in estimate/targets.ts.
 */

/** Instruction sets whose code sizes differ. */
export type CodeIsa = 'thumb2' | 'thumb1' | 'rv32imc' | 'avr8';

export interface TargetProfile {
  id: string;
  name: string;
  core: string;
  /** A typical low-cost part of the class, whose memory gives the budgets. */
  examplePart: string;
  clockMHz: number;
  flashBytes: number;
  ramBytes: number;
  fpu: boolean;
  isa: CodeIsa;
  /** Cycles per Cortex-M4F integer/memory instruction of the same C code. */
  cyclesPerInstruction: number;
  /** Cycles per float32 add/multiply/compare/convert: FPU instruction or soft-float call. */
  cyclesPerFloatOp: number;
  /**
   * Cycles per tree split's compare with its threshold (OperationCount.floatCompares), where
   * it differs from cyclesPerFloatOp: cores without an FPU compare the float's bits as integers.
   */
  cyclesPerFloatCompare?: number;
  /** Cycles per expf / powf / floorf-class library call. */
  cyclesPerMathCall: number;
  /**
   * avr-gcc copies const data to RAM at start-up unless it is marked PROGMEM (avr-libc's
   * linker scripts place .rodata in .data, copied from flash by __do_copy_data). The runtime
   * puts every table in program memory on AVR (TML_CONST_TABLE, read with lpm through
   * TML_READ_*, c-runtime/include/tinyml/progmem.h), a net's layer descriptors too, but the
   * other descriptors (the structs that point at the tables) stay ordinary const data: where
   * avr-gcc does not fold one into the code it counts against RAM (each family's
   * descriptorsInRamBytes; tests/python/test_isa_code_size.py checks where avr-gcc puts each,
   * test_estimates_calibration.py the linked RAM).
   */
  descriptorsInRam: boolean;
  /**
   * The core's own instructions per Cortex-M4F integer instruction, float operation, split
   * compare and math call, fitted to an emulator's counts, and the core's cycles per own
   * instruction: where given, cycles are these instructions times `cyclesEach` (the
   * cyclesPer* prices above then only describe the same model per M4F operation).
   */
  ownInstructions?: OwnInstructions;
}

export interface OwnInstructions {
  perInstruction: number;
  perFloatOp: number;
  perFloatCompare: number;
  /** A generated predict's leaf add (OperationCount.leafAdds); absent: perFloatOp. */
  perLeafAdd?: number;
  perMathCall: number;
  cyclesEach: number;
}

const KIB = 1024;

/**
 * AVR (ATmega328P) cycles per Cortex-M4F operation, fitted by non-negative least squares
 * (relative error) on simavr's cycle counts (Timer1, at 16 MHz) of 44 export bundles built
 * with avr-gcc 5.4 -Os, avr-libc: the models of tests/python/test_avr.py and the cases of
 * tests/python/test_cycles_calibration.py that fit the part (bench/avr/fit_cycles.py). An
 * integer instruction is 6.7 cycles (32-bit arithmetic is four 8-bit operations; table reads
 * are lpm, 3 cycles a byte; loads and branches 2); avr-libc's float add or multiply with its
 * call and argument moves about 122; a split's compare of float bits adds nothing over the
 * split's integer instructions (the fit puts it at zero); an expf about 2570. Per model within
 * -21% (a scaler before a logistic regression) to +23% (an int16 isolation forest); the 10-tree
 * inline float32 forest, +29% when its generated predict was priced a float add per leaf-row
 * value, is +4.7% with only the non-zero ones counted.
 */
const AVR_CYCLES = { perInstruction: 6.69, perFloatOp: 121.9, perFloatCompare: 0, perMathCall: 2573 };

/**
 * RV32IMC instructions per Cortex-M4F operation, fitted by least squares (relative error) on
 * qemu-system-riscv32 counts of the 39 cases of tests/python/test_cycles_calibration.py built
 * with riscv64-unknown-elf-gcc 12.2 -Os, picolibc (bench/rv32/fit_instructions.py): libgcc's
 * soft-float add or multiply with its call is about 73 instructions, a split's compare of float
 * bits 4.4, an expf about 2250. Per model within -15% to +24% for trees, -24% to +21% for the
 * rest (mean |error| 11%; the clang-scaled estimate before was 2-5x off). The ESP32-C3's
 * cycles per instruction are not measured (QEMU counts none): 1.2 assumes its in-order
 * pipeline's taken-branch and load-use stalls with code in the flash cache.
 */
const RV32_INSTRUCTIONS: OwnInstructions = {
  perInstruction: 1.15,
  perFloatOp: 73.5,
  perFloatCompare: 4.4,
  // the two forests whose generated predict adds leaf values (forest_float32_inline, +45.7%
  // at perFloatOp, and forest_int8_inline): 35 puts both within 2% of QEMU
  perLeafAdd: 35,
  perMathCall: 2250,
  cyclesEach: 1.2
};

/**
 * Cycle factors: Cortex-M4/M3 take 1 cycle per ALU instruction, 2 per load and 2-4 per taken
 * branch (ARM Cortex-M4 and M3 TRMs): ~1.25 on this load- and branch-heavy code; an FPU add,
 * multiply or compare takes 1 cycle, VCMP+VMRS 2, so 1.5 per float op. Cortex-M7 dual-issues
 * (~0.7). Cortex-M0+ runs Thumb-1, ~1.3x the instructions of Thumb-2 for the same C, at
 * ~1.3 cycles each. Soft float: libgcc's __aeabi_fadd/fmul/fcmpXX are 40-60 cycles on
 * Thumb-2 and 60-90 on Thumb-1; RISC-V's generic soft-fp ~70; avr-libc's assembler float
 * routines ~100-150 (fmul ~140, fadd ~100 cycles); AVR's are measured (AVR_CYCLES). expf:
 * ~120 cycles with an FPU (newlib), thousands without.
 *
 * Checked for Cortex-M3 in QEMU (mps2-an385, the bundles rebuilt -mcpu=cortex-m3
 * -mfloat-abi=soft, 20 models of every family): least squares on the measured instruction
 * counts gives 38.5 instructions per soft float op (what 50 cycles at 1.3 per instruction
 * assume) and ~1250 per expf (1500 cycles: ~1150 assumed); per model the M3 count is within
 * -16% to +25% of the estimate's. QEMU counts no cycles: the cycles per instruction are not
 * measured.
 *
 * Checked for Cortex-M0+ in QEMU (microbit, a Cortex-M0: the bundles rebuilt -mcpu=cortex-m0plus
 * -mfloat-abi=soft with a 256 KB flash / 16 KB RAM linker script, 14 models of every family,
 * the same rows counted on mps2-an386): with 1.3 Thumb-1 instructions per M4F integer one,
 * least squares gives 64 instructions per soft float op (libgcc's Armv6-M soft float; 58
 * assumed before) and ~3100 per expf (~1900 assumed), hence 83 and 4000 cycles at 1.3 per
 * instruction. The integer factor itself is not separable from these counts (1.0-1.6 fit
 * equally). One price per float op is a compromise: the compares of float trees cost ~48
 * instructions each, the multiply-adds of nets, Gaussian and neighbour models 85-100, so per
 * model the M0 count is within -35% (Gaussian NB) to +27% (float trees) of the estimate's;
 * int16 tables trees within 1%. int8 networks run ~4x the M4F's integer instructions
 * (requantization's 32x32->64-bit multiplies are library calls without SMULL): their M0+
 * cycles are underestimated.
 */
export const TARGETS: TargetProfile[] = [
  {
    id: 'cortex-m0plus',
    name: 'Cortex-M0+',
    core: 'Arm Cortex-M0+ (Armv6-M, Thumb-1), no FPU',
    examplePart: 'STM32G031K8 (64 KB flash, 8 KB RAM, 64 MHz)',
    clockMHz: 64,
    flashBytes: 64 * KIB,
    ramBytes: 8 * KIB,
    fpu: false,
    isa: 'thumb1',
    cyclesPerInstruction: 1.7,
    cyclesPerFloatOp: 83,
    cyclesPerMathCall: 4000,
    descriptorsInRam: false
  },
  {
    id: 'cortex-m3',
    name: 'Cortex-M3',
    core: 'Arm Cortex-M3 (Armv7-M, Thumb-2), no FPU',
    examplePart: 'STM32F103C8 (64 KB flash, 20 KB RAM, 72 MHz)',
    clockMHz: 72,
    flashBytes: 64 * KIB,
    ramBytes: 20 * KIB,
    fpu: false,
    isa: 'thumb2',
    cyclesPerInstruction: 1.3,
    cyclesPerFloatOp: 50,
    cyclesPerMathCall: 1500,
    descriptorsInRam: false
  },
  {
    id: 'cortex-m4f',
    name: 'Cortex-M4F',
    core: 'Arm Cortex-M4 with single-precision FPU (Armv7E-M, Thumb-2)',
    examplePart: 'STM32F411CE (512 KB flash, 128 KB RAM, 100 MHz); nRF52832 is similar (512 KB / 64 KB, 64 MHz)',
    clockMHz: 100,
    flashBytes: 512 * KIB,
    ramBytes: 128 * KIB,
    fpu: true,
    isa: 'thumb2',
    cyclesPerInstruction: 1.25,
    cyclesPerFloatOp: 1.5,
    cyclesPerMathCall: 120,
    descriptorsInRam: false
  },
  {
    id: 'cortex-m7',
    name: 'Cortex-M7',
    core: 'Arm Cortex-M7 with FPU (Armv7E-M, Thumb-2, dual issue, caches)',
    examplePart: 'STM32F746 (1 MB flash, 320 KB RAM, 216 MHz, single-precision FPv5)',
    clockMHz: 216,
    flashBytes: 1024 * KIB,
    ramBytes: 320 * KIB,
    fpu: true,
    isa: 'thumb2',
    cyclesPerInstruction: 0.7,
    cyclesPerFloatOp: 0.8,
    cyclesPerMathCall: 70,
    descriptorsInRam: false
  },
  {
    id: 'esp32-c3',
    name: 'ESP32-C3',
    core: 'RISC-V RV32IMC (ESP32-C3), no FPU; code runs from cached external flash',
    examplePart:
      'ESP32-C3 (4 MB flash of which a 1 MB default app partition, 400 KB SRAM of which ~320 KB data RAM, 160 MHz)',
    clockMHz: 160,
    flashBytes: 1024 * KIB,
    ramBytes: 320 * KIB,
    fpu: false,
    isa: 'rv32imc',
    cyclesPerInstruction: RV32_INSTRUCTIONS.perInstruction * RV32_INSTRUCTIONS.cyclesEach,
    cyclesPerFloatOp: RV32_INSTRUCTIONS.perFloatOp * RV32_INSTRUCTIONS.cyclesEach,
    cyclesPerMathCall: RV32_INSTRUCTIONS.perMathCall * RV32_INSTRUCTIONS.cyclesEach,
    descriptorsInRam: false,
    ownInstructions: RV32_INSTRUCTIONS
  },
  {
    id: 'avr',
    name: 'AVR',
    core: 'AVR 8-bit (ATmega), no FPU, no hardware divide',
    examplePart: 'ATmega328P (32 KB flash, 2 KB RAM, 16 MHz)',
    clockMHz: 16,
    flashBytes: 32 * KIB,
    ramBytes: 2 * KIB,
    fpu: false,
    isa: 'avr8',
    cyclesPerInstruction: AVR_CYCLES.perInstruction,
    cyclesPerFloatOp: AVR_CYCLES.perFloatOp,
    cyclesPerFloatCompare: AVR_CYCLES.perFloatCompare,
    cyclesPerMathCall: AVR_CYCLES.perMathCall,
    descriptorsInRam: true
  }
];

export function targetProfile(target: string | TargetProfile): TargetProfile {
  if (typeof target !== 'string') {
    return target;
  }
  const found = TARGETS.find(t => t.id === target);
  if (!found) {
    throw new Error(`unknown target ${JSON.stringify(target)}; use one of ${TARGETS.map(t => t.id).join(', ')}`);
  }
  return found;
}

/** Cores with Armv7E-M's DSP instructions (SMLAD), which net.h's int8 kernels use. */
const DSP_TARGETS = ['cortex-m4f', 'cortex-m7'];

export function hasDspInstructions(profile: TargetProfile): boolean {
  return DSP_TARGETS.includes(profile.id);
}

/**
 * C library bytes per library class: Arm hard float, Thumb-2 soft float, Thumb-1 soft float
 * (arm-none-eabi-gcc, newlib nano), RV32IMC (riscv64-unknown-elf-gcc, libgcc's soft float
 * and picolibc's libm for rv32im/ilp32: bench/rv32/fit_code_size.py) and AVR (avr-gcc 5.4,
 * avr-libc's assembler float routines and libm, ATmega328P: bench/avr/fit_code_size.py, the
 * bytes a calibration header's link adds beyond the symbols of its own object).
 */
export type LibraryBytes = [armFpu: number, thumb2Soft: number, thumb1Soft: number, rv32imc: number, avr8: number];

/**
 * Model code on Arm cores relative to Cortex-M4F (Thumb-2, hard float), for code that is not
 * dominated by float compares: Thumb-2 without an FPU and Thumb-1 call a soft-float helper
 * where the M4F has a VFP instruction, 1.02x and 1.05x on the calibration models. Families
 * whose code differs (inline float trees) give their own factors.
 */
export function armCodeFactor(profile: TargetProfile): number {
  return profile.isa === 'thumb1' ? 1.05 : profile.fpu ? 1 : 1.02;
}
