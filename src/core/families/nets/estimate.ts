/**
 * Size and cost of a network: flash and stack on Cortex-M4F (weights exact, the runtime's code
 * measured), the code on other cores, the C library it pulls in, and the instructions of one
 * prediction (describe.ts's estimate, with expf and tanhf priced apart).
 */
import { MATH_CALL_INSTRUCTIONS, OperationCount, QUANTIZE_FLOAT_OPS } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor, hasDspInstructions } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import { TRANSCENDENTAL_ACTIVATIONS, describeNet, int8PortableExtraInstructions } from './describe';
import { NetTables } from './lower';

/**
 * The network runtime (tml_net_predict with every kernel, chosen per layer at run time) on
 * Cortex-M4F, arm-none-eabi-gcc 12.2 -Os, linked from predict: 1152-1176 B float32 and
 * 2766-2778 B int8 for MLPs, a scaler + logistic regression and a conv1d/pool/dense net alike.
 * A single-layer net (a linear model) lets gcc fold the layer loop: 224-264 B float32, 930 B
 * int8. The int8 SMLAD kernels (Cortex-M4/M7 only) added 120-130 B to an MLP and 220 B to a
 * single-layer net (logistic regression on digits); M3 and M0+ build the portable loops,
 * within 2% of the old size scaled by codeFactor, so the figures are the M4F ones and the
 * other cores come out 1-7% high. The depthwise kernels added 134 B float32 and 424 B int8 to
 * a multi-layer net, 236 B to a single int8 layer (measured on the same models); the layers of
 * two inputs that join a graph's branches (net_merge.h) 188 B float32 and 352 B int8 to a
 * two-layer MLP of digits, 128 and 132 B to a logistic regression; the activations leaky_relu,
 * elu, hard_sigmoid and hard_swish 152-164 B more to each; padding and upsampling and the
 * depthwise loop of one window per position moved the four figures by -196 to +392 B (gcc
 * inlines differently; measured again on the same two models). Its stack
 * besides the arena and the output buffer, the deepest call chain from -fstack-usage: about 280 B.
 */
const NET_CODE_BYTES: Record<NetTables['featureType'], { one: number; many: number }> = {
  float32: { one: 334, many: 1656 },
  int8: { one: 1600, many: 4232 }
};
const NET_STACK_FRAME_BYTES = 280;
/** tml_layer_t: 35 four-byte fields; tml_net_t: 4. */
export const LAYER_DESCRIPTOR_BYTES = 140;
const NET_DESCRIPTOR_BYTES = 16;

export function estimateNetSize(tables: NetTables, classNames: string[]): SizeEstimate {
  const bytes = (
    pick: (l: NetTables['layers'][number]) => (ArrayLike<number> & { byteLength: number }) | null
  ): number => tables.layers.reduce((sum, l) => sum + (pick(l)?.byteLength ?? 0), 0);
  const flash: SizeItem[] = [
    { name: 'weights', bytes: bytes(l => l.weightF32) + bytes(l => l.weightI8) },
    { name: 'biases', bytes: bytes(l => l.biasF32) + bytes(l => l.biasI32) },
    { name: 'requantization', bytes: bytes(l => l.multiplier) + bytes(l => l.shift) + bytes(l => l.channelScale) },
    { name: 'layer descriptors', bytes: LAYER_DESCRIPTOR_BYTES * tables.layers.length + NET_DESCRIPTOR_BYTES },
    { name: 'class names', bytes: classNamesBytes(classNames) },
    { name: 'runtime code', bytes: NET_CODE_BYTES[tables.featureType][tables.layers.length === 1 ? 'one' : 'many'] }
  ];
  const ram: SizeItem[] = [
    { name: 'activation arena', bytes: tables.arenaBytes },
    { name: 'output buffer', bytes: 4 * tables.nOutputs },
    { name: 'call frames', bytes: NET_STACK_FRAME_BYTES }
  ];
  return m4fEstimate(flash, ram);
}

// ---- other cores and the C library ------------------------------------------------------

/**
 * The network runtime on RV32IMC and AVR relative to Cortex-M4F, by clang's ratios (see
 * estimate/targets.ts): a single-layer net (a linear model) is short straight code, a
 * multi-layer net's int32/int64 requantization is long on an 8-bit core.
 */
const ISA_CODE_FACTORS = {
  net: { rv32imc: 1.2, avr8: 4.1 },
  'net-one-layer': { rv32imc: 1.55, avr8: 3.0 }
};

export function netCodeFactor(tables: NetTables, profile: TargetProfile): number {
  if (profile.isa === 'thumb2' || profile.isa === 'thumb1') {
    return armCodeFactor(profile);
  }
  return ISA_CODE_FACTORS[tables.layers.length === 1 ? 'net-one-layer' : 'net'][profile.isa];
}

/** libm's expf/tanhf and the soft-float helpers (with an FPU, Thumb-2 and Thumb-1 soft float). */
const LIBRARIES: Record<string, LibraryBytes> = {
  'net-f32': [2016, 3644, 5796],
  'net-i8': [2016, 3644, 6412],
  'net-linear': [1708, 3644, 5652]
};

export function netLibraries(tables: NetTables): LibraryBytes[] {
  return [LIBRARIES[tables.featureType === 'int8' ? 'net-i8' : tables.layers.length === 1 ? 'net-linear' : 'net-f32']];
}

/**
 * int8 nets on cores without Armv7E-M's SMLAD run the portable multiply-add loop: the
 * instructions it adds to describeNet's Cortex-M4F count.
 */
export function netExtraInstructions(tables: NetTables, profile: TargetProfile): number {
  return hasDspInstructions(profile) ? 0 : int8PortableExtraInstructions(tables);
}

// ---- instructions ------------------------------------------------------------------------

/**
 * Networks: describeNet's instruction estimate, whose expf / tanhf calls are priced apart;
 * float32 MACs are a multiply and an add, an int8 net quantizes its inputs in float.
 */
export function netOperations(tables: NetTables): OperationCount {
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
    tables.featureType === 'float32'
      ? 2 * structure.totalMacs + elementwise
      : QUANTIZE_FLOAT_OPS * tables.nInputs + 4 * tables.nOutputs;
  const instructions = structure.estimatedInstructions - mathCalls * MATH_CALL_INSTRUCTIONS;
  return { instructions: Math.max(instructions, floatOps), floatOps, mathCalls };
}
