/**
 * Target profiles and per-target estimates: flash, RAM and cycles per prediction of an
 * exported model on six classes of microcontroller, and whether it fits.
 *
 * Flash: the model's const tables are the same bytes on every core; the evaluator code of
 * src/core/size.ts (Cortex-M4F) is scaled per instruction set, and the C library code one
 * prediction pulls in (soft-float helpers, expf, floorf, sqrtf) is added. The Arm figures are
 * measured with arm-none-eabi-gcc 12.2 -Os, newlib nano, --gc-sections
 * (tests/python/test_estimates_calibration.py checks them within its stated band); the
 * RISC-V and AVR code is scaled by clang's ratios to Thumb-2 (no gcc for either here;
 * tests/python/test_isa_code_size.py), their C library bytes are assumptions.
 *
 * Cycles: an instruction count on Cortex-M4F (networks: describeNet's; the other families and
 * feature stages: the costs below), every family fitted on QEMU counts of predict
 * (tests/python/test_cycles_calibration.py checks it: within 15% for nets, linear, Gaussian,
 * SVM, neighbour models and feature stages, 30% for trees, whose paths depend on the data).
 * It is split into float operations, library calls and the rest, each priced per core by
 * the instruction-set timings below: those prices are not measured (QEMU counts no cycles),
 * so expect other cores' cycles within about a factor of two, good for ranking.
 */
import type { CompiledModel, LoweredModel } from './compile';
import { resolveStrategy } from './compile';
import type { Strategy } from './emit';
import { ForestTables, describeForest, expectedSplits, leafWidth } from './forest';
import { FeatureStage } from './featureStage';
import { GaussianTables } from './gaussian';
import { NeighborsIR, SvmIR } from './kernels';
import { NetTables, TRANSCENDENTAL_ACTIVATIONS, describeNet, int8PortableExtraInstructions } from './net';
import { logMelFrames } from './wasmRuntime';
import { SizeEstimate, SizeItem, estimateSize } from './size';

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
  /** Cycles per expf / powf / floorf-class library call. */
  cyclesPerMathCall: number;
  /**
   * avr-gcc copies const data to RAM at start-up unless it is marked PROGMEM, which the
   * portable runtime does not do: on AVR the tables count against RAM as well. Checked with
   * clang --target=avr (tests/python/test_isa_code_size.py): the header's `static const`
   * arrays, read through ordinary (data-space) pointers, land in .rodata.*, which avr-libc's
   * linker scripts place in .data (copied from flash by __do_copy_data, which the object
   * references); only address space 1 (PROGMEM, read with lpm) stays in .progmem. So on an
   * ATmega328P (2 KB RAM) any model with more than about 1.5 KB of tables does not fit.
   */
  constTablesInRam: boolean;
}

const KIB = 1024;

/**
 * Cycle factors: Cortex-M4/M3 take 1 cycle per ALU instruction, 2 per load and 2-4 per taken
 * branch (ARM Cortex-M4 and M3 TRMs): ~1.25 on this load- and branch-heavy code; an FPU add,
 * multiply or compare takes 1 cycle, VCMP+VMRS 2, so 1.5 per float op. Cortex-M7 dual-issues
 * (~0.7). Cortex-M0+ runs Thumb-1, ~1.3x the instructions of Thumb-2 for the same C, at
 * ~1.3 cycles each. Soft float: libgcc's __aeabi_fadd/fmul/fcmpXX are 40-60 cycles on
 * Thumb-2 and 60-90 on Thumb-1; RISC-V's generic soft-fp ~70; avr-libc's assembler float
 * routines ~100-150 (fmul ~140, fadd ~100 cycles). AVR: a 32-bit add or compare is 4
 * instructions of 1 cycle, loads 2 cycles, so ~4.5 cycles per M4F instruction. expf: ~120
 * cycles with an FPU (newlib), thousands without.
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
    constTablesInRam: false
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
    constTablesInRam: false
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
    constTablesInRam: false
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
    constTablesInRam: false
  },
  {
    id: 'esp32-c3',
    name: 'ESP32-C3',
    core: 'RISC-V RV32IMC (ESP32-C3), no FPU; code runs from cached external flash',
    examplePart: 'ESP32-C3 (4 MB flash of which a 1 MB default app partition, 400 KB SRAM of which ~320 KB data RAM, 160 MHz)',
    clockMHz: 160,
    flashBytes: 1024 * KIB,
    ramBytes: 320 * KIB,
    fpu: false,
    isa: 'rv32imc',
    cyclesPerInstruction: 1.4,
    cyclesPerFloatOp: 70,
    cyclesPerMathCall: 2500,
    constTablesInRam: false
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
    cyclesPerInstruction: 4.5,
    cyclesPerFloatOp: 120,
    cyclesPerMathCall: 3000,
    constTablesInRam: true
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

// ---- flash ------------------------------------------------------------------------------

/** Items of a size estimate that are code (scaled per ISA); the rest are table bytes. */
const CODE_ITEMS = ['evaluator code', 'inline tree code', 'runtime code', 'preprocessing'];

