/**
 * Target profiles and per-target estimates: flash, RAM and cycles per prediction of an
 * exported model on six classes of microcontroller, and whether it fits.
 *
 * Flash: the model's const tables are the same bytes on every core; the evaluator code of
 * src/core/size.ts (Cortex-M4F) is scaled per instruction set, and the C library code one
 * prediction pulls in (soft-float helpers, expf, floorf, sqrtf) is added. The Arm figures are
 * measured with arm-none-eabi-gcc 12.2 -Os, newlib nano, --gc-sections, and the RV32IMC
 * (ESP32-C3) ones with riscv64-unknown-elf-gcc 12.2 -march=rv32imc -mabi=ilp32, picolibc,
 * and the AVR (ATmega328P) ones with avr-gcc 5.4, avr-libc (tests/python/test_estimates_calibration.py
 * checks all three within its stated band).
 *
 * Cycles: an instruction count on Cortex-M4F (networks: describeNet's; the other families and
 * feature stages: the costs below), every family fitted on QEMU counts of predict
 * (tests/python/test_cycles_calibration.py checks it: within 15% for nets, linear, Gaussian,
 * SVM, neighbour models and feature stages, 30% for trees, whose paths depend on the data).
 * It is split into float operations, library calls and the rest, each priced per core by
 * the instruction-set timings below: those prices are not measured (QEMU counts no cycles),
 * so expect other cores' cycles within about a factor of two, good for ranking. RV32IMC
 * (ESP32-C3) has its own instruction count, fitted on qemu-system-riscv32 (profiles.ts,
 * ownInstructions; test_cycles_calibration.py checks it), priced at an assumed CPI. AVR's
 * prices are fitted on simavr's cycle counts (profiles.ts, AVR_CYCLES; checked there too).
 */
import type { CompiledModel, LoweredModel } from '../compile';
import { familyOf } from '../families/registry';
import { FeatureStage } from '../features/stage';
import { logMelFrames } from '../features/runtime';
import type { Strategy } from '../options';
import { MATH_CALL_INSTRUCTIONS, OperationCount, addOperations } from './costs';
import { LibraryBytes, TARGETS, TargetProfile, targetProfile } from './profiles';
import { estimateSize, perStrategy } from './model';
import { SizeEstimate, SizeItem, formatBytes } from './size';

export { TARGETS, targetProfile } from './profiles';
export type { CodeIsa, TargetProfile } from './profiles';

// ---- flash ------------------------------------------------------------------------------

/** Items of a size estimate that are code (scaled per ISA); the rest are table bytes. */
const CODE_ITEMS = ['evaluator code', 'inline tree code', 'runtime code', 'preprocessing'];

/**
 * Code size relative to Cortex-M4F (Thumb-2, hard float), measured on the calibration models:
 * Thumb-2 without an FPU and Thumb-1 call a soft-float helper where the M4F has a VFP
 * instruction with a literal, so inline float32 trees are smaller there (0.81-0.85x) while
 * the other code is 1.0-1.2x.
 *
 * RV32IMC and AVR: each family's factor is gcc's code over the M4F estimate's on the
 * calibration headers (bench/rv32/fit_code_size.py; bench/avr/fit_code_size.py with avr-gcc
 * 5.4, tables in program memory), AVR's inline trees priced per split, leaf add and tree
 * (families/trees/estimate.ts, AVR_INLINE_CODE). The clang figures below are the earlier
 * transfer, which put AVR's flash at -42% to +110% of avr-gcc's link.
 *
 * Before gcc: measured with clang 14 (Debian's, -Os
 * -ffunction-sections -fdata-sections, objects of a main that calls predict minus an empty
 * main, its const tables left out): the model's code for rv32imc / ilp32 and for
 * atmega328p over clang's for Thumb-2 soft float (thumbv7m, cortex-m3), times the Thumb-2
 * soft-float factor above, which gcc is calibrated on. On 40 calibration headers
 * (tests/python/test_isa_code_size.py rechecks 11): RV32IMC 1.3-1.8x Thumb-2 for the short
 * table-walk, Gaussian, SVM, neighbour and single-layer net code (no indexed loads, addresses
 * built with lui+addi), 1.0-1.35x for inline trees (compressed compares and branches) and
 * about 1.2x for the network runtime; AVR 2-3.5x (a 32-bit operation is four 8-bit ones;
 * soft-float calls pass 4-byte arguments in register quadruples), 4x for multi-layer networks
 * (int32/int64 requantization), 1.35x per inline split plus about 350 B of fixed code. The
 * factors below put the estimate's code ratio within -20% to +16% of clang's on RV32IMC and
 * -17% to +20% on AVR (mean |error| 6.5%; AVR: all but the 70 KB scaler+kNN, which clang
 * refuses on a 16-bit target). Caveats: clang's ratios between Arm ISAs run 10-15% under
 * gcc's (Thumb-1 over Thumb-2 tables code: clang 0.9x, gcc 1.05x), and LLVM's AVR backend is
 * younger than avr-gcc, so these are a clang-to-clang transfer, not a gcc measurement; feature
 * stages and a pipeline's preprocessing take the model's factor unmeasured. Each family's
 * factors (Family.codeFactor) sit with its size model in families/<family>/estimate.ts.
 */
