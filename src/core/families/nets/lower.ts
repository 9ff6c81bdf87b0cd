/**
 * Lowers a neural-net IR to the C runtime's layers (c-runtime/include/tinyml/net.h):
 * shapes, "same" padding, weights reordered to [out][kh][kw][in], batch norms folded into
 * the convolution or dense layer before them, activations fused, a static arena plan, and
 * for int8 the quantization of weights (symmetric, per output channel) and activations (per
 * tensor, from ranges the C runtime itself measures on a representative set).
 */
import { IRError } from '../../ir/read';
import { OptionError } from '../../input';
import { Activation, NetLayerIR, NeuralNetIR, Padding } from './ir';

export type NetFeatureType = 'float32' | 'int8';
export type LayerKind = 'conv' | 'depthwise' | 'max_pool' | 'avg_pool' | 'affine' | 'activation';
export type Shape3 = [number, number, number];

/** One tml_layer_t, as typed arrays and numbers. */
export interface NetLayer {
  kind: LayerKind;
  activation: Activation;
  /** The IR layers it came from, e.g. "dense 0 + batch_norm 1". */
  name: string;
  inShape: Shape3;
  outShape: Shape3;
  kernel: [number, number];
  stride: [number, number];
  /** Padding before the first row and column. */
  pad: [number, number];
  inOffset: number;
  outOffset: number;
  /** conv: [out][kh][kw][in]; depthwise: [out][kh][kw]; affine: per-channel factor. */
  weightF32: Float32Array | null;
  /** conv: [out] or null; affine: per-channel shift. */
  biasF32: Float32Array | null;
  weightI8: Int8Array | null;
  /** With biasFolded: bias - inZero * (sum of the channel's weights), see net.h. */
  biasI32: Int32Array | null;
  /** biasI32 holds the zero point's share, so the runtime's inner loop sums q * w alone. */
  biasFolded: boolean;
  multiplier: Int32Array | null;
  shift: Int8Array | null;
  channelScale: Float32Array | null;
  /** Symmetric per-channel scale of weightI8 (reporting only). */
  weightScale: Float32Array | null;
  inScale: number;
  inZero: number;
  outScale: number;
  outZero: number;
  outFloat: boolean;
}

export interface NetCalibration {
  rows: number;
  inputMin: number;
  inputMax: number;
  /** Float range of each layer's output on the representative rows. */
  min: Float32Array;
  max: Float32Array;
}

export interface NetTables {
  featureType: NetFeatureType;
  nInputs: number;
  nOutputs: number;
  layers: NetLayer[];
  arenaBytes: number;
  /** int8: the ranges the activations were quantized from. */
  calibration: NetCalibration | null;
}

/** Element bytes of a layer's output. */
export function outputElementBytes(tables: Pick<NetTables, 'featureType'>, layer: NetLayer): number {
  return tables.featureType === 'float32' || layer.outFloat ? 4 : 1;
}

export const shapeSize = (s: Shape3): number => s[0] * s[1] * s[2];

/** A layer with float64 weights while lowering; rounded to float32 at the end. */
interface Draft {
  kind: LayerKind;
  activation: Activation;
  name: string;
  /** Path of the IR layer it came from (layers[i]), where a problem with it is reported. */
  path: string;
  inShape: Shape3;
  outShape: Shape3;
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  weight: Float64Array | null;
  bias: Float64Array | null;
}

/** Output length and padding before, as Keras computes them; a window larger than a "valid"
 * input is an IRError at path. */
function window(input: number, size: number, stride: number, padding: Padding, path: string): [number, number] {
  if (padding === 'valid') {
    if (size > input) {
      throw new IRError(path, `a window of ${size} is larger than its input of ${input}`);
    }
    return [Math.floor((input - size) / stride) + 1, 0];
  }
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + size - input, 0);
  return [out, Math.floor(total / 2)];
}

/** Keras kernel [kh][kw][in][out] (or dense [in][out]) to the runtime's [out][kh][kw][in]. */
function toOutputMajor(w: Float64Array, kh: number, kw: number, cin: number, cout: number): Float64Array {
  const out = new Float64Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          out[((o * kh + y) * kw + x) * cin + i] = w[((y * kw + x) * cin + i) * cout + o];
        }
      }
    }
  }
  return out;
}