/**
 * Code size relative to Cortex-M4F (Thumb-2, hard float), measured on the calibration models:
 * Thumb-2 without an FPU and Thumb-1 call a soft-float helper where the M4F has a VFP
 * instruction with a literal, so inline float32 trees are smaller there (0.81-0.85x) while
 * the other code is 1.0-1.2x.
 *
 * RV32IMC and AVR: no gcc for either here, so measured with clang 14 (Debian's, -Os
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
 * stages and a pipeline's preprocessing take the model's factor unmeasured.
 */
const ISA_CODE_FACTORS: Record<string, { rv32imc: number; avr8: number }> = {
  'tables-float32': { rv32imc: 1.5, avr8: 2.6 },
  'tables-quantized': { rv32imc: 1.4, avr8: 2.2 },
  'inline-float32': { rv32imc: 0.95, avr8: 1.35 },
  'inline-int16': { rv32imc: 1.15, avr8: 1.35 },
  'inline-int8': { rv32imc: 1.2, avr8: 1.35 },
  net: { rv32imc: 1.2, avr8: 4.1 },
  'net-one-layer': { rv32imc: 1.55, avr8: 3.0 },
  gaussian: { rv32imc: 1.6, avr8: 3.2 },
  svm: { rv32imc: 1.45, avr8: 3.0 },
  neighbors: { rv32imc: 1.5, avr8: 3.2 }
};
/** AVR's fixed inline-tree code (predict, the argmax, soft-float glue), over the per-split factor. */
const AVR_INLINE_FIXED_BYTES = 350;

function codeFactor(isa: CodeIsa, fpu: boolean, model: LoweredModel, strategy: Strategy): number {
  const inline = model.family === 'tree_ensemble' && strategy === 'inline';
  const featureType = model.options.featureType;
  if (isa === 'thumb2') {
    return fpu ? 1 : inline && featureType === 'float32' ? 0.81 : 1.02;
  }
  if (isa === 'thumb1') {
    if (inline) {
      return { float32: 0.85, int16: 1.2, int8: 1.1 }[featureType];
    }
    return 1.05;
  }
  const key =
    model.family === 'tree_ensemble'
      ? inline
        ? `inline-${featureType}`
        : featureType === 'float32'
          ? 'tables-float32'
          : 'tables-quantized'
      : model.family === 'neural_net'
        ? model.tables.layers.length === 1
          ? 'net-one-layer'
          : 'net'
        : model.family;
  const factor = ISA_CODE_FACTORS[key][isa];
  if (isa === 'avr8' && inline) {
    const m4fCode = estimateSize(model, strategy)
      .flash.filter(i => CODE_ITEMS.includes(i.name))
      .reduce((s, i) => s + i.bytes, 0);
    return factor + AVR_INLINE_FIXED_BYTES / Math.max(m4fCode, 1);
  }
  return factor;
}

/** C library bytes per library class: Arm hard float, Thumb-2 soft float, Thumb-1 soft float. */
type LibraryBytes = [armFpu: number, thumb2Soft: number, thumb1Soft: number];