export function isCodeItem(item: SizeItem): boolean {
  return CODE_ITEMS.includes(item.name);
}

/**
 * What libgcc / newlib nano / libm add when a prediction is linked (measured, see the file
 * comment; each family's classes in Family.libraries). Soft float brings __aeabi_f* helpers;
 * quantized features add floorf and float to int conversion; softmax, logistic, RBF kernels
 * and the isolation score add expf/exp2f (2 KB even with an FPU).
 *
 * Library bytes on a target. RV32IMC's are measured (LibraryBytes' fourth column: libgcc's
 * generic C soft float and picolibc's libm, 1.8-3.5x the Arm Thumb-2 assembler helpers;
 * floorf and the float-to-int conversions of quantized features are the largest part).
 * AVR's too (the fifth column, avr-gcc 5.4 and avr-libc: bench/avr/fit_code_size.py): its
 * float routines are compact assembler, 0.2-0.7x Thumb-2's (an add 204 B, a multiply 210, a
 * division 220, expf with ldexp and modf about 400); a multi-layer or int8 network also links
 * 32x32->64-bit multiplies and conversions, an int8 one 64-bit products and shifts (the nets'
 * AVR-only classes).
 */
function libraryBytes(model: LoweredModel, strategy: Strategy, target: TargetProfile): number {
  const column = (bytes: LibraryBytes): number => {
    if (target.isa === 'thumb1') {
      return bytes[2];
    }
    if (target.isa === 'thumb2') {
      return target.fpu ? bytes[0] : bytes[1];
    }
    return target.isa === 'rv32imc' ? bytes[3] : bytes[4];
  };
  return familyOf(model)
    .libraries(model, strategy)
    .reduce((sum, bytes) => sum + column(bytes), 0);
}

/** The Cortex-M4F size estimate of a lowered model (size.ts), for one code strategy. */
export function m4fSize(model: LoweredModel, strategy: Strategy = 'tables'): SizeEstimate {
  return estimateSize(model, strategy);
}

// ---- cycles -----------------------------------------------------------------------------

/**
 * Feature stages, fitted on QEMU counts of predict (IMU windows of 16-64 steps with and
 * without the magnitude, within 1%; log-mel of 64-512-point frames, 1-3 frames, 16-40 bands,
 * with and without MFCCs, within 3%). IMU: per sample of each statistics series (two passes)
 * and per series (two sqrtf, seven stores), per sample of the magnitude (its sqrtf).
 * Log-mel, per frame: per radix-2 butterfly, per sample (window, bit reversal, power,
 * filterbank), per band (its log10f, priced as one library call) and per DCT multiply-add.
 */
const IMU_INSTRUCTIONS = { seriesSample: 33, series: 73, magnitudeSample: 23 };
const LOG_MEL_INSTRUCTIONS = { butterfly: 34, sample: 20, band: 122, dct: 6.6 };

function stageOperations(stage: FeatureStage): OperationCount {
  if (stage.kind === 'imu_stats') {
    const series = stage.nAxes + (stage.magnitude ? 1 : 0);
    const cost = IMU_INSTRUCTIONS;
    return {
      instructions:
        series * (stage.steps * cost.seriesSample + cost.series) +
        (stage.magnitude ? stage.steps * cost.magnitudeSample : 0),
      // per sample: sum, square, min, max, then deviation, sign and its square; the magnitude's
      // sqrtf counts as ten float operations (a soft-float sqrtf is about ten adds)
      floatOps: series * (9 * stage.steps + 12) + (stage.magnitude ? 15 * stage.steps : 0),
      mathCalls: 0
    };
  }
  const frames = logMelFrames(stage.samples, stage.nFft, stage.hop);
  const butterflies = (stage.nFft / 2) * Math.log2(stage.nFft);
  const dct = stage.nMfcc * stage.nMels;
  const cost = LOG_MEL_INSTRUCTIONS;
  return {
    instructions:
      frames *
      (butterflies * cost.butterfly +
        stage.nFft * cost.sample +
        stage.nMels * (cost.band - MATH_CALL_INSTRUCTIONS) +
        dct * cost.dct),
    floatOps: frames * (10 * butterflies + 4 * stage.nFft + 2 * stage.nMels + 2 * dct),
    mathCalls: frames * stage.nMels
  };
}

