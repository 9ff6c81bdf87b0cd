/**
 * Lowers a neural-net IR to the C runtime's layers (c-runtime/include/tinyml/net.h):
 * shapes, "same" padding, weights reordered to [out][kh][kw][in], batch norms folded into
 * the convolution or dense layer before them, activations fused, merges of several inputs as
 * runtime layers of two, a static arena plan from the tensors' lifetimes, and
 * for int8 the quantization of weights (symmetric, per output channel) and activations (per
 * tensor, from ranges the C runtime itself measures on a representative set).
 */
import { IRError } from '../../ir/read';
import { OptionError } from '../../input';
import {
  ACTIVATIONS,
  Activation,
  CLAMP_ACTIVATIONS,
  DEFAULT_ALPHA,
  LayerQuantization,
  MergeKind,
  NetLayerIR,
  NeuralNetIR,
  Padding,
  TensorQuantization
} from './ir';

export type NetFeatureType = 'float32' | 'int8';
export type LayerKind =
  | 'conv'
  | 'depthwise'
  | 'max_pool'
  | 'avg_pool'
  | 'affine'
  | 'activation'
  | 'add'
  | 'mul'
  | 'max'
  | 'concat'
  | 'pad'
  | 'upsample';
/** Runtime layers of two inputs (in2*). */
export const BINARY_KINDS: LayerKind[] = ['add', 'mul', 'max', 'concat'];
export type Shape3 = [number, number, number];

