/**
 * A network's structure as the widgets show it (parameters, multiply-adds, weight and live
 * bytes per layer) and its Cortex-M4F instruction estimate, fitted on QEMU counts.
 */
import { Activation } from './ir';
import {
  BINARY_KINDS,
  LayerKind,
  NetLayer,
  NetTables,
  Shape3,
  channelsWithRows,
  isFilter,
  shapeSize,
  windowTerms
} from './lower';

/** Per-layer summary for the widget's layer table and charts. */
export interface NetLayerSummary {
  name: string;
  kind: LayerKind;
  activation: Activation;
  outShape: Shape3;
  params: number;
  macs: number;
  /** Estimated Cortex-M4F instructions of the layer (see INSTRUCTIONS). */
  instructions: number;
  weightBytes: number;
  /** Arena bytes live while the layer runs: its inputs, its output and every tensor a later
   * layer still reads. */
  liveBytes: number;
}

export interface NetStructure {
  layers: NetLayerSummary[];
  totalParams: number;
  totalMacs: number;
  arenaBytes: number;
  /**
   * Instructions per prediction on Cortex-M4F, estimated from the layers (see INSTRUCTIONS),
   * the C library's expf included: what QEMU counts.
   */
  estimatedInstructions: number;
}

/**
 * Cortex-M4F instructions of predict (arm-none-eabi-gcc -Os), fitted on QEMU counts.
 *
 * Dense layers (fitted on tests/python/test_cycles_calibration.py's nets): float32 on 28
 * scikit-learn nets (logistic and linear regression with and without a scaler, MLPs of 4 to
 * 48 hidden units in one or two layers, a PCA pipeline: every one within 5%). Per multiply-add
 * (a single-layer net lets gcc fold the layer loop: denseOneLayer; an int8 layer on the float
 * path, one writing float or with a tanh/logistic/softmax activation, sums one row at a time:
 * denseFloat) and per output (bias, activation, requantization; floatOutput on the float path).
 *
 * Layers with a spatial window, and int8 dense layers, priced per kernel from the per-function
 * QEMU profile of MLPerf Tiny's four int8 files, a MobileNet-shaped net, one-layer pointwise,
 * 3x3 and 5x5 depthwise and 3x3 nets, and the Conv1D net (bench/mlperf_tiny/ours.py --profile):
 * - float32 (tml_net_value): per multiply-add of the window's inside (conv, depthwise), per
 *   tap inside (convTap: a run of in_c values) or kernel row inside (depthwiseRow: a run of
 *   taps), and per output (the window's bounds, the activation, the loop);
 * - int8 convolutions in integers: per multiply-add of the whole window (padding is gathered
 *   as zeros) and per call of the two-by-two dot product (tml_net_dot2x2_i8: two positions by
 *   two weight rows; 45 instructions per 32 multiply-adds), per output (requantization 21,
 *   tml_net_conv_whole_i8 9), per output position (its window), per gathered byte and
 *   gathered kernel row (tml_net_gather_window: memset and memcpy), and per output of a layer
 *   with a row mask (the sums spread to their channels);
 * - int8 dense layers in integers: per multiply-add and per call of the four-row dot product
 *   (tml_net_dot4_i8), per output (requantization, the batch loop);
 * - int8 depthwise layers: per multiply-add inside the window (the four-channel sums), per
 *   output (requantization, the position loop) and per position;
 * - per output of an ADD or MUL joining two branches (int8 ADD: three requantizations), per
 *   input value of an affine (scaler) layer and of the other element-wise layers, per layer
 *   (its set-up) and per input (int8 quantizes each), plus each softmax, tanh or logistic
 *   output's expf and arithmetic. `base` corrects the per-layer cost of the smallest nets;
 * - pools, either kind of net: per output (the window's bounds) and per input value read.
 */