/**
 * What libgcc / newlib nano / libm add when a prediction is linked (measured, see the file
 * comment). Soft float brings __aeabi_f* helpers; quantized features add floorf and float to
 * int conversion; softmax, logistic, RBF kernels and the isolation score add expf/exp2f (2 KB
 * even with an FPU).
 */
const LIBRARIES: Record<string, LibraryBytes> = {
  'tree-f32': [0, 1372, 1980],
  'tree-f32-u8': [0, 1372, 2748],
  'tree-f32-sum': [0, 776, 1344],
  'tree-f32-i16': [0, 1136, 2132],
  'tree-q': [0, 1448, 3636],
  'tree-q-u8': [0, 1448, 3768],
  'tree-q-sum': [0, 1448, 3636],
  'tree-q-i16': [0, 1136, 2936],
  // the isolation score's exp2 (boosting's predict compares raw sums: no expf)
  isolation: [2536, 3508, 5208],
  'net-f32': [2016, 3644, 5796],
  'net-i8': [2016, 3644, 6412],
  'net-linear': [1708, 3644, 5652],
  gauss: [0, 1060, 2720],
  'svm-linear': [0, 900, 1916],
  'svm-exp': [760, 2260, 4500],
  'knn-euclidean': [204, 1780, 3828],
  knn: [164, 1500, 2952],
  // a pipeline's preprocessing net in front of a Gaussian, SVM or neighbour model
  pre: [1900, 2000, 2200]
};

function libraryKeys(model: LoweredModel): string[] {
  const pre = 'pre' in model && model.pre ? ['pre'] : [];
  switch (model.family) {
    case 'tree_ensemble': {
      const t = model.tables;
      const q = t.featureType === 'float32' ? 'tree-f32' : 'tree-q';
      const leaves = t.leafU8 ? '-u8' : t.leafI16 ? '-i16' : t.combine === 'sum' || model.ir.task !== 'classification' ? '-sum' : '';
      return [q + leaves, ...(t.link === 'isolation' ? ['isolation'] : [])];
    }
    case 'neural_net':
      return [model.tables.featureType === 'int8' ? 'net-i8' : model.tables.layers.length === 1 ? 'net-linear' : 'net-f32'];
    case 'gaussian':
      return ['gauss', ...pre];
    case 'svm':
      return [model.ir.kernel === 'linear' ? 'svm-linear' : 'svm-exp', ...pre];
    case 'neighbors':
      return [model.ir.metric === 'euclidean' ? 'knn-euclidean' : 'knn', ...pre];
  }
}

/**
 * Library bytes on a target. RV32IMC's soft float is libgcc's generic C (about 1.4x the Arm
 * Thumb-2 assembler helpers); avr-libc's float routines are compact assembler (about 0.7x).
 * Both are assumptions, not measurements: no riscv32/avr libgcc, compiler-rt builtins or libm
 * is installed here (clang 14 ships only the wasm32 builtins; no riscv64-unknown-elf or
 * avr-gcc toolchain), so nothing can be linked. The clang objects call the same helpers as
 * Thumb-2 soft float (__addsf3, __mulsf3, compares, conversions, expf); AVR also calls
 * __mulsi3 and __divmodsi4, and int8 networks __muldi3 and 64-bit shifts, which this does not
 * count.
 */
function libraryBytes(model: LoweredModel, target: TargetProfile): number {
  const column = (bytes: LibraryBytes): number => {
    if (target.isa === 'thumb1') {
      return bytes[2];
    }
    if (target.isa === 'thumb2') {
      return target.fpu ? bytes[0] : bytes[1];
    }
    return Math.round(bytes[1] * (target.isa === 'rv32imc' ? 1.4 : 0.7));
  };
  return libraryKeys(model).reduce((sum, key) => sum + column(LIBRARIES[key]), 0);
}

/** The Cortex-M4F size estimate of a lowered model (size.ts), for one code strategy. */
export function m4fSize(model: LoweredModel, strategy: Strategy = 'tables'): SizeEstimate {
  return estimateSize(model, strategy);
}

// ---- cycles -----------------------------------------------------------------------------

