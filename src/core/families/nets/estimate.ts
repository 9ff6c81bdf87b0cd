/**
 * Size and cost of a network: flash and stack on Cortex-M4F (weights exact, the runtime's code
 * measured), the code on other cores, the C library it pulls in, and the instructions of one
 * prediction (describe.ts's estimate, with expf and tanhf priced apart).
 */
import { MATH_CALL_INSTRUCTIONS, OperationCount, QUANTIZE_FLOAT_OPS } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor, hasDspInstructions } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import { TRANSCENDENTAL_ACTIVATIONS, describeNet, int8PortableExtraInstructions } from './describe';
import { Activation } from './ir';
import { NetLayer, NetTables, ROW_MASK_CODE_BYTES } from './lower';

/**
 * The network runtime's code on Cortex-M4F (arm-none-eabi-gcc 12.2 -Os), measured by
 * bench/size/fit_net_code.py. A header compiles in only the kernels its net uses
 * (TML_NET_LAYERS, TML_NET_ACTIVATIONS): `many` is a net of dense layers with ReLU and softmax
 * (the layer loop, dense and windowed convolution, the float path, softmax; int8 adds the
 * requantizing kernels and their SMLAD loops), and every other layer kind or activation adds
 * its kernel's bytes (NET_KERNEL_CODE), measured one at a time on that net. A single-layer net
 * (a linear model) lets gcc fold its one layer, descriptor included, into straight code whose
 * size depends on its activation: measured on 64-feature linear models (a regressor's sums
 * as they are, softmax over 10 classes, a logistic output). Its stack besides the arena and
 * the output buffer, the deepest call chain from -fstack-usage: about 280 B.
 */
const NET_CODE_BYTES: Record<
  NetTables['featureType'],
  { oneIdentity: number; oneSoftmax: number; one: number; many: number }
> = {
  float32: { oneIdentity: 44, oneSoftmax: 304, one: 204, many: 820 },
  int8: { oneIdentity: 963, oneSoftmax: 1218, one: 1123, many: 3704 }
};

/**
 * What each kernel adds to `many` (bench/size/fit_net_code.py, Cortex-M4F): layer kinds that
 * share a kernel are one group (ADD, MUL and MAX one merge loop; PAD and UPSAMPLE one copy
 * loop); AFFINE and ACTIVATION layers run on the float path the base already has.
 */
type KernelGroup = 'maxPool' | 'avgPool' | 'depthwise' | 'merge' | 'concat' | 'copy' | 'rowMask' | Activation;
const KERNEL_GROUP: Partial<Record<NetLayer['kind'], KernelGroup>> = {
  max_pool: 'maxPool',
  avg_pool: 'avgPool',
  depthwise: 'depthwise',
  add: 'merge',
  mul: 'merge',
  max: 'merge',
  concat: 'concat',
  pad: 'copy',
  upsample: 'copy'
};
const NET_KERNEL_CODE: Record<NetTables['featureType'], Partial<Record<KernelGroup, number>>> = {
  float32: {
    maxPool: 212,
    avgPool: 220,
    depthwise: 124,
    merge: 120,
    concat: 108,
    copy: 212,
    tanh: 32,
    logistic: 84,
    leaky_relu: 48,
    elu: 84,
    hard_sigmoid: 60,
    hard_swish: 72
  },
  int8: {
    maxPool: 188,
    avgPool: 232,
    depthwise: 1100,
    merge: 924,
    concat: 228,
    copy: 216,
    rowMask: ROW_MASK_CODE_BYTES,
    logistic: 36,
    leaky_relu: 4,
    elu: 36,
    hard_sigmoid: 12,
    hard_swish: 24
  }
};

/** The kernel groups a net compiles in beyond the base's (see NET_KERNEL_CODE). */
function kernelGroups(tables: NetTables): Set<KernelGroup> {
  const groups = new Set<KernelGroup>();
  for (const layer of tables.layers) {
    const group = KERNEL_GROUP[layer.kind];
    if (group) {
      groups.add(group);
    }
    if (layer.rowMask) {
      groups.add('rowMask');
    }
    groups.add(layer.activation);
  }
  return groups;
}