const INSTRUCTIONS = {
  float32: {
    denseOneLayer: 4.6,
    dense: 6.8,
    denseFloat: 6.8,
    dot4Call: 0,
    denseOutput: 35,
    floatOutput: 35,
    conv: 9,
    convTap: 22.4,
    dot2x2Call: 0,
    convOutput: 84,
    convPosition: 0,
    gatherByte: 0,
    gatherRow: 0,
    maskedOutput: 0,
    depthwise: 11,
    depthwiseRow: 19.8,
    depthwiseOutput: 84,
    affine: 37,
    elementwise: 10,
    poolOutput: 55,
    poolInput: 9,
    add: 12,
    mul: 11,
    layer: 120,
    input: 6.7,
    transcendental: 109,
    base: -180
  },
  int8: {
    denseOneLayer: 2.6,
    dense: 1.625,
    denseFloat: 2.6,
    dot4Call: 32,
    denseOutput: 36,
    floatOutput: 146,
    conv: 1.45,
    convTap: 0,
    dot2x2Call: 25,
    convOutput: 30,
    convPosition: 35,
    gatherByte: 0.43,
    gatherRow: 90,
    maskedOutput: 13,
    depthwise: 5.3,
    depthwiseRow: 0,
    depthwiseOutput: 36,
    affine: 86,
    elementwise: 12,
    poolOutput: 55,
    poolInput: 9,
    add: 101,
    mul: 30,
    layer: 120,
    input: 41,
    transcendental: 125,
    base: -74
  }
};

/** Kernel taps inside the input along one axis, summed over the output positions on it. */
function insideTaps(inLength: number, outLength: number, kernel: number, stride: number, pad: number): number {
  let taps = 0;
  for (let o = 0; o < outLength; o++) {
    const start = o * stride - pad;
    taps += Math.min(inLength, start + kernel) - Math.max(0, start);
  }
  return taps;
}

/**
 * The instructions of a layer with a spatial window (a convolution that is not dense, or a
 * depthwise one) that sums in its own kind of number, per INSTRUCTIONS.
 */
function windowInstructions(l: NetLayer, int8: boolean, macs: number): number {
  const cost = INSTRUCTIONS[int8 ? 'int8' : 'float32'];
  const [ih, iw, ic] = l.inShape;
  const [oh, ow, oc] = l.outShape;
  const positions = oh * ow;
  const outputs = positions * oc;
  // the window's inside, summed over the positions: kernel rows, taps and multiply-adds
  const rowsInside = insideTaps(ih, oh, l.kernel[0], l.stride[0], l.pad[0]) * ow;
  const tapsInside = (rowsInside * insideTaps(iw, ow, l.kernel[1], l.stride[1], l.pad[1])) / ow;
  if (l.kind === 'depthwise') {
    return (
      tapsInside * oc * cost.depthwise +
      rowsInside * oc * cost.depthwiseRow +
      outputs * cost.depthwiseOutput +
      positions * cost.convPosition
    );
  }
  // int8 sums whole windows (the padding gathered as zeros), float32 the inside alone
  const summed = int8 ? macs : tapsInside * ic * oc;
  const taps = l.kernel[0] * l.kernel[1];
  const gathered = taps > 1 ? positions * (taps * ic * cost.gatherByte + l.kernel[0] * cost.gatherRow) : 0;
  return (
    summed * cost.conv +
    tapsInside * oc * cost.convTap +
    Math.ceil(positions / 2) * Math.ceil(channelsWithRows(l) / 2) * cost.dot2x2Call +
    outputs * cost.convOutput +
    positions * cost.convPosition +
    gathered +
    (l.rowMask ? outputs * cost.maskedOutput : 0)
  );
}

/**
 * int8 nets on cores without Armv7E-M's SMLAD (Cortex-M0+, M3, RISC-V, AVR) run the portable
 * multiply-add loop: Thumb-2 gcc -Os makes it 3.5 instructions per multiply-add two rows at a
 * time (requantized layers) and 5 one row at a time (the float path), against SMLAD's 2 and
 * 2.6 that describeNet's Cortex-M4F count assumes. The instructions to add there.
 */
export function int8PortableExtraInstructions(tables: NetTables): number {
  if (tables.featureType !== 'int8') {
    return 0;
  }
  return tables.layers.reduce((sum, l) => {
    if (!isFilter(l.kind)) {
      return sum;
    }
    const macs = layerMacs(l);
    const floatPath = l.outFloat || TRANSCENDENTAL_ACTIVATIONS.includes(l.activation);
    return sum + macs * (floatPath ? 5 - INSTRUCTIONS.int8.denseFloat : 3.5 - INSTRUCTIONS.int8.dense);
  }, 0);
}