/** One tml_layer_t, as typed arrays and numbers. */
export interface NetLayer {
  kind: LayerKind;
  activation: Activation;
  /** The activation's parameter (tml_layer_t's act_alpha), 0 for those without one. */
  activationAlpha: number;
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
  /** Where the inputs come from: layer k - 1 - inFrom's output (-1: the net's input). */
  inFrom: number;
  in2From: number;
  in2Offset: number;
  /** conv: [out][kh][kw][in]; depthwise: [out][kh][kw]; affine: per-channel factor; add: the
   * two inputs' factors. */
  weightF32: Float32Array | null;
  /** conv: [out] or null; affine: per-channel shift. */
  biasF32: Float32Array | null;
  /** conv: [out][kh][kw][in], only the rows rowMask keeps when it is set; depthwise:
   * [kh][kw][out] (channel-minor, see channelMinor). */
  weightI8: Int8Array | null;
  /** With biasFolded: bias - inZero * (sum of the channel's weights), see net.h. */
  biasI32: Int32Array | null;
  /** biasI32 holds the zero point's share, so the runtime's inner loop sums q * w alone. */
  biasFolded: boolean;
  /** int8 conv: bit o % 8 of byte o / 8 set when output channel o has a weight row in weightI8
   * (tml_layer_t's row_mask; see keepNonzeroRows), or null: every channel has one. */
  rowMask: Uint8Array | null;
  multiplier: Int32Array | null;
  shift: Int8Array | null;
  channelScale: Float32Array | null;
  /** Symmetric per-channel scale of weightI8 (reporting only). */
  weightScale: Float32Array | null;
  inScale: number;
  inZero: number;
  in2Scale: number;
  in2Zero: number;
  outScale: number;
  outZero: number;
  outFloat: boolean;
  /** The int8 numbers a quantized source gave the layer (a .tflite file's), or null. */
  sourceQuantization: LayerQuantization | null;
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
  /** Arena bytes in use while each layer runs: every tensor alive then (see planArena). */
  liveBytes: number[];
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
  activationAlpha: number;
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
  /** Drafts whose outputs it reads (-1: the net's input): one, or two for a binary kind. */
  inputs: number[];
  quantization?: LayerQuantization;
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

/** A sample's dimensions ([n], [steps, channels] or [h, w, channels]) as the runtime's h x w x c. */
function shapeOf(s: number[]): { shape: Shape3; rank: number } {
  if (s.length === 1) {
    return { shape: [1, 1, s[0]], rank: 0 };
  }
  return s.length === 2 ? { shape: [1, s[0], s[1]], rank: 1 } : { shape: [s[0], s[1], s[2]], rank: 2 };
}

/** What an IR layer's output is: the draft that writes it (-1: the net's input), and its shape. */
interface Value {
  draft: number;
  shape: Shape3;
  rank: number;
}

/** The IR layers layer i reads (-1: the model input). */
const irInputs = (layer: NetLayerIR, i: number): number[] => layer.inputs ?? [i - 1];

/**
 * For each IR layer, how many layers read its output (through flattens, which move no data
 * and count as their input's; the model output counts as a reader): a batch norm or an
 * activation may be folded into the layer before only when it is that output's one reader.
 */
function readerCounts(ir: NeuralNetIR): { root: number[]; readers: number[] } {
  const root: number[] = [];
  const readers = new Array<number>(ir.layers.length).fill(0);
  const rootOf = (j: number): number => (j < 0 ? -1 : root[j]);
  ir.layers.forEach((layer, i) => {
    const inputs = irInputs(layer, i);
    root[i] = layer.kind === 'flatten' ? rootOf(inputs[0]) : i;
    if (layer.kind !== 'flatten') {
      inputs.filter(j => rootOf(j) >= 0).forEach(j => readers[rootOf(j)]++);
    }
  });
  const output = rootOf(ir.layers.length - 1);
  if (output >= 0) {
    readers[output]++;
  }
  return { root, readers };
}

/** The parameter of a layer's activation: the IR's alpha, else Keras's default, else 0. */
const alphaOf = (layer: NetLayerIR, activation: Activation): number =>
  DEFAULT_ALPHA[activation] === undefined ? 0 : (layer.alpha ?? (DEFAULT_ALPHA[activation] as number));

const sameParams = (a?: TensorQuantization, b?: TensorQuantization): boolean =>
  a !== undefined && b !== undefined && a.scale === b.scale && a.zero === b.zero;

/** Factors of the two inputs of the n-th runtime ADD (n >= 1) that an IR merge of count inputs
 * becomes: Average takes 1 / count of each input, the running sum whole. */
function mergeFactors(kind: MergeKind, n: number, count: number): Float64Array | null {
  switch (kind) {
    case 'add':
      return Float64Array.of(1, 1);
    case 'subtract':
      return Float64Array.of(1, -1);
    case 'average':
      return Float64Array.of(n === 1 ? 1 / count : 1, 1 / count);
    default:
      return null;
  }
}

const MERGE_RUNTIME_KIND: Record<MergeKind, LayerKind> = {
  add: 'add',
  subtract: 'add',
  average: 'add',
  multiply: 'mul',
  maximum: 'max'
};

/**
 * IR layers to runtime layers with float64 weights: shapes, padding, weight order, batch
 * norms folded, activations fused, flatten dropped (channels-last row-major data is
 * already flat in the order Keras flattens it), merges of n inputs as n - 1 runtime layers
 * of two. Each draft knows the drafts whose outputs it reads.
 */
function draftLayers(ir: NeuralNetIR): Draft[] {
  const drafts: Draft[] = [];
  const values: Value[] = [];
  const input: Value = { draft: -1, ...shapeOf(ir.inputShape) };
  const valueOf = (j: number): Value => (j < 0 ? input : values[j]);
  const { root, readers } = readerCounts(ir);
  ir.layers.forEach((layer: NetLayerIR, index) => {
    // shapes follow from the layers before: a layer that does not fit them is malformed here
    const path = `layers[${index}]`;
    const label = `${layer.kind} ${index}`;
    const inputs = irInputs(layer, index);
    const sources = inputs.map(valueOf);
    const { shape, rank } = sources[0];
    const [h, w, c] = shape;
    const push = (d: Omit<Draft, 'inShape' | 'name' | 'path' | 'inputs' | 'activationAlpha'>, outRank = rank): void => {
      drafts.push({
        ...d,
        activationAlpha: alphaOf(layer, d.activation),
        inShape: shape,
        name: label,
        path,
        inputs: [sources[0].draft],
        quantization: layer.quantization
      });
      values[index] = { draft: drafts.length - 1, shape: d.outShape, rank: outRank };
    };
    // The draft this layer may fold into: it writes this layer's one input, read by no other.
    const foldTarget = (): Draft | undefined => {
      const r = inputs.length === 1 && inputs[0] >= 0 ? root[inputs[0]] : -1;
      return r >= 0 && readers[r] === 1 && sources[0].draft >= 0 ? drafts[sources[0].draft] : undefined;
    };
    const folded = (): void => {
      values[index] = sources[0];
    };
    // One runtime layer of two inputs (a merge of n inputs is n - 1 of them); its index.
    const pushBinary = (
      kind: LayerKind,
      inputs: number[],
      inShape: Shape3,
      outShape: Shape3,
      weight: Float64Array | null
    ): number => {
      drafts.push({
        kind,
        activation: 'identity',
        activationAlpha: 0,
        name: label,
        path,
        inShape,
        outShape,
        kernel: [1, 1],
        stride: [1, 1],
        pad: [0, 0],
        weight,
        bias: null,
        inputs,
        quantization: layer.quantization
      });
      return drafts.length - 1;
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
    const sameShapes = (what: (s: Shape3) => number[]): void => {
      sources.forEach((v, n) => {
        if (v.rank !== rank || what(v.shape).some((d, i) => d !== what(shape)[i])) {
          throw new IRError(
            `${path}.inputs`,
            `${label}: input ${n} has shape [${v.shape.join(', ')}], input 0 [${shape.join(', ')}]`
          );
        }
      });
    };
    switch (layer.kind) {
      case 'flatten':
        values[index] = { draft: sources[0].draft, shape: [1, 1, h * w * c], rank: 0 };
        return;
      case 'pad':
      case 'upsample': {
        if (rank === 0) {
          throw new IRError(
            path,
            `${label} needs a [steps, channels] or [h, w, channels] input, the previous layer gives a vector`
          );
        }
        const [top, bottom, left, right] = layer.kind === 'pad' ? layer.pads : [0, 0, 0, 0];
        const [sh, sw] = layer.kind === 'upsample' ? layer.size : [1, 1];
        if (rank === 1 && (top !== 0 || bottom !== 0 || sh !== 1)) {
          throw new IRError(path, `${label}: a [steps, channels] input has no rows to pad or repeat`);
        }
        const outShape: Shape3 = [h * sh + top + bottom, w * sw + left + right, c];
        if (outShape[0] < 1 || outShape[1] < 1) {
          throw new IRError(path, `${label} crops [${shape.join(', ')}] to nothing`);
        }
        push({
          kind: layer.kind,
          activation: 'identity',
          outShape,
          kernel: [sh, sw],
          stride: [1, 1],
          pad: [top, left],
          weight: null,
          bias: null
        });
        return;
      }
      case 'reshape': {
        const size = layer.shape.reduce((a, b) => a * b, 1);
        if (size !== h * w * c) {
          throw new IRError(
            `${path}.shape`,
            `${label}: [${layer.shape.join(', ')}] holds ${size} values, its input ${h * w * c}`
          );
        }
        values[index] = { draft: sources[0].draft, ...shapeOf(layer.shape) };
        return;
      }
      case 'add':
      case 'subtract':
      case 'multiply':
      case 'average':
      case 'maximum': {
        sameShapes(s => s);
        let sum = sources[0].draft;
        for (let n = 1; n < sources.length; n++) {
          sum = pushBinary(
            MERGE_RUNTIME_KIND[layer.kind],
            [sum, sources[n].draft],
            shape,
            shape,
            mergeFactors(layer.kind, n, sources.length)
          );
        }
        values[index] = { draft: sum, shape, rank };
        return;
      }
      case 'concatenate': {
        sameShapes(s => [s[0], s[1]]);
        let joined = sources[0].draft;
        let channels = c;
        for (let n = 1; n < sources.length; n++) {
          const outShape: Shape3 = [h, w, channels + sources[n].shape[2]];
          joined = pushBinary('concat', [joined, sources[n].draft], [h, w, channels], outShape, null);
          channels = outShape[2];
        }
        values[index] = { draft: joined, shape: [h, w, channels], rank };
        return;
      }
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
        const [kh, kw, cin, multiplier] = layer.weights.shape;
        requireRank(kh === 1 && rank === 1 ? 1 : 2); // a kernel one row high also runs over [steps, channels]
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
        push(
          {
            kind: layer.kind.startsWith('global_max') ? 'max_pool' : 'avg_pool',
            activation: 'identity',
            outShape: [1, 1, c],
            kernel: [h, w],
            stride: [1, 1],
            pad: [0, 0],
            weight: null,
            bias: null
          },
          0
        );
        return;
      }
      case 'activation': {
        const before = foldTarget();
        // Fuse into the layer before when it computes something and applies nothing yet (an
        // ADD or MUL only what the runtime clamps). A quantized source's layers keep their
        // own integers: only a clamp onto the same output parameters is fused there.
        const clamps = layer.activation === 'relu' || layer.activation === 'relu6';
        const sameIntegers =
          !ir.inputQuantization || (clamps && sameParams(before?.quantization?.output, layer.quantization?.output));
        if (
          before &&
          before.activation === 'identity' &&
          sameIntegers &&
          (isFilter(before.kind) ||
            before.kind === 'affine' ||
            ((before.kind === 'add' || before.kind === 'mul') && clamps))
        ) {
          before.activation = layer.activation;
          before.activationAlpha = alphaOf(layer, layer.activation);
          before.name += ` + ${layer.activation}`;
          folded();
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
        const before = foldTarget();
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
          folded();
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
  const output = valueOf(ir.layers.length - 1);
  if (output.draft !== drafts.length - 1) {
    const unread = drafts[drafts.length - 1];
    throw new IRError(unread.path, `${unread.name} comes after the model output's layer and nothing reads it; drop it`);
  }
  drafts.forEach((d, i) => {
    if (d.activation === 'softmax' && i !== drafts.length - 1) {
      throw new IRError(d.path, `${d.name}: softmax is supported as the last layer only`);
    }
  });
  const size = shapeSize(output.shape);
  if (size !== ir.nOutputs) {
    throw new IRError('n_outputs', `the last layer gives ${size} outputs, n_outputs says ${ir.nOutputs}`);
  }
  return drafts;
}

/** Layers that may write their output over an input of the same element size. */
export const IN_PLACE: LayerKind[] = ['activation', 'affine', 'add', 'mul', 'max'];
const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Producers of layer k's inputs: earlier layers' indices, -1 for the net's input. */
export function layerSources(layer: Pick<NetLayer, 'kind' | 'inFrom' | 'in2From'>, k: number): number[] {
  const first = k - 1 - layer.inFrom;
  return BINARY_KINDS.includes(layer.kind) ? [first, k - 1 - layer.in2From] : [first];
}

/** A run of arena bytes holding one tensor, or several when layers work in place. */
interface ArenaBlock {
  /** Bytes it takes: what it holds (used), rounded up to a multiple of 4. */
  bytes: number;
  used: number;
  /** The layer that writes it first (-1: the net's input) and the last that reads it. */
  start: number;
  end: number;
  offset: number;
}

/**
 * Places the net's input and every layer's output in one arena, by lifetimes: a tensor lives
 * from the layer that writes it to the last layer that reads it (the net's output to the
 * end), and two tensors alive at once never share a byte. An element-by-element layer writes
 * over an input that no later layer reads. Then, largest first, each block goes at the lowest
 * offset clear of the blocks already placed that it meets in time (greedy by size, the scheme
 * of TFLite Micro's planner). A chain comes out at its largest input + output pair.
 */
function planArena(
  layers: NetLayer[],
  inputBytes: number,
  outBytes: (l: NetLayer) => number
): Pick<NetTables, 'arenaBytes' | 'liveBytes'> {
  const n = layers.length;
  const lastRead = new Map<number, number>([[n - 1, n]]);
  layers.forEach((layer, k) =>
    layerSources(layer, k).forEach(t => lastRead.set(t, Math.max(lastRead.get(t) ?? -1, k)))
  );
  const readUntil = (t: number): number => lastRead.get(t) ?? t;
  const inputBlock: ArenaBlock = {
    bytes: roundUp4(inputBytes),
    used: inputBytes,
    start: -1,
    end: readUntil(-1),
    offset: 0
  };
  const blocks: ArenaBlock[] = [inputBlock];
  const blockOf = new Map<number, ArenaBlock>([[-1, inputBlock]]);
  layers.forEach((layer, k) => {
    const bytes = roundUp4(outBytes(layer));
    const elementBytes = outBytes(layer) / shapeSize(layer.outShape);
    const inputElementBytes = (t: number): number =>
      t < 0 ? inputBytes / shapeSize(layers[0].inShape) : outBytes(layers[t]) / shapeSize(layers[t].outShape);
    const over = IN_PLACE.includes(layer.kind)
      ? layerSources(layer, k).find(t => readUntil(t) === k && inputElementBytes(t) === elementBytes)
      : undefined;
    if (over !== undefined) {
      const block = blockOf.get(over) as ArenaBlock;
      block.end = Math.max(block.end, readUntil(k));
      block.used = Math.max(block.used, outBytes(layer));
      blockOf.set(k, block);
      return;
    }
    const block = { bytes, used: outBytes(layer), start: k, end: readUntil(k), offset: 0 };
    blocks.push(block);
    blockOf.set(k, block);
  });
  const placed: ArenaBlock[] = [];
  const bySize = [...blocks].sort((a, b) => b.bytes - a.bytes || a.start - b.start);
  for (const block of bySize) {
    const alive = placed.filter(p => p.start <= block.end && block.start <= p.end);
    const candidates = [0, ...alive.map(p => p.offset + p.bytes)].sort((a, b) => a - b);
    block.offset = candidates.find(at =>
      alive.every(p => at + block.bytes <= p.offset || p.offset + p.bytes <= at)
    ) as number;
    placed.push(block);
  }
  const arena = Math.max(...blocks.map(b => b.offset + b.bytes));
  if (arena > 0x7fffffff) {
    throw new Error(`the network needs an arena of ${arena} bytes, more than int32 offsets address`);
  }
  layers.forEach((layer, k) => {
    const [first, second] = layerSources(layer, k);
    layer.inOffset = (blockOf.get(first) as ArenaBlock).offset;
    layer.in2Offset = second === undefined ? 0 : (blockOf.get(second) as ArenaBlock).offset;
    layer.outOffset = (blockOf.get(k) as ArenaBlock).offset;
  });
  const liveBytes = layers.map((_, k) =>
    blocks.filter(b => b.start <= k && k <= b.end).reduce((sum, b) => sum + b.used, 0)
  );
  return { arenaBytes: arena, liveBytes };
}

function emptyQuantization(): Pick<
  NetLayer,
  | 'weightI8'
  | 'biasI32'
  | 'biasFolded'
  | 'rowMask'
  | 'multiplier'
  | 'shift'
  | 'channelScale'
  | 'weightScale'
  | 'inScale'
  | 'inZero'
  | 'in2Scale'
  | 'in2Zero'
  | 'outScale'
  | 'outZero'
  | 'outFloat'
> {
  return {
    weightI8: null,
    biasI32: null,
    biasFolded: false,
    rowMask: null,
    multiplier: null,
    shift: null,
    channelScale: null,
    weightScale: null,
    inScale: 1,
    inZero: 0,
    in2Scale: 1,
    in2Zero: 0,
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
  const layers: NetLayer[] = draftLayers(ir).map((d, k) => ({
    kind: d.kind,
    activation: d.activation,
    activationAlpha: d.activationAlpha,
    name: d.name,
    inShape: d.inShape,
    outShape: d.outShape,
    kernel: d.kernel,
    stride: d.stride,
    pad: d.pad,
    inOffset: 0,
    outOffset: 0,
    inFrom: k - 1 - d.inputs[0],
    in2From: d.inputs.length > 1 ? k - 1 - d.inputs[1] : 0,
    in2Offset: 0,
    weightF32: float32Weights(d, d.weight, 'weight'),
    biasF32: float32Weights(d, d.bias, 'bias'),
    ...emptyQuantization(),
    sourceQuantization: d.quantization ?? null
  }));
  const plan = planArena(layers, 4 * ir.nFeatures, l => 4 * shapeSize(l.outShape));
  return {
    featureType: 'float32',
    nInputs: ir.nFeatures,
    nOutputs: ir.nOutputs,
    layers,
    ...plan,
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

/**
 * Bytes of an int8 layer's window buffer at the end of the arena: a requantized convolution
 * with a kernel larger than 1x1 gathers the windows of two neighbouring positions there, each
 * in whole words (tml_net_window_buffer_bytes in c-runtime/include/tinyml/net_types.h, whose
 * rule this is; the validator checks the plan).
 */
function windowBufferBytes(layer: NetLayer): number {
  const [kh, kw] = layer.kernel;
  return layer.kind === 'conv' && !computesInFloat(layer) && kh * kw > 1 ? 2 * roundUp4(kh * kw * layer.inShape[2]) : 0;
}

/** An int8 convolution that computes its outputs in float, from the int32 sums times their
 * scale (it writes float, or its activation is not a clamp): tml_net_conv_in_float. */
function computesInFloat(layer: Pick<NetLayer, 'outFloat' | 'activation'>): boolean {
  return layer.outFloat || FLOAT_ACTIVATIONS.includes(layer.activation);
}

/**
 * Weights [out][taps] as [taps][out]: the int8 depthwise kernel's layout (net_i8.h, as TFLite
 * stores them), where the weights of neighbouring channels at one tap are one word.
 */
function channelMinor(weights: Int8Array, outC: number): Int8Array {
  const taps = weights.length / outC;
  const out = new Int8Array(weights.length);
  for (let o = 0; o < outC; o++) {
    for (let t = 0; t < taps; t++) {
      out[t * outC + o] = weights[o * taps + t];
    }
  }
  return out;
}

/**
 * Whether every output of an int8 convolution comes from the runtime's whole-window kernel,
 * the one that reads a row mask (tml_net_conv_windows_whole in net_types.h, whose rule this
 * is): requantized in integers with the zero point folded. A lowered layer's windows are then
 * whole: a larger kernel's gathered into the window buffer, a 1x1 kernel's never padded.
 */
function windowsAllWhole(layer: NetLayer): boolean {
  return layer.kind === 'conv' && !computesInFloat(layer) && (layer.biasFolded || layer.inZero === 0);
}

/** Cortex-M4F code of the int8 convolution's row-mask path (TML_NET_ROW_MASKS_BIT), compiled in
 * only when a layer has a mask: MLPerf Tiny's VWW net with and without it (bench/mlperf_tiny/ours.py). */
export const ROW_MASK_CODE_BYTES = 160;

/** Counting and spreading one channel's sum at a position costs about as much as this many
 * multiply-adds (13 instructions against 1.45 a multiply-add; describe.ts's maskedOutput, conv). */
const SPREAD_COST_IN_MACS = 9;

/**
 * The layer with only the weight rows of its output channels that have a nonzero weight, and a
 * bit per channel saying which (rowMask), or null where the runtime cannot run it so
 * (windowsAllWhole) or it does not pay: the rows left out must outweigh the mask in bytes and, at
 * each position, their multiply-adds the spreading of every channel's sum.
 */
function nonzeroRows(layer: NetLayer): { weights: Int8Array; mask: Uint8Array; savedBytes: number } | null {
  if (!windowsAllWhole(layer)) {
    return null;
  }
  const weights = layer.weightI8 as Int8Array;
  const outC = layer.outShape[2];
  const per = weights.length / outC;
  const mask = new Uint8Array(Math.ceil(outC / 8));
  const kept: number[] = [];
  for (let o = 0; o < outC; o++) {
    if (weights.subarray(o * per, (o + 1) * per).some(w => w !== 0)) {
      mask[o >> 3] |= 1 << (o & 7);
      kept.push(o);
    }
  }
  const leftOut = (outC - kept.length) * per;
  if (leftOut <= mask.length || leftOut < SPREAD_COST_IN_MACS * outC) {
    return null;
  }
  const stored = new Int8Array(kept.length * per);
  kept.forEach((o, row) => stored.set(weights.subarray(o * per, (o + 1) * per), row * per));
  return { weights: stored, mask, savedBytes: leftOut - mask.length };
}

/**
 * Stores only the rows of output channels with a nonzero weight (see nonzeroRows) where the net
 * as a whole saves more flash than the mask path's code: a channel whose weights are all zero
 * (pruned, or dead in training) then costs neither flash nor multiply-adds, and its output is its
 * requantized bias as before, so the integers do not change. MLPerf Tiny's visual wake words net
 * has such channels in most of its last pointwise layers (234 of 256 in one).
 */
function keepNonzeroRows(layers: NetLayer[]): void {
  const chosen = layers.map(nonzeroRows);
  if (chosen.reduce((sum, c) => sum + (c?.savedBytes ?? 0), 0) <= ROW_MASK_CODE_BYTES) {
    return;
  }
  chosen.forEach((c, k) => {
    if (c) {
      layers[k].weightI8 = c.weights;
      layers[k].rowMask = c.mask;
    }
  });
}

/** Output channels that compute a weighted sum: those with a weight row (see rowMask). */
export function channelsWithRows(layer: Pick<NetLayer, 'outShape' | 'rowMask'>): number {
  const mask = layer.rowMask;
  if (!mask) {
    return layer.outShape[2];
  }
  let rows = 0;
  for (let o = 0; o < layer.outShape[2]; o++) {
    rows += (mask[o >> 3] >> (o & 7)) & 1;
  }
  return rows;
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
const FLOAT_ACTIVATIONS: Activation[] = ACTIVATIONS.filter(a => !CLAMP_ACTIVATIONS.includes(a));

/** Bits of headroom the int8 ADD gives its inputs (TML_NET_ADD_LEFT_SHIFT in net_merge.h). */
const ADD_LEFT_SHIFT = 20;

/**
 * An int8 ADD's or MUL's fixed-point factors, computed as TFLite prepares its ADD and MUL (in
 * double, from the float32 scales), so a .tflite model's integers come out the same: ADD
 * scales each input by its scale / twice the larger one (times its factor: Subtract's -1,
 * Average's 1 / n), then the sum by that / (2^20 * the output's scale); MUL the product by
 * in_scale * in2_scale / out_scale.
 */
function mergeRequantization(layer: NetLayer, factors: Float32Array | null): void {
  const signed = (m: number): { multiplier: number; shift: number } => {
    const q = quantizeMultiplier(Math.abs(m), layer.name);
    return { multiplier: Math.sign(m) * q.multiplier, shift: q.shift };
  };
  const parts =
    layer.kind === 'mul'
      ? [signed((layer.inScale * layer.in2Scale) / layer.outScale)]
      : (() => {
          const twiceMax = 2 * Math.max(layer.inScale, layer.in2Scale);
          const [a, b] = factors as Float32Array;
          return [
            signed((a * layer.inScale) / twiceMax),
            signed((b * layer.in2Scale) / twiceMax),
            signed(twiceMax / (2 ** ADD_LEFT_SHIFT * layer.outScale))
          ];
        })();
  layer.multiplier = Int32Array.from(parts, p => p.multiplier);
  layer.shift = Int8Array.from(parts, p => p.shift);
  layer.weightF32 = null;
}

/** Parameters covering the calibrated range of layer k's output (-1: the net's input). */
function rangeQuantization(calibration: NetCalibration | null, k: number, what: string): TensorQuantization {
  if (!calibration) {
    throw new OptionError(`${what}: no calibration ranges and no quantization of its own to take`);
  }
  const [lo, hi] = k < 0 ? [calibration.inputMin, calibration.inputMax] : [calibration.min[k], calibration.max[k]];
  // A float32 net that overflows on the calibration rows has no range to quantize.
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new OptionError(
      `${what}: its outputs on the calibration rows reach ${lo} .. ${hi}, ` +
        'beyond float32, so int8 has no range to quantize them to; check the weights, or export as float32'
    );
  }
  return tensorQuantization(lo, hi);
}

/**
 * The int8 net: weights symmetric per output channel, activations per tensor with the
 * ranges measured on representative rows (by the C runtime, on the float32 net), the last
 * convolution writing float32 so the outputs keep the int32 sum's precision. A quantized
 * source's layers (sourceQuantization, its input's parameters in sourceInput; calibration may
 * then be null) keep the source's numbers instead: weight scales, int32 biases, every
 * tensor's parameters, and an int8 last layer, so the integers are the source's.
 */
export function quantizeNet(
  float: NetTables,
  calibration: NetCalibration | null,
  sourceInput?: TensorQuantization
): NetTables {
  const inputParams = sourceInput ?? rangeQuantization(calibration, -1, 'the input');
  const layerParams: { scale: number; zero: number }[] = [];
  const paramsOf = (t: number): { scale: number; zero: number } => (t < 0 ? inputParams : layerParams[t]);
  const lastIndex = float.layers.length - 1;
  const layers = float.layers.map((f, k): NetLayer => {
    const [source, source2] = layerSources(f, k);
    const inParams = paramsOf(source);
    const layer: NetLayer = { ...f, ...emptyQuantization(), inScale: inParams.scale, inZero: inParams.zero };
    if (source2 !== undefined) {
      layer.in2Scale = paramsOf(source2).scale;
      layer.in2Zero = paramsOf(source2).zero;
    }
    // pools and copies work on q itself: the output keeps the input's parameters
    const pool = f.kind === 'max_pool' || f.kind === 'avg_pool' || f.kind === 'pad' || f.kind === 'upsample';
    const given = f.sourceQuantization;
    // Pools keep their input's parameters: the runtime takes max and mean on q directly.
    if (pool && given && !(given.output.scale === inParams.scale && given.output.zero === inParams.zero)) {
      throw new OptionError(
        `${f.name}: the file quantizes its output unlike its input, which this layer's integers keep (scale ${given.output.scale} ` +
          `zero point ${given.output.zero}, input ${inParams.scale} / ${inParams.zero}); export as float32`
      );
    }
    const outParams = given ? given.output : pool ? inParams : rangeQuantization(calibration, k, f.name);
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
      // a source's own integers end in int8, as it computes them
      layer.outFloat = k === lastIndex && !given;
      if (layer.outFloat) {
        layer.outScale = 1;
        layer.outZero = 0;
      }
      layer.weightI8 = new Int8Array(weights.length);
      layer.weightScale = new Float32Array(cout);
      layer.biasI32 = new Int32Array(cout);
      layer.multiplier = new Int32Array(cout);
      layer.shift = new Int8Array(cout);
      layer.channelScale = computesInFloat(layer) ? new Float32Array(cout) : null;
      for (let o = 0; o < cout; o++) {
        let top = 0;
        for (let j = 0; j < perChannel; j++) {
          top = Math.max(top, Math.abs(weights[o * perChannel + j]));
        }
        const ws = Math.fround(given?.weightScale ? given.weightScale[o] : top > 0 ? top / 127 : 1);
        layer.weightScale[o] = ws;
        // a source's weights are its integers times ws: dividing gives them back
        for (let j = 0; j < perChannel; j++) {
          layer.weightI8[o * perChannel + j] = Math.max(
            given ? -128 : -127,
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
        const bias = given?.bias ? given.bias[o] : f.biasF32 ? Math.round(f.biasF32[o] / accScale) : 0;
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
      if (f.kind === 'depthwise') {
        layer.weightI8 = channelMinor(layer.weightI8, cout);
      }
      layer.weightF32 = null;
      layer.biasF32 = null;
    }
    if (f.kind === 'add' || f.kind === 'mul') {
      mergeRequantization(layer, f.weightF32);
    }
    layerParams[k] = { scale: layer.outScale, zero: layer.outZero };
    return layer;
  });
  keepNonzeroRows(layers);
  const tables: NetTables = { ...float, featureType: 'int8', layers, calibration };
  const plan = planArena(layers, float.nInputs, l => outputElementBytes(tables, l) * shapeSize(l.outShape));
  // the window buffers go after every tensor, where the runtime finds them
  const buffers = layers.map(windowBufferBytes);
  return {
    ...tables,
    arenaBytes: plan.arenaBytes + Math.max(...buffers),
    liveBytes: plan.liveBytes.map((bytes, k) => bytes + buffers[k])
  };
}