function inputShape(ir: NeuralNetIR): { shape: Shape3; rank: number } {
  const s = ir.inputShape;
  if (s.length === 1) {
    return { shape: [1, 1, s[0]], rank: 0 };
  }
  return s.length === 2 ? { shape: [1, s[0], s[1]], rank: 1 } : { shape: [s[0], s[1], s[2]], rank: 2 };
}

/**
 * IR layers to runtime layers with float64 weights: shapes, padding, weight order, batch
 * norms folded, activations fused, flatten dropped (channels-last row-major data is
 * already flat in the order Keras flattens it).
 */
function draftLayers(ir: NeuralNetIR): Draft[] {
  const drafts: Draft[] = [];
  let { shape, rank } = inputShape(ir);
  const last = (): Draft | undefined => drafts[drafts.length - 1];
  ir.layers.forEach((layer: NetLayerIR, index) => {
    // shapes follow from the layers before: a layer that does not fit them is malformed here
    const path = `layers[${index}]`;
    const label = `${layer.kind} ${index}`;
    const [h, w, c] = shape;
    const push = (d: Omit<Draft, 'inShape' | 'name' | 'path'>): void => {
      drafts.push({ ...d, inShape: shape, name: label, path });
      shape = d.outShape;
    };
    // A windowed layer reads [steps, channels] (rank 1) or [h, w, channels] (rank 2).
    const requireRank = (want: number): void => {
      if (rank !== want) {
        throw new IRError(
          path,
          `${label} needs a ${want === 2 ? '[h, w, channels]' : '[steps, channels]'} input, the previous layer gives [${shape.join(', ')}]`
        );
      }
    };
    switch (layer.kind) {
      case 'flatten':
        shape = [1, 1, h * w * c];
        rank = 0;
        return;
      case 'dense': {
        const [nIn, nOut] = layer.weights.shape;
        if (nIn !== c) {
          throw new IRError(
            `${path}.weights`,
            `${label} expects ${nIn} inputs per position, the previous layer gives ${c}`
          );
        }
        push({
          kind: 'conv',
          activation: layer.activation,
          outShape: [h, w, nOut],
          kernel: [1, 1],
          stride: [1, 1],
          pad: [0, 0],
          weight: toOutputMajor(layer.weights.data, 1, 1, nIn, nOut),
          bias: Float64Array.from(layer.bias.data) // folding writes to it: never the IR's own
        });
        return;
      }
      case 'conv1d':
      case 'conv2d': {
        const two = layer.kind === 'conv2d';
        requireRank(two ? 2 : 1);
        const ws = layer.weights.shape;
        const [kh, kw, cin, cout] = two ? ws : [1, ws[0], ws[1], ws[2]];
        if (cin !== c) {
          throw new IRError(`${path}.weights`, `${label} expects ${cin} input channels, the previous layer gives ${c}`);
        }
        const [sh, sw] = two ? layer.strides : [1, layer.strides[0]];
        const [oh, pt] = window(h, kh, sh, two ? layer.padding : 'valid', `${path}.weights`);
        const [ow, pl] = window(w, kw, sw, layer.padding, `${path}.weights`);
        push({
          kind: 'conv',
          activation: layer.activation,
          outShape: [oh, ow, cout],
          kernel: [kh, kw],
          stride: [sh, sw],
          pad: [pt, pl],
          weight: toOutputMajor(layer.weights.data, kh, kw, cin, cout),
          bias: Float64Array.from(layer.bias.data) // folding writes to it: never the IR's own
        });
        return;
      }
      case 'depthwise_conv2d': {
        requireRank(2);
        const [kh, kw, cin, multiplier] = layer.weights.shape;
        if (cin !== c) {
          throw new IRError(`${path}.weights`, `${label} expects ${cin} input channels, the previous layer gives ${c}`);
        }
        const [sh, sw] = layer.strides;
        const [oh, pt] = window(h, kh, sh, layer.padding, `${path}.weights`);
        const [ow, pl] = window(w, kw, sw, layer.padding, `${path}.weights`);
        // Keras [kh][kw][channel][m] to the runtime's [out][kh][kw], out = channel * multiplier + m
        const weight = new Float64Array(kh * kw * cin * multiplier);
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            for (let o = 0; o < cin * multiplier; o++) {
              weight[(o * kh + y) * kw + x] = layer.weights.data[(y * kw + x) * cin * multiplier + o];
            }
          }
        }
        push({
          kind: 'depthwise',
          activation: layer.activation,
          outShape: [oh, ow, cin * multiplier],
          kernel: [kh, kw],
          stride: [sh, sw],
          pad: [pt, pl],
          weight,
          bias: Float64Array.from(layer.bias.data)
        });
        return;
      }
      case 'max_pool1d':
      case 'avg_pool1d':
      case 'max_pool2d':
      case 'avg_pool2d': {
        const two = layer.kind.endsWith('2d');
        requireRank(two ? 2 : 1);
        const [kh, kw] = two ? layer.poolSize : [1, layer.poolSize[0]];
        const [sh, sw] = two ? layer.strides : [1, layer.strides[0]];
        const [oh, pt] = window(h, kh, sh, two ? layer.padding : 'valid', `${path}.pool_size`);
        const [ow, pl] = window(w, kw, sw, layer.padding, `${path}.pool_size`);
        push({
          kind: layer.kind.startsWith('max') ? 'max_pool' : 'avg_pool',
          activation: 'identity',
          outShape: [oh, ow, c],
          kernel: [kh, kw],
          stride: [sh, sw],
          pad: [pt, pl],
          weight: null,
          bias: null
        });
        return;
      }
      case 'global_avg_pool1d':
      case 'global_avg_pool2d':
      case 'global_max_pool1d':
      case 'global_max_pool2d': {
        if (rank !== (layer.kind.endsWith('2d') ? 2 : 1)) {
          throw new IRError(path, `${label} does not fit the previous layer's output of shape [${shape.join(', ')}]`);
        }
        push({
          kind: layer.kind.startsWith('global_max') ? 'max_pool' : 'avg_pool',
          activation: 'identity',
          outShape: [1, 1, c],
          kernel: [h, w],
          stride: [1, 1],
          pad: [0, 0],
          weight: null,
          bias: null
        });
        rank = 0;
        return;
      }
      case 'activation': {
        const before = last();
        // Fuse into the layer before when it computes something and applies nothing yet.
        if (before && (isFilter(before.kind) || before.kind === 'affine') && before.activation === 'identity') {
          before.activation = layer.activation;
          before.name += ` + ${layer.activation}`;
          return;
        }
        push({
          kind: 'activation',
          activation: layer.activation,
          outShape: shape,
          kernel: [1, 1],
          stride: [1, 1],
          pad: [0, 0],
          weight: null,
          bias: null
        });
        return;
      }
      case 'affine': {
        if (layer.scale.data.length !== c) {
          throw new IRError(
            `${path}.scale`,
            `${label} scales ${layer.scale.data.length} channels, the previous layer gives ${c}`
          );
        }
        push({
          kind: 'affine',
          activation: 'identity',
          outShape: shape,
          kernel: [1, 1],
          stride: [1, 1],
          pad: [0, 0],
          weight: Float64Array.from(layer.scale.data),
          bias: Float64Array.from(layer.offset.data)
        });
        return;
      }
      case 'batch_norm': {
        if (layer.gamma.data.length !== c) {
          throw new IRError(
            `${path}.gamma`,
            `${label} normalizes ${layer.gamma.data.length} channels, the previous layer gives ${c}`
          );
        }
        const scale = layer.gamma.data.map((g, k) => g / Math.sqrt(layer.variance.data[k] + layer.epsilon));
        const shift = layer.beta.data.map((b, k) => b - layer.mean.data[k] * scale[k]);
        const before = last();
        if (before && isFilter(before.kind) && before.activation === 'identity' && before.weight && before.bias) {
          // Fold: (x.w + b) * s + t = x.(w s) + (b s + t), per output channel.
          const perChannel = before.weight.length / c;
          for (let o = 0; o < c; o++) {
            for (let j = 0; j < perChannel; j++) {
              before.weight[o * perChannel + j] *= scale[o];
            }
            before.bias[o] = before.bias[o] * scale[o] + shift[o];
          }
          before.name += ` + ${label}`;
          return;
        }
        push({
          kind: 'affine',
          activation: 'identity',
          outShape: shape,
          kernel: [1, 1],
          stride: [1, 1],
          pad: [0, 0],
          weight: scale,
          bias: shift
        });
        return;
      }
    }
  });
  if (drafts.length === 0) {
    throw new IRError('layers', 'no layer computes anything (only flatten layers)');
  }
  drafts.forEach((d, i) => {
    if (d.activation === 'softmax' && i !== drafts.length - 1) {
      throw new IRError(d.path, `${d.name}: softmax is supported as the last layer only`);
    }
  });
  const size = shapeSize(shape);
  if (size !== ir.nOutputs) {
    throw new IRError('n_outputs', `the last layer gives ${size} outputs, n_outputs says ${ir.nOutputs}`);
  }
  return drafts;
}