/** Multiply-adds a layer computes: none for the channels without a weight row (rowMask). */
function layerMacs(l: NetLayer): number {
  return isFilter(l.kind) ? l.outShape[0] * l.outShape[1] * channelsWithRows(l) * windowTerms(l) : 0;
}

/** Activations whose every output calls expf (softmax, logistic) or tanhf. */
export const TRANSCENDENTAL_ACTIVATIONS: Activation[] = ['softmax', 'tanh', 'logistic', 'elu'];

/** Estimated Cortex-M4F instructions of one layer of `tables`, its set-up included (INSTRUCTIONS). */
function layerInstructions(tables: NetTables, l: NetLayer, macs: number): number {
  const cost = INSTRUCTIONS[tables.featureType];
  const outputs = shapeSize(l.outShape);
  const setUp = cost.layer + (TRANSCENDENTAL_ACTIVATIONS.includes(l.activation) ? outputs * cost.transcendental : 0);
  const dense = l.kind === 'conv' && l.kernel[0] * l.kernel[1] === 1 && l.inShape[0] * l.inShape[1] === 1;
  // int8 layers that write float or need the float value of their sums
  const floatPath = tables.featureType === 'int8' && (l.outFloat || TRANSCENDENTAL_ACTIVATIONS.includes(l.activation));
  if (dense) {
    const perMac = tables.layers.length === 1 ? cost.denseOneLayer : floatPath ? cost.denseFloat : cost.dense;
    // the four-row dot product of an int8 layer in integers (none in float32 or on the float path)
    const dot4Calls = floatPath || tables.layers.length === 1 ? 0 : Math.ceil(channelsWithRows(l) / 4);
    return (
      setUp + macs * perMac + dot4Calls * cost.dot4Call + outputs * (floatPath ? cost.floatOutput : cost.denseOutput)
    );
  }
  if (isFilter(l.kind) && floatPath) {
    // an int8 convolution that writes float sums whole rows on the float path
    return setUp + macs * cost.denseFloat + outputs * cost.floatOutput;
  }
  if (isFilter(l.kind)) {
    return setUp + windowInstructions(l, tables.featureType === 'int8', macs);
  }
  if (l.kind === 'max_pool' || l.kind === 'avg_pool') {
    return setUp + outputs * cost.poolOutput + shapeSize(l.inShape) * cost.poolInput;
  }
  if (BINARY_KINDS.includes(l.kind)) {
    return setUp + outputs * (l.kind === 'add' ? cost.add : l.kind === 'mul' ? cost.mul : cost.elementwise);
  }
  return setUp + shapeSize(l.inShape) * (l.kind === 'affine' ? cost.affine : cost.elementwise);
}

export function describeNet(tables: NetTables): NetStructure {
  const layers = tables.layers.map((l, k) => {
    const cout = l.outShape[2];
    const params = isFilter(l.kind) ? windowTerms(l) * cout + cout : l.kind === 'affine' ? 2 * cout : 0;
    const weightBytes = isFilter(l.kind)
      ? (l.weightI8
          ? l.weightI8.byteLength +
            (l.rowMask?.byteLength ?? 0) +
            4 * cout /* bias */ +
            5 * cout /* multiplier, shift */
          : 4 * params) + (l.channelScale?.byteLength ?? 0)
      : 4 * params;
    const macs = layerMacs(l);
    const summary: NetLayerSummary = {
      name: l.name,
      kind: l.kind,
      activation: l.activation,
      outShape: l.outShape,
      params,
      macs,
      instructions: Math.round(layerInstructions(tables, l, macs)),
      weightBytes,
      liveBytes: tables.liveBytes[k]
    };
    return summary;
  });
  const cost = INSTRUCTIONS[tables.featureType];
  const estimatedInstructions = layers.reduce(
    (sum, l) => sum + l.instructions,
    cost.base + tables.nInputs * cost.input
  );
  return {
    layers,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    totalMacs: layers.reduce((s, l) => s + l.macs, 0),
    arenaBytes: tables.arenaBytes,
    estimatedInstructions: Math.round(estimatedInstructions)
  };
}