export function operationCount(model: LoweredModel, strategy: Strategy = 'tables'): OperationCount {
  return perStrategy(operationCounts, model, strategy, () => {
    const ops = familyOf(model).operations(model, strategy);
    const stage = model.ir.featureStage;
    return stage ? addOperations(ops, stageOperations(stage)) : ops;
  });
}

const operationCounts = new WeakMap<LoweredModel, Map<Strategy, OperationCount>>();

// ---- the estimate -----------------------------------------------------------------------

export interface TargetEstimate {
  target: string;
  flashBytes: number;
  ramBytes: number;
  cycles: number;
  /**
   * Cortex-M4F instructions of one prediction, C library calls included: what QEMU's
   * mps2-an386 trace counts (tinyml_lab.bundle.run_in_qemu). Every core's cycles are priced
   * from it, so it is the same on every target.
   */
  m4fInstructions: number;
  /**
   * The Cortex-M4F operations one prediction runs on this core (instructions include a
   * core's extra ones, e.g. int8 nets' portable loop without SMLAD): what cycles are priced from.
   */
  operations: OperationCount;
  /**
   * The core's own instructions per prediction, for cores whose instruction counts are fitted
   * to an emulator's (profile.ownInstructions: RV32IMC on qemu-system-riscv32); else null.
   */
  instructions: number | null;
  /** Time per prediction at the profile's clock. */
  microseconds: number;
  flashBudget: number;
  ramBudget: number;
  fitsFlash: boolean;
  fitsRam: boolean;
  fits: boolean;
  flash: SizeItem[];
  ram: SizeItem[];
}

export interface Budgets {
  /** Bytes available to the model; defaults to the profile's. */
  flashBudget?: number | null;
  ramBudget?: number | null;
}

/**
 * Flash, RAM and cycles of one prediction of a lowered (or compiled) model on a target.
 * A compiled model's strategy is used unless one is given (a lowered model's: resolveStrategy).
 */
export function estimateForTarget(
  model: LoweredModel | CompiledModel,
  target: string | TargetProfile,
  options: Budgets & { strategy?: Strategy } = {}
): TargetEstimate {
  const profile = targetProfile(target);
  const strategy: Strategy = options.strategy ?? ('header' in model ? model.strategy : resolveStrategy(model).strategy);
  const m4f = m4fSize(model, strategy);
  const family = familyOf(model);
  const factor = family.codeFactor(model, strategy, profile);
  const flash: SizeItem[] = m4f.flash.map(item =>
    isCodeItem(item) ? { name: item.name, bytes: Math.round(item.bytes * factor) } : item
  );
  const libs = libraryBytes(model, strategy, profile);
  if (libs > 0) {
    flash.push({ name: profile.fpu ? 'C library (expf, ...)' : 'C library (soft float, ...)', bytes: libs });
  }
  const ram: SizeItem[] = [...m4f.ram];
  const descriptorsInRam = profile.descriptorsInRam ? (family.descriptorsInRamBytes?.(model) ?? 0) : 0;
  if (descriptorsInRam > 0) {
    ram.push({ name: 'descriptors copied to RAM (not PROGMEM)', bytes: descriptorsInRam });
  }
  const ops = operationCount(model, strategy);
  // what a core adds to the Cortex-M4F count (int8 nets: a portable loop for the SMLAD one)
  const portable = family.extraInstructions?.(model, profile) ?? 0;
  const operations = { ...ops, instructions: ops.instructions + portable };
  const own = profile.ownInstructions;
  const compares = ops.floatCompares ?? 0;
  const leafAdds = ops.leafAdds ?? 0;
  const instructions = own
    ? Math.round(
        (operations.instructions - ops.floatOps) * own.perInstruction +
          (ops.floatOps - compares - leafAdds) * own.perFloatOp +
          leafAdds * (own.perLeafAdd ?? own.perFloatOp) +
          compares * own.perFloatCompare +
          ops.mathCalls * own.perMathCall
      )
    : null;
  const cycles =
    own && instructions !== null
      ? Math.round(instructions * own.cyclesEach)
      : Math.round(
          (operations.instructions - ops.floatOps) * profile.cyclesPerInstruction +
            (ops.floatOps - compares) * profile.cyclesPerFloatOp +
            compares * (profile.cyclesPerFloatCompare ?? profile.cyclesPerFloatOp) +
            ops.mathCalls * profile.cyclesPerMathCall
        );
  const flashBytes = flash.reduce((s, i) => s + i.bytes, 0);
  const ramBytes = ram.reduce((s, i) => s + i.bytes, 0);
  const flashBudget = options.flashBudget ?? profile.flashBytes;
  const ramBudget = options.ramBudget ?? profile.ramBytes;
  return {
    target: profile.id,
    flashBytes,
    ramBytes,
    cycles,
    m4fInstructions: Math.round(ops.instructions + ops.mathCalls * MATH_CALL_INSTRUCTIONS),
    operations,
    instructions,
    microseconds: cycles / profile.clockMHz,
    flashBudget,
    ramBudget,
    fitsFlash: flashBytes <= flashBudget,
    fitsRam: ramBytes <= ramBudget,
    fits: flashBytes <= flashBudget && ramBytes <= ramBudget,
    flash,
    ram
  };
}