/** The runtime code a net's header compiles in, on Cortex-M4F. */
function netCodeBytes(tables: NetTables): number {
  const base = NET_CODE_BYTES[tables.featureType];
  if (tables.layers.length === 1) {
    const activation = tables.layers[0].activation;
    return activation === 'identity' ? base.oneIdentity : activation === 'softmax' ? base.oneSoftmax : base.one;
  }
  const extra = NET_KERNEL_CODE[tables.featureType];
  return [...kernelGroups(tables)].reduce((sum, group) => sum + (extra[group] ?? 0), base.many);
}

const NET_STACK_FRAME_BYTES = 280;
/** tml_layer_t: 36 four-byte fields; tml_net_t: 4. */
export const LAYER_DESCRIPTOR_BYTES = 144;
const NET_DESCRIPTOR_BYTES = 16;

/** tml_net_t and tml_layer_t as avr-gcc lays them out (2-byte pointers). */
const AVR_NET_DESCRIPTOR_BYTES = 18;
const AVR_LAYER_DESCRIPTOR_BYTES = 128;

/**
 * The descriptor bytes of a net that stay in AVR's RAM: the tml_net_t, whose layers are in
 * program memory when there are two or more (nets/emit.ts); a single layer's descriptor is
 * ordinary const data, which avr-gcc folds into the code when every use of it is inlined
 * (`foldedWhenOneLayer`: a model's own float32 net) and otherwise keeps beside the net's.
 */
export function netDescriptorsInRamBytes(tables: NetTables, foldedWhenOneLayer: boolean): number {
  if (tables.layers.length > 1) {
    return AVR_NET_DESCRIPTOR_BYTES;
  }
  return foldedWhenOneLayer ? 0 : AVR_NET_DESCRIPTOR_BYTES + AVR_LAYER_DESCRIPTOR_BYTES;
}