/** Layers that may write their output over their input. */
export const IN_PLACE: LayerKind[] = ['activation', 'affine'];
const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * Places every layer's output in one arena: a chain only ever needs its current input and
 * output, so the arena is the largest input + output pair, and outputs alternate between
 * its two ends. In-place layers reuse their input.
 */
function planArena(layers: NetLayer[], inputBytes: number, outBytes: (l: NetLayer) => number): number {
  let arena = roundUp4(inputBytes);
  let current = inputBytes;
  for (const layer of layers) {
    const out = outBytes(layer);
    arena = Math.max(arena, IN_PLACE.includes(layer.kind) ? roundUp4(current) : roundUp4(current) + roundUp4(out));
    current = out;
  }
  let at = 0;
  for (const layer of layers) {
    layer.inOffset = at;
    if (!IN_PLACE.includes(layer.kind)) {
      at = at === 0 ? arena - roundUp4(outBytes(layer)) : 0;
    }
    layer.outOffset = at;
  }
  if (arena > 0x7fffffff) {
    throw new Error(`the network needs an arena of ${arena} bytes, more than int32 offsets address`);
  }
  return arena;
}

function emptyQuantization(): Pick<
  NetLayer,
  | 'weightI8'
  | 'biasI32'
  | 'biasFolded'
  | 'multiplier'
  | 'shift'
  | 'channelScale'
  | 'weightScale'
  | 'inScale'
  | 'inZero'
  | 'outScale'
  | 'outZero'
  | 'outFloat'
