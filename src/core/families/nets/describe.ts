/**
 * A network's structure as the widgets show it (parameters, multiply-adds, weight and live
 * bytes per layer) and its Cortex-M4F instruction estimate, fitted on QEMU counts.
 */
import { Activation } from './ir';
import { BINARY_KINDS, LayerKind, NetTables, Shape3, isFilter, shapeSize, windowTerms } from './lower';

/** Per-layer summary for the widget's layer table and charts. */
export interface NetLayerSummary {
  name: string;
  kind: LayerKind;
  activation: Activation;
  outShape: Shape3;
  params: number;
  macs: number;
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
 * float32: 28 scikit-learn nets (logistic and linear regression with and without a scaler,
 * MLPs of 4 to 48 hidden units in one or two layers, a PCA pipeline; on iris, wine, breast
 * cancer, digits and diabetes: every one within 5%) and a Keras Conv1D net (within 2%).
 * int8 (SMLAD kernels, zero point folded into the bias): least squares on 12 scikit-learn nets
 * (MLPs of 8 to 64 hidden units in one or two layers and logistic regressions on iris, wine,
 * breast cancer and digits: every one within 2%) with input, layer and transcendental costs
 * kept, and the Keras Conv1D net for the convolution's multiply-add. Since the four-row dense
 * and two-by-two convolution kernels (tml_net_dot4_i8, tml_net_dot2x2_i8: 26 and 24
 * instructions per 16 multiply-adds), dense and conv are those kernels' costs and the output
 * costs were refitted on the two MLPs and the Conv1D net of tests/python/test_cycles_calibration.py
 * (within 1%).
 * Per dense multiply-add (a single-layer net lets gcc fold the layer loop: fewer; an int8
 * layer on the float path, one writing float or with a tanh/logistic/softmax activation,
 * sums one row at a time: denseFloat), per convolution multiply-add with a spatial window,
 * per dense output (bias, activation, requantization; floatOutput on the float path) and int8
 * convolution output, per input value of an affine (scaler) layer and of the other
 * element-wise layers, per output of an ADD or MUL joining two branches (int8 ADD: three
 * requantizations; not yet fitted: counted from the kernel's operations), per layer (its
 * set-up) and per input (int8 quantizes each), plus each
 * softmax, tanh or logistic output's expf and arithmetic. `base` corrects the per-layer cost
 * of the smallest nets.
 */
const INSTRUCTIONS = {
  float32: {
    denseOneLayer: 4.6,
    dense: 6.8,
    denseFloat: 6.8,
    conv: 20.4,
    denseOutput: 35,
    floatOutput: 35,
    convOutput: 0,
    affine: 37,
    elementwise: 10,
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
    conv: 1.5,
    denseOutput: 74,
    floatOutput: 146,
    convOutput: 96,
    affine: 86,
    elementwise: 12,
    add: 60,
    mul: 30,
    layer: 120,
    input: 41,
    transcendental: 125,
    base: -74
  }
};

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
    const macs = shapeSize(l.outShape) * windowTerms(l);
    const floatPath = l.outFloat || TRANSCENDENTAL_ACTIVATIONS.includes(l.activation);
    return sum + macs * (floatPath ? 5 - INSTRUCTIONS.int8.denseFloat : 3.5 - INSTRUCTIONS.int8.dense);
  }, 0);
}

/** Activations whose every output calls expf (softmax, logistic) or tanhf. */
export const TRANSCENDENTAL_ACTIVATIONS: Activation[] = ['softmax', 'tanh', 'logistic', 'elu'];

export function describeNet(tables: NetTables): NetStructure {
  const layers = tables.layers.map((l, k) => {
    const [oh, ow, cout] = l.outShape;
    const taps = windowTerms(l);
    const params = isFilter(l.kind) ? taps * cout + cout : l.kind === 'affine' ? 2 * cout : 0;
    const macs = isFilter(l.kind) ? oh * ow * cout * taps : 0;
    const weightBytes = isFilter(l.kind)
      ? (l.weightI8 ? l.weightI8.byteLength + 4 * cout /* bias */ + 5 * cout /* multiplier, shift */ : 4 * params) +
        (l.channelScale?.byteLength ?? 0)
      : 4 * params;
    const summary: NetLayerSummary = {
      name: l.name,
      kind: l.kind,
      activation: l.activation,
      outShape: l.outShape,
      params,
      macs,
      weightBytes,
      liveBytes: tables.liveBytes[k]
    };
    return summary;
  });
  const cost = INSTRUCTIONS[tables.featureType];
  const estimatedInstructions = tables.layers.reduce(
    (sum, l, k) => {
      const outputs = shapeSize(l.outShape);
      let instructions =
        cost.layer + (TRANSCENDENTAL_ACTIVATIONS.includes(l.activation) ? outputs * cost.transcendental : 0);
      const dense = l.kind === 'conv' && l.kernel[0] * l.kernel[1] === 1 && l.inShape[0] * l.inShape[1] === 1;
      // int8 layers that write float or need the float value of their sums
      const floatPath =
        tables.featureType === 'int8' && (l.outFloat || TRANSCENDENTAL_ACTIVATIONS.includes(l.activation));
      if (dense) {
        const perMac = tables.layers.length === 1 ? cost.denseOneLayer : floatPath ? cost.denseFloat : cost.dense;
        instructions += layers[k].macs * perMac + outputs * (floatPath ? cost.floatOutput : cost.denseOutput);
      } else if (isFilter(l.kind)) {
        instructions += layers[k].macs * cost.conv + outputs * (floatPath ? cost.floatOutput : cost.convOutput);
      } else if (BINARY_KINDS.includes(l.kind)) {
        instructions += outputs * (l.kind === 'add' ? cost.add : l.kind === 'mul' ? cost.mul : cost.elementwise);
      } else {
        instructions += shapeSize(l.inShape) * (l.kind === 'affine' ? cost.affine : cost.elementwise);
      }
      return sum + instructions;
    },
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