/**
 * Cortex-M4F instructions of one expf (newlib, hard float): 62-73 measured when the result is
 * a normal float, about 30 when it underflows.
 */
const MATH_CALL_INSTRUCTIONS = 65;

/** Work of one prediction as Cortex-M4F would execute it. */
export interface OperationCount {
  /** All instructions, float ones included. */
  instructions: number;
  /** Of which float32 arithmetic, compares and conversions. */
  floatOps: number;
  /** expf, powf, floorf-class library calls (counted apart from the instructions). */
  mathCalls: number;
}

/**
 * Tree costs in Cortex-M4F instructions, fitted (least squares on the relative error) on QEMU
 * counts of predict for 96 random forests (breast cancer, wine, digits, diabetes; 3 and 20
 * trees; depth 4 and unlimited; every feature type and strategy), each within 9% given the
 * splits the test rows really visit. A table-walk split loads feature, threshold and next
 * and branches (14); an inline split is a compare and a branch (5); a quantized table walk
 * compares int16s (13.5) or, when it quantizes on the fly, also quantizes the split's feature
 * (28.5); quantizing a feature up front (multiply, range checks, truncating floor) is 27.
 * Per tree: the walk's set-up; per leaf value: load and add; per output: the scratch,
 * mean and argmax.
 */
const TREE_INSTRUCTIONS = {
  float: {
    tables: { split: 14, tree: 6, output: 24 },
    inline: { split: 5, tree: 10, output: 24 }
  },
  quantized: {
    tables: { split: 13.5, tree: 0, output: 32 },
    inline: { split: 4.5, tree: 8, output: 25 }
  }
};
const LEAF_VALUE_INSTRUCTIONS = 7;
const QUANTIZE_INSTRUCTIONS = { upFront: 27, onTheFly: 28.5 };
/** Float ops of quantizing one feature: multiply, the NaN and range compares, two conversions. */
const QUANTIZE_FLOAT_OPS = 6;

/**
 * Trees: the splits a row visits are taken as each tree's mean leaf depth (every leaf
 * equally likely), which is within about 15% of what test rows visit on the calibration
 * forests but overestimates shallow trees whose big classes split off near the root.
 * Quantized table walks quantize every feature up front when more splits than features are
 * expected (as the emitted predict does), else each split's feature on the way.
 */
function forestOperations(model: LoweredModel & { family: 'tree_ensemble' }, strategy: Strategy): OperationCount {
  const t: ForestTables = model.tables;
  const structure = describeForest(model.ir);
  const visited = expectedSplits(structure);
  const quantized = t.featureType !== 'float32';
  const cost = TREE_INSTRUCTIONS[quantized ? 'quantized' : 'float'][strategy];
  const perLeaf = leafWidth(t);
  const integerLeaves = Boolean(t.leafU8 ?? t.leafI16);
  let instructions = visited * cost.split + structure.nTrees * (cost.tree + LEAF_VALUE_INSTRUCTIONS * perLeaf) + cost.output * t.nOutputs;
  let floatOps = (integerLeaves ? 0 : structure.nTrees * perLeaf) + 2 * t.nOutputs;
  if (!quantized) {
    floatOps += visited;
  } else if (strategy === 'inline' || visited > t.nFeatures) {
    instructions += QUANTIZE_INSTRUCTIONS.upFront * t.nFeatures;
    floatOps += QUANTIZE_FLOAT_OPS * t.nFeatures;
  } else {
    instructions += (QUANTIZE_INSTRUCTIONS.onTheFly - cost.split) * visited;
    floatOps += QUANTIZE_FLOAT_OPS * visited;
  }
  // predict compares raw sums; only the isolation score needs exp2f, which newlib computes
  // as powf (about four expf)
  const mathCalls = t.link === 'isolation' ? 4 : 0;
  return { instructions, floatOps, mathCalls };
}

/** Cores with Armv7E-M's DSP instructions (SMLAD), which net.h's int8 kernels use. */
const DSP_TARGETS = ['cortex-m4f', 'cortex-m7'];