> {
  return {
    weightI8: null,
    biasI32: null,
    biasFolded: false,
    multiplier: null,
    shift: null,
    channelScale: null,
    weightScale: null,
    inScale: 1,
    inZero: 0,
    outScale: 1,
    outZero: 0,
    outFloat: false
  };
}

/** A draft's float64 weights as float32, each finite: folding a batch norm (g / sqrt(variance +
 * epsilon)) can leave float32's range although every IR value is within it. */
function float32Weights(d: Draft, values: Float64Array | null, what: string): Float32Array | null {
  if (!values) {
    return null;
  }
  const out = Float32Array.from(values);
  const bad = out.findIndex(v => !Number.isFinite(v));
  if (bad >= 0) {
    throw new IRError(
      d.path,
      `${d.name}: ${what} ${bad} comes to ${values[bad]} once batch norms are folded in, not a finite float32 ` +
        '(a variance + epsilon of 0, or near it?)'
    );
  }
  return out;
}

/** The float32 net: what Keras / scikit-learn compute, with float32 weights. */
export function buildFloatNet(ir: NeuralNetIR): NetTables {
  const layers: NetLayer[] = draftLayers(ir).map(d => ({
    kind: d.kind,
    activation: d.activation,
    name: d.name,
    inShape: d.inShape,
    outShape: d.outShape,
    kernel: d.kernel,
    stride: d.stride,
    pad: d.pad,
    inOffset: 0,
    outOffset: 0,
    weightF32: float32Weights(d, d.weight, 'weight'),
    biasF32: float32Weights(d, d.bias, 'bias'),
    ...emptyQuantization()
  }));
  const arenaBytes = planArena(layers, 4 * ir.nFeatures, l => 4 * shapeSize(l.outShape));
  return {
    featureType: 'float32',
    nInputs: ir.nFeatures,
    nOutputs: ir.nOutputs,
    layers,
    arenaBytes,
    calibration: null
  };
}

