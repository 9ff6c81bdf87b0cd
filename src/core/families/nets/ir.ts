/**
 * The model IR of neural networks (family "neural_net"): scikit-learn MLPs and Keras
 * Sequential / Functional models (chains, or graphs with branches and merges), as
 * tinyml_lab/readers/networks.py and keras_files.py write it. Layers are kept as the framework has them (Keras kernel layouts, batch norm
 * unfolded); lowering to the C runtime's layers happens in lower.ts. Documented in docs/ir.md.
 */
import { IRError, decodeAt, decodeFloatsAt, finiteNumber, requireInteger } from '../../ir/read';
import { ClassLabel, MAX_NET_FEATURES } from '../../ir/types';
import type { FeatureStage } from '../../features/stage';
import { shown } from '../../ir/show';

export const ACTIVATIONS = [
  'identity',
  'relu',
  'relu6',
  'tanh',
  'logistic',
  'softmax',
  'leaky_relu',
  'elu',
  'hard_sigmoid',
  'hard_swish'
] as const;
export type Activation = (typeof ACTIVATIONS)[number];
/** Activations an int8 layer applies as a clamp of its integers; the others need the real value. */
export const CLAMP_ACTIVATIONS: Activation[] = ['identity', 'relu', 'relu6'];
/**
 * An activation's parameter when the IR layer gives no `alpha`: Keras 3's defaults (leaky_relu's
 * negative slope, elu's alpha, hard_sigmoid's slope: relu6(x + 3) / 6).
 */
export const DEFAULT_ALPHA: Partial<Record<Activation, number>> = { leaky_relu: 0.2, elu: 1, hard_sigmoid: 1 / 6 };
export type Padding = 'valid' | 'same';

/** A tensor's weights, decoded to float64 whatever the IR stored (float32 or float64). */
export interface Weights {
  data: Float64Array;
  shape: number[];
}

/** Layers that join two or more inputs of the same shape element by element. */
export const MERGE_KINDS = ['add', 'subtract', 'multiply', 'average', 'maximum'] as const;
export type MergeKind = (typeof MERGE_KINDS)[number];

/** int8 parameters of a tensor: real = scale * (q - zero). */
export interface TensorQuantization {
  scale: number;
  zero: number;
}

/**
 * A layer's int8 numbers as a quantized source (a .tflite file) gives them: its output's
 * parameters and, for dense and convolution layers, the weights' scale per output channel and
 * the int32 bias (in units of input scale * weight scale). The weights are the real values.
 */
export interface LayerQuantization {
  output: TensorQuantization;
  weightScale?: Float64Array;
  bias?: Int32Array;
}

export type NetLayerIR = (
  | { kind: 'dense'; weights: Weights; bias: Weights; activation: Activation }
  | {
      kind: 'conv1d' | 'conv2d';
      weights: Weights;
      bias: Weights;
      strides: number[];
      padding: Padding;
      activation: Activation;
    }
  /** Keras's DepthwiseConv2D: weights [kh, kw, channels, multiplier]. */
  | {
      kind: 'depthwise_conv2d';
      weights: Weights;
      bias: Weights;
      strides: number[];
      padding: Padding;
      activation: Activation;
    }
  | {
      kind: 'max_pool1d' | 'avg_pool1d' | 'max_pool2d' | 'avg_pool2d';
      poolSize: number[];
      strides: number[];
      padding: Padding;
    }
  | { kind: 'global_avg_pool1d' | 'global_avg_pool2d' | 'global_max_pool1d' | 'global_max_pool2d' }
  | { kind: 'flatten' }
  | { kind: 'activation'; activation: Activation }
  /** Per channel x * scale + offset: a pipeline's scaler (StandardScaler, MinMaxScaler, ...). */
  | { kind: 'affine'; scale: Weights; offset: Weights }
  | { kind: 'batch_norm'; gamma: Weights; beta: Weights; mean: Weights; variance: Weights; epsilon: number }
  /** Element by element over 2+ inputs (subtract: exactly 2), Keras's merge layers. */
  | { kind: MergeKind }
  /** The inputs' channels one after the other (the last axis), 2+ inputs. */
  | { kind: 'concatenate' }
  /** The same values seen as another shape of 1 to 3 dimensions (channels-last data does not move). */
  | { kind: 'reshape'; shape: number[] }
  /** Zeros added (or, negative, rows and columns cropped): [top, bottom, left, right]. */
  | { kind: 'pad'; pads: number[] }
  /** Nearest-neighbour upsampling by whole factors [rows, columns]. */
  | { kind: 'upsample'; size: number[] }
) & {
  /**
   * Indices of the layers whose outputs this layer takes, -1 for the model input; absent:
   * the layer just before (the model input for the first). A graph's layers come in an order
   * where every input is an earlier layer's; the last layer's output is the model's.
   */
  inputs?: number[];
  /** With the net's inputQuantization: this layer's int8 numbers (see LayerQuantization). */
  quantization?: LayerQuantization;
  /** The activation's parameter (leaky_relu, elu, hard_sigmoid), else DEFAULT_ALPHA's. */
  alpha?: number;
};