/**
 * Networks: describeNet's instruction estimate, whose expf / tanhf calls are priced apart;
 * float32 MACs are a multiply and an add, an int8 net quantizes its inputs in float.
 */
function netOperations(tables: NetTables): OperationCount {
  const structure = describeNet(tables);
  let mathCalls = 0;
  let elementwise = 0;
  tables.layers.forEach((l, k) => {
    const outputs = structure.layers[k].outShape.reduce((a, b) => a * b, 1);
    elementwise += outputs;
    if (TRANSCENDENTAL_ACTIVATIONS.includes(l.activation)) {
      mathCalls += outputs;
    }
  });
  const floatOps =
    tables.featureType === 'float32' ? 2 * structure.totalMacs + elementwise : QUANTIZE_FLOAT_OPS * tables.nInputs + 4 * tables.nOutputs;
  const instructions = structure.estimatedInstructions - mathCalls * MATH_CALL_INSTRUCTIONS;
  return { instructions: Math.max(instructions, floatOps), floatOps, mathCalls };
}

/**
 * Gaussian, SVM and neighbour models in Cortex-M4F instructions, fitted on QEMU counts of
 * predict (GaussianNB and GaussianMixture of every covariance type, 2-10 components of 4-64
 * features: within 8%; SVC linear and RBF with 3 and 10 classes and 17-528 support vectors:
 * within 5%; k-neighbours of 75-899 samples, k 1 and 5: within 1%). Gaussian: per
 * triangular precision multiply-add (full, tied), per component feature, per component.
 * SVM: per support-vector feature of the kernel, per support vector (an RBF one adds its
 * expf), per vector and decision it enters, per one-vs-one pair and per vote of a class
 * pair. Neighbours: per stored feature, per sample, per neighbour kept.
 */
const GAUSS_INSTRUCTIONS = { triangular: 9.4, feature: 8.3, sphericalFeature: 6.3, component: 19 };
const SVM_INSTRUCTIONS = { feature: 5, rbfFeature: 6, vector: 10, decisionTerm: 7, pair: 15, vote: 38, base: 40 };
const KNN_INSTRUCTIONS = { feature: 6, manhattanFeature: 7, sample: 16, neighbor: 71 };

function kernelOperations(model: LoweredModel): OperationCount {
  let instructions = 0;
  let floatOps = 0;
  let mathCalls = 0;
  if (model.family === 'gaussian') {
    const g: GaussianTables = model.tables;
    const [k, d] = [g.nComponents, g.nFeatures];
    const cost = GAUSS_INSTRUCTIONS;
    const triangular = g.covariance === 'full' || g.covariance === 'tied' ? (d * (d + 1)) / 2 : 0;
    instructions = k * (triangular * cost.triangular + d * (g.covariance === 'spherical' ? cost.sphericalFeature : cost.feature) + cost.component);
    // per multiply-add a subtract, multiply and add; per feature (diag, spherical) or row (full,
    // tied) a square and an add, diag also its subtract and scale. Predict takes the argmax of
    // the log-likelihoods: no expf.
    const perFeature = g.covariance === 'diag' ? 4 : g.covariance === 'spherical' ? 3 : 2;
    floatOps = k * (3 * triangular + perFeature * d + 2);
  } else if (model.family === 'svm') {
    const ir: SvmIR = model.ir;
    const d = ir.supportVectors.length / Math.max(1, ir.nSupport);
    const classes = ir.intercept.length > 1 ? ir.classes.length : 1;
    const pairs = ir.intercept.length;
    const rbf = ir.kernel === 'rbf';
    const cost = SVM_INSTRUCTIONS;
    instructions =
      ir.nSupport * (d * (rbf ? cost.rbfFeature : cost.feature) + cost.vector + cost.decisionTerm * Math.max(1, classes - 1)) +
      pairs * cost.pair +
      (classes > 1 ? classes * classes * cost.vote : 0) +
      cost.base;
    floatOps = ir.nSupport * (d * (rbf ? 3 : 2) + 2 * Math.max(1, classes - 1));
    mathCalls = ir.kernel === 'linear' ? 0 : ir.nSupport;
  } else if (model.family === 'neighbors') {
    const ir: NeighborsIR = model.ir;
    const d = ir.samples.length / Math.max(1, ir.nSamples);
    const cost = KNN_INSTRUCTIONS;
    instructions = ir.nSamples * (d * (ir.metric === 'euclidean' ? cost.feature : cost.manhattanFeature) + cost.sample) + ir.k * cost.neighbor;
    floatOps = ir.nSamples * (3 * d + 1);
    mathCalls = ir.metric === 'minkowski' ? ir.nSamples * d : 0;
  }
  const pre = 'pre' in model && model.pre ? netOperations(model.pre) : { instructions: 0, floatOps: 0, mathCalls: 0 };
  return {
    instructions: instructions + pre.instructions,
    floatOps: floatOps + pre.floatOps,
    mathCalls: mathCalls + pre.mathCalls
  };
}

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
      instructions: series * (stage.steps * cost.seriesSample + cost.series) + (stage.magnitude ? stage.steps * cost.magnitudeSample : 0),
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
      frames * (butterflies * cost.butterfly + stage.nFft * cost.sample + stage.nMels * (cost.band - MATH_CALL_INSTRUCTIONS) + dct * cost.dct),
    floatOps: frames * (10 * butterflies + 4 * stage.nFft + 2 * stage.nMels + 2 * dct),
    mathCalls: frames * stage.nMels
  };
}