/** Per-tensor asymmetric int8 parameters covering [lo, hi] and 0. */
export function tensorQuantization(lo: number, hi: number): { scale: number; zero: number } {
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  const scale = Math.fround(Math.max((high - low) / 255, 1e-12));
  const zero = Math.max(-128, Math.min(127, Math.round(-128 - low / scale)));
  return { scale, zero };
}

/**
 * A positive real multiplier as the runtime applies it: multiplier * 2^(shift - 31) with
 * multiplier in [2^30, 2^31). Multipliers below 2^-32 round to 0.
 */
export function quantizeMultiplier(m: number, what = 'a layer'): { multiplier: number; shift: number } {
  if (!(m > 0) || !Number.isFinite(m)) {
    return { multiplier: 0, shift: 0 };
  }
  let shift = Math.floor(Math.log2(m)) + 1;
  let q = Math.round((m / 2 ** shift) * 2 ** 31);
  while (q < 2 ** 30) {
    shift -= 1; // log2 rounded up
    q = Math.round((m / 2 ** shift) * 2 ** 31);
  }
  if (q >= 2 ** 31) {
    q = 2 ** 30;
    shift += 1;
  }
  if (shift < -31) {
    return { multiplier: 0, shift: 0 };
  }
  if (shift > 30) {
    throw new OptionError(
      `${what}: requantization factor ${m} is too large for int8 (its output range is far below its input's); ` +
        'export the network as float32'
    );
  }
  return { multiplier: q, shift };
}

const INT32_MAX = 2147483647;
/** Values one int8 window may sum: 65536 * 127 * 255 stays within an int32. */
const MAX_I8_WINDOW = 65536;

/**
 * Takes the input zero point's share out of the runtime's inner loop: sum (q - z) * w =
 * sum q * w - z * sum w, so the bias becomes b - z * sum w per output channel (exact in
 * float64: |z * sum w| < 2^31). Only when every channel's result fits an int32, so the
 * runtime's sums and saturation stay the same integers; otherwise the plain bias is kept
 * (false) and the runtime subtracts the zero point itself.
 */
function foldZeroPoint(bias: Int32Array, weights: Int8Array, perChannel: number, zero: number): boolean {
  const folded = new Float64Array(bias.length);
  for (let o = 0; o < bias.length; o++) {
    let sum = 0;
    for (let j = 0; j < perChannel; j++) {
      sum += weights[o * perChannel + j];
    }
    folded[o] = bias[o] - zero * sum;
    if (folded[o] > INT32_MAX || folded[o] < -INT32_MAX - 1) {
      return false;
    }
  }
  bias.set(folded);
  return true;
}

/** Layers with weights over a window: a convolution (dense included) or a depthwise one. */
export function isFilter(kind: LayerKind): boolean {
  return kind === 'conv' || kind === 'depthwise';
}

/** Values one output sums: the window, across every input channel for a convolution (a
 * depthwise output and a pool read one channel). */
export function windowTerms(layer: Pick<NetLayer, 'kind' | 'kernel' | 'inShape'>): number {
  return layer.kernel[0] * layer.kernel[1] * (layer.kind === 'conv' ? layer.inShape[2] : 1);
}

/** Activations the int8 runtime computes from the float value of the int32 sum. */
const FLOAT_ACTIVATIONS: Activation[] = ['tanh', 'logistic', 'softmax'];

/**
 * The int8 net: weights symmetric per output channel, activations per tensor with the
 * ranges measured on representative rows (by the C runtime, on the float32 net), the last
 * convolution writing float32 so the outputs keep the int32 sum's precision.
 */