export type NetLayerKind = NetLayerIR['kind'];

export interface NeuralNetIR {
  /** tinyml_lab.features transformer exported in front of the model (raw windows in), or none. */
  featureStage?: FeatureStage | null;
  format: 'tinyml-lab-ir';
  version: number;
  family: 'neural_net';
  estimator: string;
  task: 'classification' | 'regression';
  nFeatures: number;
  /** One sample's shape, channels-last: [n], [steps, channels] or [h, w, channels]. */
  inputShape: number[];
  classes: ClassLabel[];
  /** Units of the last layer. */
  nOutputs: number;
  /**
   * What a classifier's outputs are: probabilities (softmax, or one logistic unit: [1 - p, p])
   * or decision scores (a linear classifier's decision_function: class 1 where a single score
   * is > 0, else the largest). Regressors: values.
   */
  output: 'probabilities' | 'decision' | 'values';
  featureNames: string[];
  layers: NetLayerIR[];
  /**
   * A quantized source's input parameters: an int8 export then takes every layer's own
   * quantization instead of measuring ranges on calibration rows, so it computes the source's
   * integers. Absent: a float model.
   */
  inputQuantization?: TensorQuantization;
}

function fail(path: string, message: string): never {
  throw new IRError(path, message);
}

function weights(value: unknown, path: string, rank: number): Weights {
  const decoded = decodeFloatsAt(value, path);
  if (decoded.shape.length !== rank) {
    fail(path, `expected ${rank} dimension(s), got shape ${shown(decoded.shape)}`);
  }
  const data = Float64Array.from(decoded.array);
  const bad = data.findIndex(v => !Number.isFinite(v));
  if (bad >= 0) {
    fail(path, `value ${bad} is ${data[bad]}: the network has NaN or infinite weights`);
  }
  if (data.some(v => Math.abs(v) > 3.4e38)) {
    fail(path, 'a weight is outside the float32 range');
  }
  return { data, shape: decoded.shape };
}

/** Window sizes and strides (int16 in the C layer descriptors' checks). */
const MAX_WINDOW = 0x7fff;

function positiveInts(value: unknown, path: string, length: number, max = MAX_WINDOW): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    value.some(v => typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
  ) {
    fail(path, `expected ${length} integer(s) in [1, ${max}], got ${shown(value)}`);
  }
  return value as number[];
}

function activation(value: unknown, path: string): Activation {
  if (!(ACTIVATIONS as readonly unknown[]).includes(value)) {
    fail(path, `expected one of ${ACTIVATIONS.join(', ')}, got ${shown(value)}`);
  }
  return value as Activation;
}

function padding(value: unknown, path: string): Padding {
  if (value !== 'valid' && value !== 'same') {
    fail(path, `expected "valid" or "same", got ${shown(value)}`);
  }
  return value;
}

function sameLength(path: string, named: Record<string, Weights>, n: number): void {
  for (const [name, w] of Object.entries(named)) {
    if (w.data.length !== n) {
      fail(`${path}.${name}`, `has ${w.data.length} values, expected ${n}`);
    }
  }
}