/** Every target profile's estimate of one model. */
export function estimateAllTargets(
  model: LoweredModel | CompiledModel,
  options: { strategy?: Strategy } = {}
): TargetEstimate[] {
  return TARGETS.map(t => estimateForTarget(model, t, options));
}

// ---- the code form "auto" picks -------------------------------------------------------

/** The code form a model is emitted in, and, when "auto" chose between several, why. */
export interface StrategyChoice {
  strategy: Strategy;
  /**
   * "auto" among several code forms only: one line naming the form chosen, the target, the
   * reason, and every form's estimated cycles, flash and RAM there; else null.
   */
  why: string | null;
}

/**
 * The code form of a lowered model. An explicit request is kept when the family offers it (a
 * family with one form gives that one). "auto" estimates every form the family offers on the
 * options' target and takes the fastest (fewest cycles; on a tie, less flash) among those
 * whose flash and RAM fit the target's part; when none fits, the smallest (least flash, then
 * RAM), which is closest to fitting. Cycles rank the forms on that core: an inline tree saves
 * the table walk's loads and branches, tables save the code of every split.
 */
export function resolveStrategy(model: LoweredModel): StrategyChoice {
  const offered = familyOf(model).exportOptions(model.ir).strategies;
  const requested = model.options.strategy;
  if (requested !== 'auto' || offered.length === 1) {
    return { strategy: requested !== 'auto' && offered.includes(requested) ? requested : offered[0], why: null };
  }
  const profile = targetProfile(model.options.target);
  const candidates = offered.map(strategy => ({ strategy, estimate: estimateForTarget(model, profile, { strategy }) }));
  const fitting = candidates.filter(c => c.estimate.fits);
  const chosen = fitting.length
    ? fitting.reduce((best, c) => (fasterThan(c.estimate, best.estimate) ? c : best))
    : candidates.reduce((best, c) => (smallerThan(c.estimate, best.estimate) ? c : best));
  const budget = `${formatBytes(chosen.estimate.flashBudget)} flash and ${formatBytes(chosen.estimate.ramBudget)} RAM`;
  const reason = fitting.length
    ? `the fastest that fits its ${budget}`
    : `the smallest, as no code form fits its ${budget}`;
  const others = candidates.filter(c => c !== chosen).map(c => `${c.strategy}: ${figures(c.estimate)}`);
  return {
    strategy: chosen.strategy,
    why: `auto chose ${chosen.strategy} for ${profile.name}: ${figures(chosen.estimate)}, ${reason}; ${others.join('; ')}`
  };
}

function fasterThan(a: TargetEstimate, b: TargetEstimate): boolean {
  return a.cycles < b.cycles || (a.cycles === b.cycles && a.flashBytes < b.flashBytes);
}

function smallerThan(a: TargetEstimate, b: TargetEstimate): boolean {
  return a.flashBytes < b.flashBytes || (a.flashBytes === b.flashBytes && a.ramBytes < b.ramBytes);
}

/** "~1,604 cycles, 2.7 KiB flash, 36 B RAM", marking what exceeds the part. */
function figures(e: TargetEstimate): string {
  const over = (fits: boolean) => (fits ? '' : ' (does not fit)');
  return (
    `~${withThousands(e.cycles)} cycles, ${formatBytes(e.flashBytes)} flash${over(e.fitsFlash)}, ` +
    `${formatBytes(e.ramBytes)} RAM${over(e.fitsRam)}`
  );
}

/** 12345 -> "12,345" (no Intl: the embedded V8 may be built without it). */
function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