export function quantizeNet(float: NetTables, calibration: NetCalibration): NetTables {
  let inParams = tensorQuantization(calibration.inputMin, calibration.inputMax);
  const lastIndex = float.layers.length - 1;
  const layers = float.layers.map((f, k): NetLayer => {
    const layer: NetLayer = { ...f, ...emptyQuantization(), inScale: inParams.scale, inZero: inParams.zero };
    const pool = f.kind === 'max_pool' || f.kind === 'avg_pool';
    // A float32 net that overflows on the calibration rows has no range to quantize.
    if (!Number.isFinite(calibration.min[k]) || !Number.isFinite(calibration.max[k])) {
      throw new OptionError(
        `${f.name}: its outputs on the calibration rows reach ${calibration.min[k]} .. ${calibration.max[k]}, ` +
          'beyond float32, so int8 has no range to quantize them to; check the weights, or export as float32'
      );
    }
    // Pools keep their input's parameters: the runtime takes max and mean on q directly.
    const outParams = pool ? inParams : tensorQuantization(calibration.min[k], calibration.max[k]);
    layer.outScale = outParams.scale;
    layer.outZero = outParams.zero;
    // The int8 kernels sum a window in an int32 (TML_MAX_I8_WINDOW in net.h).
    const window = windowTerms(f);
    if ((isFilter(f.kind) || f.kind === 'avg_pool') && window > MAX_I8_WINDOW) {
      throw new OptionError(
        `${f.name}: a window of ${window} values is more than int8 sums (${MAX_I8_WINDOW}); export as float32`
      );
    }
    if (isFilter(f.kind)) {
      const weights = f.weightF32 as Float32Array;
      const cout = f.outShape[2];
      const perChannel = weights.length / cout;
      layer.outFloat = k === lastIndex;
      if (layer.outFloat) {
        layer.outScale = 1;
        layer.outZero = 0;
      }
      layer.weightI8 = new Int8Array(weights.length);
      layer.weightScale = new Float32Array(cout);
      layer.biasI32 = new Int32Array(cout);
      layer.multiplier = new Int32Array(cout);
      layer.shift = new Int8Array(cout);
      const needsFloat = layer.outFloat || FLOAT_ACTIVATIONS.includes(f.activation);
      layer.channelScale = needsFloat ? new Float32Array(cout) : null;
      for (let o = 0; o < cout; o++) {
        let top = 0;
        for (let j = 0; j < perChannel; j++) {
          top = Math.max(top, Math.abs(weights[o * perChannel + j]));
        }
        const ws = Math.fround(top > 0 ? top / 127 : 1);
        layer.weightScale[o] = ws;
        for (let j = 0; j < perChannel; j++) {
          layer.weightI8[o * perChannel + j] = Math.max(
            -127,
            Math.min(127, Math.round(weights[o * perChannel + j] / ws))
          );
        }
        const accScale = inParams.scale * ws; // value of one unit of the int32 sum
        if (!Number.isFinite(Math.fround(accScale))) {
          throw new OptionError(
            `${f.name}: weights up to ${top} on inputs of scale ${inParams.scale} make int8 sums count in units ` +
              `of ${accScale}, beyond float32; export the network as float32`
          );
        }
        const bias = f.biasF32 ? Math.round(f.biasF32[o] / accScale) : 0;
        layer.biasI32[o] = Math.max(-INT32_MAX, Math.min(INT32_MAX, bias));
        const { multiplier, shift } = quantizeMultiplier(accScale / layer.outScale, f.name);
        layer.multiplier[o] = multiplier;
        layer.shift[o] = shift;
        if (layer.channelScale) {
          layer.channelScale[o] = accScale;
        }
      }
      // a depthwise kernel takes the zero point off per term: its bias stays plain
      layer.biasFolded = f.kind === 'conv' && foldZeroPoint(layer.biasI32, layer.weightI8, perChannel, layer.inZero);
      layer.weightF32 = null;
      layer.biasF32 = null;
    }
    inParams = { scale: layer.outScale, zero: layer.outZero };
    return layer;
  });
  const tables: NetTables = { ...float, featureType: 'int8', layers, calibration, arenaBytes: 0 };
  tables.arenaBytes = planArena(layers, float.nInputs, l => outputElementBytes(tables, l) * shapeSize(l.outShape));
  return tables;
}