/** A layer's inputs: earlier layers' indices or -1 (the model input), 2+ for merges. */
function layerInputs(value: unknown, path: string, index: number, merge: boolean): number[] | undefined {
  if (value === undefined) {
    if (merge) {
      fail(path, 'a merge layer needs its inputs (2 or more layer indices)');
    }
    return undefined;
  }
  const count = merge ? 'two or more' : 'one';
  if (
    !Array.isArray(value) ||
    (merge ? value.length < 2 : value.length !== 1) ||
    value.some(v => typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v >= index)
  ) {
    fail(path, `expected ${count} index(es) of earlier layers (or -1, the model input), got ${shown(value)}`);
  }
  return value as number[];
}

function parseLayer(raw: unknown, path: string, index = 0): NetLayerIR {
  if (typeof raw !== 'object' || raw === null) {
    fail(path, 'expected an object');
  }
  const l = raw as Record<string, unknown>;
  const merge = (MERGE_KINDS as readonly unknown[]).includes(l.kind) || l.kind === 'concatenate';
  const inputs = layerInputs(l.inputs, `${path}.inputs`, index, merge);
  const layer: NetLayerIR = parseLayerBody(l, path);
  if (layer.kind === 'subtract' && inputs?.length !== 2) {
    fail(`${path}.inputs`, `subtract takes exactly 2 inputs, got ${inputs?.length}`);
  }
  if (inputs) {
    layer.inputs = inputs;
  }
  if (l.quantization !== undefined) {
    layer.quantization = layerQuantization(l.quantization, `${path}.quantization`, layer);
  }
  if (l.alpha !== undefined) {
    layer.alpha = finiteNumber(l.alpha, `${path}.alpha`, () => true, "a finite number (the activation's parameter)");
  }
  return layer;
}

function tensorParams(value: unknown, path: string): TensorQuantization {
  const q = (value ?? {}) as Record<string, unknown>;
  return {
    scale: finiteNumber(q.scale, `${path}.scale`, v => v > 0, 'a positive scale'),
    zero: requireInteger(q.zero_point, `${path}.zero_point`, -128, 127)
  };
}

/** Output channels of a layer with weights, or 0. */
function weightChannels(layer: NetLayerIR): number {
  return 'bias' in layer ? layer.bias.data.length : 0;
}

function layerQuantization(value: unknown, path: string, layer: NetLayerIR): LayerQuantization {
  if (typeof value !== 'object' || value === null) {
    fail(path, 'expected an object');
  }
  const q = value as Record<string, unknown>;
  const out: LayerQuantization = { output: tensorParams(q.output, `${path}.output`) };
  const channels = weightChannels(layer);
  if (channels > 0) {
    const scale = Array.isArray(q.weight_scale)
      ? Float64Array.from(q.weight_scale.map(v => (typeof v === 'number' ? v : NaN)))
      : decodeFloatsAt(q.weight_scale, `${path}.weight_scale`).array;
    if (scale.length !== channels || scale.some(v => !(v > 0) || !Number.isFinite(Math.fround(v)))) {
      fail(`${path}.weight_scale`, `expected ${channels} positive float32 scales, one per output channel`);
    }
    const bias = decodeAt(q.bias, 'int32', `${path}.bias`).array as Int32Array;
    if (bias.length !== channels) {
      fail(`${path}.bias`, `has ${bias.length} values, expected ${channels}`);
    }
    out.weightScale = Float64Array.from(scale);
    out.bias = bias;
  }
  return out;
}