export function operationCount(model: LoweredModel, strategy: Strategy = 'tables'): OperationCount {
  const ops =
    model.family === 'tree_ensemble'
      ? forestOperations(model, strategy)
      : model.family === 'neural_net'
        ? netOperations(model.tables)
        : kernelOperations(model);
  const stage = model.ir.featureStage;
  if (!stage) {
    return ops;
  }
  const features = stageOperations(stage);
  return {
    instructions: ops.instructions + features.instructions,
    floatOps: ops.floatOps + features.floatOps,
    mathCalls: ops.mathCalls + features.mathCalls
  };
}

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
 * A compiled model's resolved strategy is used unless one is given.
 */
export function estimateForTarget(
  model: LoweredModel | CompiledModel,
  target: string | TargetProfile,
  options: Budgets & { strategy?: Strategy } = {}
): TargetEstimate {
  const profile = targetProfile(target);
  const strategy: Strategy =
    options.strategy ??
    ('header' in model
      ? model.strategy
      : model.family === 'tree_ensemble'
        ? resolveStrategy(model.options.strategy, model.tables, model.ir.classes.map(String))
        : 'tables');
  const m4f = m4fSize(model, strategy);
  const factor = codeFactor(profile.isa, profile.fpu, model, strategy);
  const flash: SizeItem[] = m4f.flash.map(item =>
    CODE_ITEMS.includes(item.name) ? { name: item.name, bytes: Math.round(item.bytes * factor) } : item
  );
  const libs = libraryBytes(model, profile);
  if (libs > 0) {
    flash.push({ name: profile.fpu ? 'C library (expf, ...)' : 'C library (soft float, ...)', bytes: libs });
  }
  const ram: SizeItem[] = [...m4f.ram];
  if (profile.constTablesInRam) {
    const tables = flash.filter(i => !CODE_ITEMS.includes(i.name) && !i.name.startsWith('C library'));
    ram.push({ name: 'const tables copied to RAM (no PROGMEM)', bytes: tables.reduce((s, i) => s + i.bytes, 0) });
  }
  const ops = operationCount(model, strategy);
  // int8 nets: the Cortex-M4F count is of the SMLAD kernels; other cores run the plain loop
  const portable =
    model.family === 'neural_net' && !DSP_TARGETS.includes(profile.id) ? int8PortableExtraInstructions(model.tables) : 0;
  const cycles = Math.round(
    (ops.instructions + portable - ops.floatOps) * profile.cyclesPerInstruction +
      ops.floatOps * profile.cyclesPerFloatOp +
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
export function estimateAllTargets(model: LoweredModel | CompiledModel, options: { strategy?: Strategy } = {}): TargetEstimate[] {
  return TARGETS.map(t => estimateForTarget(model, t, options));
}