export function estimateNetSize(tables: NetTables, classNames: string[]): SizeEstimate {
  const bytes = (
    pick: (l: NetTables['layers'][number]) => (ArrayLike<number> & { byteLength: number }) | null
  ): number => tables.layers.reduce((sum, l) => sum + (pick(l)?.byteLength ?? 0), 0);
  const flash: SizeItem[] = [
    { name: 'weights', bytes: bytes(l => l.weightF32) + bytes(l => l.weightI8) + bytes(l => l.rowMask) },
    { name: 'biases', bytes: bytes(l => l.biasF32) + bytes(l => l.biasI32) },
    { name: 'requantization', bytes: bytes(l => l.multiplier) + bytes(l => l.shift) + bytes(l => l.channelScale) },
    // a single layer's descriptor is folded into its code (NET_CODE_BYTES.one)
    {
      name: 'layer descriptors',
      bytes: tables.layers.length === 1 ? 0 : LAYER_DESCRIPTOR_BYTES * tables.layers.length + NET_DESCRIPTOR_BYTES
    },
    { name: 'class names', bytes: classNamesBytes(classNames) },
    { name: 'runtime code', bytes: netCodeBytes(tables) }
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
 * The network runtime on RV32IMC and AVR relative to Cortex-M4F, gcc's code over the M4F
 * estimate's (RV32IMC: bench/rv32/fit_code_size.py, 1.11-1.25x for multi-layer nets; AVR:
 * bench/avr/fit_code_size.py): a single-layer net (a linear model) is short straight code
 * (avr-gcc 3.8-4.45x); a multi-layer float32 net's kernels, each a loop of 32-bit index
 * arithmetic and soft-float calls, are 5.5-6.8x (an MLP, a Keras graph, a scaler before a
 * logistic regression); int8 kernels 3.9-4.2x.
 */
const ISA_CODE_FACTORS = {
  'net-f32': { rv32imc: 1.25, avr8: 6.2 },
  'net-i8': { rv32imc: 1.15, avr8: 4.1 },
  'net-one-layer': { rv32imc: 1.55, avr8: 4.0 }
};

export function netCodeFactor(tables: NetTables, profile: TargetProfile): number {
  if (profile.isa === 'thumb2' || profile.isa === 'thumb1') {
    return armCodeFactor(profile);
  }
  const kind = tables.layers.length === 1 ? 'net-one-layer' : tables.featureType === 'int8' ? 'net-i8' : 'net-f32';
  return ISA_CODE_FACTORS[kind][profile.isa];
}

/**
 * The C library a net links (with an FPU, Thumb-2 and Thumb-1 soft float; fit_net_code.py):
 * soft-float helpers whenever it computes in float (a float32 net, an int8 net's input
 * quantization); expf for softmax, logistic and ELU; tanhf, which brings its own expm1f; and on Thumb-1, which has no
 * divide instruction, the integer division of depthwise, upsampling and padding kernels and
 * of int8 average pools (and on AVR, whose 32-bit division is a library call too). AVR only
 * (the fifth column, avr-gcc 5.4, bench/avr/fit_code_size.py): a multi-layer or int8 net's
 * runtime links 32x32->64-bit multiplies and unsigned conversions (`wideRuntime`: an MLP's
 * libraries less a logistic regression's), a multi-layer int8 one 64-bit products and shifts
 * for requantization (`int64`: the int8 MLP's less the float32 MLP's).
 */
const LIBRARIES: Record<'softFloat' | 'expf' | 'tanhf' | 'thumb1Division' | 'wideRuntime' | 'int64', LibraryBytes> = {
  softFloat: [0, 1212, 1612, 2324, 516],
  expf: [1068, 1284, 3100, 3840, 710],
  tanhf: [948, 1148, 1164, 1408, 160],
  thumb1Division: [0, 0, 472, 0, 338],
  wideRuntime: [0, 0, 0, 0, 410],
  int64: [0, 0, 0, 0, 564]
};
const EXPF_ACTIVATIONS: Activation[] = ['softmax', 'logistic', 'elu'];

export function netLibraries(tables: NetTables): LibraryBytes[] {
  const activations = new Set(tables.layers.map(l => l.activation));
  const divides = tables.layers.some(
    l =>
      l.kind === 'depthwise' ||
      l.kind === 'pad' ||
      l.kind === 'upsample' ||
      (l.kind === 'avg_pool' && tables.featureType === 'int8')
  );
  const multiLayer = tables.layers.length > 1;
  const int8 = tables.featureType === 'int8';
  return [
    LIBRARIES.softFloat,
    ...(EXPF_ACTIVATIONS.some(a => activations.has(a)) ? [LIBRARIES.expf] : []),
    ...(activations.has('tanh') ? [LIBRARIES.tanhf] : []),
    ...(divides ? [LIBRARIES.thumb1Division] : []),
    ...(multiLayer || int8 ? [LIBRARIES.wideRuntime] : []),
    ...(multiLayer && int8 ? [LIBRARIES.int64] : [])
  ];
}

/**
 * int8 nets on cores without Armv7E-M's SMLAD run the portable multiply-add loop: the
 * instructions it adds to describeNet's Cortex-M4F count.
 */
/**
 * Cycles to copy one layer descriptor out of AVR's program memory (tml_net_layer, once per
 * layer and prediction, nets of two or more layers): simavr, the same nets with the layers in
 * RAM and in program memory, 1,890-2,150 more cycles a layer (2, 3 and 4 layers).
 */
const AVR_LAYER_COPY_CYCLES = 2050;

export function netExtraInstructions(tables: NetTables, profile: TargetProfile): number {
  const portable = hasDspInstructions(profile) ? 0 : int8PortableExtraInstructions(tables);
  const copies = profile.descriptorsInRam && tables.layers.length > 1 ? tables.layers.length : 0;
  return portable + Math.round((copies * AVR_LAYER_COPY_CYCLES) / profile.cyclesPerInstruction);
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