function parseLayerBody(l: Record<string, unknown>, path: string): NetLayerIR {
  const dims = (kind: string): number => (kind.includes('2d') ? 2 : 1);
  switch (l.kind) {
    case 'dense': {
      const w = weights(l.weights, `${path}.weights`, 2);
      const b = weights(l.bias, `${path}.bias`, 1);
      sameLength(path, { bias: b }, w.shape[1]);
      return { kind: 'dense', weights: w, bias: b, activation: activation(l.activation, `${path}.activation`) };
    }
    case 'conv1d':
    case 'conv2d': {
      const d = dims(l.kind);
      const w = weights(l.weights, `${path}.weights`, d + 2);
      const b = weights(l.bias, `${path}.bias`, 1);
      sameLength(path, { bias: b }, w.shape[d + 1]);
      return {
        kind: l.kind,
        weights: w,
        bias: b,
        strides: positiveInts(l.strides, `${path}.strides`, d),
        padding: padding(l.padding, `${path}.padding`),
        activation: activation(l.activation, `${path}.activation`)
      };
    }
    case 'depthwise_conv2d': {
      const w = weights(l.weights, `${path}.weights`, 4);
      const b = weights(l.bias, `${path}.bias`, 1);
      sameLength(path, { bias: b }, w.shape[2] * w.shape[3]);
      return {
        kind: l.kind,
        weights: w,
        bias: b,
        strides: positiveInts(l.strides, `${path}.strides`, 2),
        padding: padding(l.padding, `${path}.padding`),
        activation: activation(l.activation, `${path}.activation`)
      };
    }
    case 'max_pool1d':
    case 'avg_pool1d':
    case 'max_pool2d':
    case 'avg_pool2d': {
      const d = dims(l.kind);
      return {
        kind: l.kind,
        poolSize: positiveInts(l.pool_size, `${path}.pool_size`, d),
        strides: positiveInts(l.strides, `${path}.strides`, d),
        padding: padding(l.padding, `${path}.padding`)
      };
    }
    case 'global_avg_pool1d':
    case 'global_avg_pool2d':
    case 'global_max_pool1d':
    case 'global_max_pool2d':
    case 'flatten':
    case 'add':
    case 'subtract':
    case 'multiply':
    case 'average':
    case 'maximum':
    case 'concatenate':
      return { kind: l.kind };
    case 'activation':
      return { kind: 'activation', activation: activation(l.activation, `${path}.activation`) };
    case 'pad': {
      const pads = l.pads;
      if (
        !Array.isArray(pads) ||
        pads.length !== 4 ||
        pads.some(v => !Number.isInteger(v) || Math.abs(v) > MAX_WINDOW)
      ) {
        fail(
          `${path}.pads`,
          `expected 4 integers [top, bottom, left, right] within +-${MAX_WINDOW}, got ${shown(pads)}`
        );
      }
      return { kind: 'pad', pads: pads as number[] };
    }
    case 'upsample':
      return { kind: 'upsample', size: positiveInts(l.size, `${path}.size`, 2) };
    case 'reshape': {
      const length = Array.isArray(l.shape) ? l.shape.length : 0;
      if (length < 1 || length > 3) {
        fail(`${path}.shape`, `expected 1 to 3 dimensions, got ${shown(l.shape)}`);
      }
      return { kind: 'reshape', shape: positiveInts(l.shape, `${path}.shape`, length, MAX_NET_FEATURES) };
    }
    case 'affine': {
      const scale = weights(l.scale, `${path}.scale`, 1);
      const offset = weights(l.offset, `${path}.offset`, 1);
      sameLength(path, { offset }, scale.data.length);
      return { kind: 'affine', scale, offset };
    }
    case 'batch_norm': {
      const gamma = weights(l.gamma, `${path}.gamma`, 1);
      const named = {
        beta: weights(l.beta, `${path}.beta`, 1),
        mean: weights(l.mean, `${path}.mean`, 1),
        variance: weights(l.variance, `${path}.variance`, 1)
      };
      sameLength(path, named, gamma.data.length);
      if (named.variance.data.some(v => v < 0)) {
        fail(`${path}.variance`, 'a variance is negative');
      }
      if (typeof l.epsilon !== 'number' || !(l.epsilon >= 0) || !Number.isFinite(l.epsilon)) {
        fail(`${path}.epsilon`, `expected a non-negative number, got ${shown(l.epsilon)}`);
      }
      return { kind: 'batch_norm', gamma, ...named, epsilon: l.epsilon };
    }
    default:
      fail(`${path}.kind`, `unknown layer kind ${shown(l.kind)}`);
  }
}

/**
 * A pipeline's preprocessing in front of a model that is not a network (Gaussian, SVM,
 * neighbours): affine (scalers) and dense (PCA) layers without activations, as a small
 * regression net from the raw features to the model's.
 */
export function parsePreprocess(
  raw: unknown,
  nFeatures: number,
  common: { version: number; estimator: string }
): NeuralNetIR {
  if (!Array.isArray(raw) || raw.length === 0) {
    fail('preprocess', 'expected a non-empty list of layers');
  }
  let width = nFeatures;
  const layers = raw.map((l: unknown, i: number) => {
    const path = `preprocess[${i}]`;
    const layer = parseLayer(l, path);
    if (layer.kind === 'affine' && layer.scale.data.length === width) {
      return layer;
    }
    if (layer.kind === 'dense' && layer.activation === 'identity' && layer.weights.shape[0] === width) {
      width = layer.weights.shape[1];
      return layer;
    }
    fail(path, `expected an affine or activation-free dense layer taking ${width} values`);
  });
  return {
    format: 'tinyml-lab-ir',
    version: common.version,
    family: 'neural_net',
    estimator: `${common.estimator} (preprocessing)`,
    task: 'regression',
    nFeatures,
    inputShape: [nFeatures],
    classes: [],
    nOutputs: width,
    output: 'values',
    featureNames: [],
    layers
  };
}

/**
 * Checks the parts of a neural-net IR beyond the fields every family has (parseModelIR
 * checked those). Shapes between layers are checked when lowering, where they are computed.
 */
export function parseNeuralNetIR(
  obj: Record<string, unknown>,
  common: { version: number; estimator: string; classes: ClassLabel[]; featureNames: string[]; nFeatures: number }
): NeuralNetIR {
  const task = obj.task;
  if (task !== 'classification' && task !== 'regression') {
    fail('task', `a neural net is a classifier or a regressor, got ${shown(task)}`);
  }
  // each dimension as large as the whole input may be; their product is checked below
  const inputShape = positiveInts(
    obj.input_shape,
    'input_shape',
    Array.isArray(obj.input_shape) ? obj.input_shape.length : 1,
    MAX_NET_FEATURES
  );
  if (inputShape.length < 1 || inputShape.length > 3) {
    fail('input_shape', `expected 1 to 3 dimensions (no batch), got ${shown(obj.input_shape)}`);
  }
  const product = inputShape.reduce((a, b) => a * b, 1);
  if (product !== common.nFeatures) {
    fail('input_shape', `${shown(inputShape)} holds ${product} values, n_features is ${common.nFeatures}`);
  }
  if (!Array.isArray(obj.layers) || obj.layers.length === 0) {
    fail('layers', 'expected a non-empty list of layers');
  }
  const layers = obj.layers.map((l: unknown, i: number) => parseLayer(l, `layers[${i}]`, i));
  const nOutputs = typeof obj.n_outputs === 'number' ? obj.n_outputs : NaN;
  if (!Number.isInteger(nOutputs) || nOutputs < 1) {
    fail('n_outputs', `expected the number of units of the last layer, got ${shown(obj.n_outputs)}`);
  }
  const output = obj.output ?? (task === 'classification' ? 'probabilities' : 'values');
  if (task === 'classification' ? output !== 'probabilities' && output !== 'decision' : output !== 'values') {
    fail(
      'output',
      `a ${task} net's outputs are ${task === 'classification' ? '"probabilities" or "decision"' : '"values"'}, got ${shown(obj.output)}`
    );
  }
  if (task === 'classification') {
    const expected = nOutputs === 1 ? 2 : nOutputs;
    if (common.classes.length !== expected) {
      fail('classes', `a classifier with ${nOutputs} output(s) has ${expected} classes, got ${common.classes.length}`);
    }
  }
  let inputQuantization: TensorQuantization | undefined;
  if (obj.input_quantization !== undefined) {
    inputQuantization = tensorParams(obj.input_quantization, 'input_quantization');
    const bare = layers.findIndex(l => l.kind !== 'flatten' && !l.quantization);
    if (bare >= 0) {
      fail(`layers[${bare}].quantization`, 'a quantized model (input_quantization) gives every layer its quantization');
    }
  }
  return {
    ...(inputQuantization ? { inputQuantization } : {}),
    format: 'tinyml-lab-ir',
    version: common.version,
    family: 'neural_net',
    estimator: common.estimator,
    task,
    nFeatures: common.nFeatures,
    inputShape,
    classes: task === 'classification' ? common.classes : [],
    nOutputs,
    output: output as NeuralNetIR['output'],
    featureNames: common.featureNames,
    layers
  };
}
