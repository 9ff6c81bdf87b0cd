/**
 * Loads the C runtime's WebAssembly build and runs forests and networks on it. No DOM and no host
 * imports: the same code runs in the browser widget, in Node (jest) and in the V8 that
 * the Python package embeds. Instantiation is synchronous (the module is a few KB).
 */
import { RUNTIME_WASM_BASE64 } from '../../generated/runtimeAssets';
import { ABI_VERSION, DESCRIPTORS, DescriptorName, ERROR_TEXT } from '../../generated/runtimeConstants';
import type { GaussianTables } from '../families/gaussian/ir';
import type { NeighborsIR } from '../families/neighbors/ir';
import type { NetLayer, NetTables } from '../families/nets/lower';
import { SvmIR, classStart, svmDecisions, svmValueCount } from '../families/svm/ir';
import { ForestTables, valueCount } from '../families/trees/lower';
import { base64ToBytes } from '../ir/encoding';
import { runtimeCode } from './codes';

export class RuntimeError extends Error {
  constructor(
    readonly code: number,
    operation: string
  ) {
    super(`C runtime rejected ${operation}: ${ERROR_TEXT[code] ?? `error ${code}`}`);
    this.name = 'RuntimeError';
  }
}

interface RuntimeExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  _initialize: () => void;
  tml_abi_version: () => number;
  tml_wasm_forest_validate: (desc: number) => number;
  tml_wasm_gauss_run: (desc: number, x: number, nRows: number, scratch: number, values: number, scores: number, classes: number) => number;
  tml_wasm_svm_run: (
    desc: number,
    x: number,
    nRows: number,
    scoreSamples: number,
    scratch: number,
    nScratch: number,
    values: number,
    classes: number
  ) => number;
  tml_wasm_knn_run: (
    desc: number,
    x: number,
    nRows: number,
    dist: number,
    index: number,
    nScratch: number,
    values: number,
    classes: number
  ) => number;
  tml_wasm_power_spectrum: (x: number, nRows: number, nFft: number, window: number, re: number, im: number, w: number, out: number) => number;
  tml_wasm_log_mel: (
    power: number,
    nRows: number,
    nFft: number,
    sampleRate: number,
    nMels: number,
    fmin: number,
    fmax: number,
    amin: number,
    weights: number,
    mel: number,
    out: number
  ) => number;
  tml_wasm_mfcc: (logMel: number, nRows: number, nMels: number, nMfcc: number, out: number) => number;
  tml_wasm_logmel_tables: (
    nFft: number,
    sampleRate: number,
    nMels: number,
    fmin: number,
    fmax: number,
    nMfcc: number,
    window: number,
    twiddles: number,
    dense: number,
    first: number,
    count: number,
    weights: number,
    capacity: number,
    dct: number
  ) => number;
  tml_wasm_logmel_clips: (
    desc: number,
    x: number,
    nRows: number,
    nSamples: number,
    hop: number,
    scratch: number,
    out: number
  ) => number;
  tml_wasm_window_stats: (x: number, nRows: number, n: number, stride: number, nAxes: number, out: number) => number;
  tml_wasm_median_filter: (x: number, n: number, k: number, scratch: number, out: number) => number;
  tml_wasm_magnitude: (xyz: number, n: number, out: number) => number;
  tml_wasm_hysteresis_events: (
    x: number,
    n: number,
    on: number,
    off: number,
    minDuration: number,
    state: number,
    onset: number,
    offset: number,
    maxEvents: number
  ) => number;
  tml_wasm_layer_size: () => number;
  tml_wasm_net_run: (
    netDesc: number,
    layerDesc: number,
    storage: number,
    x: number,
    nRows: number,
    arena: number,
    arenaBytes: number,
    proba: number,
    values: number,
    nValues: number,
    classes: number
  ) => number;
  tml_wasm_net_trace: (
    netDesc: number,
    layerDesc: number,
    storage: number,
    x: number,
    nRows: number,
    arena: number,
    arenaBytes: number,
    mins: number,
    maxs: number
  ) => number;
  tml_wasm_forest_run: (
    desc: number,
    x: number,
    nRows: number,
    values: number,
    classes: number,
    scratch: number,
    nScratch: number
  ) => number;
}

export interface GaussianOutput {
  /** predict_proba [nRows * K], or an elliptic envelope's score_samples [nRows]. */
  values: Float32Array;
  /** score_samples (the log-likelihood) of a log-likelihood model; empty for an envelope. */
  scores: Float32Array;
  /** predict's class index (an envelope's 0 = outlier, 1 = inlier). */
  classes: Int32Array;
}

export interface NetOutput {
  /** The last layer's outputs, nOutputs per row, or predict_proba's values. */
  values: Float32Array;
  /** Class index per row, as tml_net_class_from_output picks it. */
  classes: Int32Array;
}

export interface NetTrace {
  /** Smallest and largest real value of each layer's output over the rows. */
  min: Float32Array;
  max: Float32Array;
}

export interface ForestOutput {
  /** Values per row (valueCount of them): probabilities, regression output or anomaly score. */
  values: Float32Array;
  /** Class index per row (classifiers; an isolation forest's 0 = outlier, 1 = inlier). */
  classes: Int32Array;
}

type Table = Float32Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Int8Array;

/** Everything a net call needs in wasm memory: descriptors, layer storage, rows, arena. */
interface PlacedNet {
  arena: Arena;
  netAt: number;
  layersAt: number;
  storageAt: number;
  xAt: number;
  arenaAt: number;
}

export class WasmRuntime {
  private static shared: WasmRuntime | null = null;

  private constructor(private readonly exports: RuntimeExports) {}

  static fromBytes(bytes: Uint8Array): WasmRuntime {
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const instance = new WebAssembly.Instance(module, {});
    const exports = instance.exports as unknown as RuntimeExports;
    exports._initialize();
    if (exports.tml_abi_version() !== ABI_VERSION) {
      throw new Error(`unexpected C runtime ABI version ${exports.tml_abi_version()}`);
    }
    return new WasmRuntime(exports);
  }

  /** The runtime built into this package (compiled once, then reused). */
  static load(): WasmRuntime {
    if (!WasmRuntime.shared) {
      WasmRuntime.shared = WasmRuntime.fromBytes(base64ToBytes(RUNTIME_WASM_BASE64));
    }
    return WasmRuntime.shared;
  }

  /** Runs the forest on nRows rows of x (row-major float32); offset: an isolation forest's. */
  runForest(tables: ForestTables, x: Float32Array, nRows: number, offset = 0): ForestOutput {
    if (x.length !== nRows * tables.nFeatures) {
      throw new Error(`expected ${nRows} x ${tables.nFeatures} features, got ${x.length} values`);
    }
    const arena = new Arena(this.exports);
    const descriptor = packDescriptor(arena, 'forest', {
      n_features: tables.nFeatures,
      n_outputs: tables.nOutputs,
      n_trees: tables.nTrees,
      n_nodes: tables.nNodes,
      n_leaf_rows: tables.nLeafRows,
      tree_root: tables.treeRoot,
      node_feature: tables.nodeFeature,
      node_next: tables.nodeNext,
      node_threshold_f32: tables.thresholdF32,
      node_threshold_i16: tables.thresholdI16,
      feature_scale: tables.featureScale,
      leaf_values: tables.leafType === 'float32' ? tables.leafValues : null,
      combine: runtimeCode('combine', tables.combine),
      link: runtimeCode('link', tables.link),
      link_param: tables.linkParam,
      baseline: tables.baseline,
      tree_output: tables.treeOutput,
      leaf_u8: tables.leafU8,
      leaf_scale: tables.leafScale,
      node_threshold_i8: tables.thresholdI8,
      leaf_i16: tables.leafI16,
      feature_offset: tables.featureOffset,
      offset
    });
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const nValues = valueCount(tables);
    const valuesAt = arena.reserve(nRows * nValues * 4);
    const classesAt = arena.reserve(nRows * 4);
    const scratchAt = arena.reserve(nValues * 4);
    const status = this.exports.tml_wasm_forest_run(
      descAt,
      xAt,
      nRows,
      valuesAt,
      classesAt,
      scratchAt,
      nValues
    );
    if (status !== 0) {
      throw new RuntimeError(status, 'the forest');
    }
    const buffer = this.exports.memory.buffer;
    return {
      values: new Float32Array(buffer, valuesAt, nRows * nValues).slice(),
      classes: new Int32Array(buffer, classesAt, nRows).slice()
    };
  }

  private placeNet(tables: NetTables, x: Float32Array, nRows: number): PlacedNet {
    if (x.length !== nRows * tables.nInputs) {
      throw new Error(`expected ${nRows} x ${tables.nInputs} inputs, got ${x.length} values`);
    }
    const arena = new Arena(this.exports);
    const words = DESCRIPTORS.layer.length;
    const layerDesc = new Int32Array(words * tables.layers.length);
    tables.layers.forEach((layer, k) => layerDesc.set(layerDescriptor(arena, layer), k * words));
    const net = packDescriptor(arena, 'net', {
      n_layers: tables.layers.length,
      quantized: tables.featureType === 'int8' ? 1 : 0,
      arena_bytes: tables.arenaBytes
    });
    return {
      arena,
      netAt: arena.write(net),
      layersAt: arena.write(layerDesc),
      storageAt: arena.reserve(tables.layers.length * this.exports.tml_wasm_layer_size()),
      xAt: arena.write(x),
      arenaAt: arena.reserve(tables.arenaBytes)
    };
  }

  /**
   * Runs an SVM: values are decision_function (ovr-shaped for 3+ classes unless "ovo"; an SVR's
   * predict) or a one-class SVM's score_samples; classes are predict's (votes; 0 = outlier).
   */
  runSvm(ir: SvmIR, x: Float32Array, nRows: number): { values: Float32Array; classes: Int32Array } {
    const arena = new Arena(this.exports);
    const nClasses = ir.task === 'classification' ? ir.classes.length : 1;
    const anomaly = ir.task === 'anomaly';
    const descriptor = packDescriptor(arena, 'svm', {
      n_features: ir.modelFeatures,
      n_support: ir.nSupport,
      n_classes: nClasses,
      kernel: runtimeCode('kernel', ir.kernel),
      gamma: ir.gamma,
      coef0: ir.coef0,
      degree: ir.degree,
      support: ir.supportVectors,
      class_start: nClasses >= 2 ? classStart(ir) : null,
      dual_coef: ir.dualCoef,
      intercept: ir.intercept,
      shape: runtimeCode('svmShape', ir.decisionShape),
      offset: anomaly ? ir.offset : 0
    });
    const nScratch = ir.nSupport + svmDecisions(ir);
    const width = anomaly ? 1 : svmValueCount(ir);
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const scratchAt = arena.reserve(4 * nScratch);
    const valuesAt = arena.reserve(4 * nRows * width);
    const classesAt = arena.reserve(4 * nRows);
    const status = this.exports.tml_wasm_svm_run(descAt, xAt, nRows, anomaly ? 1 : 0, scratchAt, nScratch, valuesAt, classesAt);
    if (status !== 0) {
      throw new RuntimeError(status, 'the SVM');
    }
    const buffer = this.exports.memory.buffer;
    return {
      values: new Float32Array(buffer, valuesAt, nRows * width).slice(),
      classes: new Int32Array(buffer, classesAt, nRows).slice()
    };
  }

  /** Runs a nearest-neighbour model: probabilities (classifier) or predictions, and classes. */
  runNeighbors(ir: NeighborsIR, x: Float32Array, nRows: number): { values: Float32Array; classes: Int32Array } {
    const arena = new Arena(this.exports);
    const descriptor = packDescriptor(arena, 'knn', {
      n_samples: ir.nSamples,
      n_features: ir.modelFeatures,
      n_outputs: ir.nOutputs,
      k: ir.k,
      metric: runtimeCode('metric', ir.metric),
      p: ir.p,
      weights: runtimeCode('weights', ir.weights),
      samples: ir.samples,
      labels: ir.labels,
      targets: ir.targets
    });
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const distAt = arena.reserve(4 * ir.k);
    const indexAt = arena.reserve(4 * ir.k);
    const outAt = arena.reserve(4 * nRows * ir.nOutputs);
    const classesAt = arena.reserve(4 * nRows);
    const status = this.exports.tml_wasm_knn_run(descAt, xAt, nRows, distAt, indexAt, ir.k, outAt, classesAt);
    if (status !== 0) {
      throw new RuntimeError(status, 'the nearest-neighbour model');
    }
    const buffer = this.exports.memory.buffer;
    return {
      values: new Float32Array(buffer, outAt, nRows * ir.nOutputs).slice(),
      classes: new Int32Array(buffer, classesAt, nRows).slice()
    };
  }


  /** The C runtime's feature extractors on rows of samples (tinyml/features.h). */
  features(): FeatureRuntime {
    return new FeatureRuntime(this.exports);
  }


  /**
   * Runs a Gaussian model on nRows rows of x (row-major float32): a log-likelihood model, or
   * with envelopeOffset an elliptic envelope (outliers where score_samples < offset).
   */
  runGaussian(tables: GaussianTables, x: Float32Array, nRows: number, envelopeOffset: number | null = null): GaussianOutput {
    if (x.length !== nRows * tables.nFeatures) {
      throw new Error(`expected ${nRows} x ${tables.nFeatures} features, got ${x.length} values`);
    }
    const arena = new Arena(this.exports);
    const envelope = envelopeOffset !== null;
    const descriptor = packDescriptor(arena, 'gauss', {
      n_components: tables.nComponents,
      n_features: tables.nFeatures,
      covariance: runtimeCode('covariance', tables.covariance),
      means: tables.means,
      prec_chol: tables.precChol,
      log_norm: tables.logNorm,
      kind: runtimeCode('gauss', envelope ? 'envelope' : 'likelihood'),
      offset: envelopeOffset ?? 0
    });
    const k = tables.nComponents;
    const width = envelope ? 1 : k;
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const scratchAt = arena.reserve(4 * k);
    const valuesAt = arena.reserve(4 * nRows * width);
    const scoresAt = envelope ? 0 : arena.reserve(4 * nRows);
    const classesAt = arena.reserve(4 * nRows);
    const status = this.exports.tml_wasm_gauss_run(descAt, xAt, nRows, scratchAt, valuesAt, scoresAt, classesAt);
    if (status !== 0) {
      throw new RuntimeError(status, 'the Gaussian model');
    }
    const buffer = this.exports.memory.buffer;
    return {
      values: new Float32Array(buffer, valuesAt, nRows * width).slice(),
      scores: envelope ? new Float32Array(0) : new Float32Array(buffer, scoresAt, nRows).slice(),
      classes: new Int32Array(buffer, classesAt, nRows).slice()
    };
  }

  /**
   * Runs the net on nRows rows of x (row-major float32): the outputs, or with proba
   * predict_proba's values (a single logistic output p gives [1 - p, p]).
   */
  runNet(tables: NetTables, x: Float32Array, nRows: number, proba = false): NetOutput {
    const p = this.placeNet(tables, x, nRows);
    const width = proba && tables.nOutputs === 1 ? 2 : tables.nOutputs;
    const outAt = p.arena.reserve(nRows * width * 4);
    const classesAt = p.arena.reserve(nRows * 4);
    const status = this.exports.tml_wasm_net_run(
      p.netAt, p.layersAt, p.storageAt, p.xAt, nRows, p.arenaAt, tables.arenaBytes, proba ? 1 : 0, outAt, width, classesAt
    );
    if (status !== 0) {
      throw new RuntimeError(status, 'the network');
    }
    const buffer = this.exports.memory.buffer;
    return {
      values: new Float32Array(buffer, outAt, nRows * width).slice(),
      classes: new Int32Array(buffer, classesAt, nRows).slice()
    };
  }

  /** Range of every layer's output over nRows rows: calibration (float net) or saturation (int8). */
  traceNet(tables: NetTables, x: Float32Array, nRows: number): NetTrace {
    const p = this.placeNet(tables, x, nRows);
    const n = tables.layers.length;
    const minAt = p.arena.reserve(4 * n);
    const maxAt = p.arena.reserve(4 * n);
    const status = this.exports.tml_wasm_net_trace(
      p.netAt, p.layersAt, p.storageAt, p.xAt, nRows, p.arenaAt, tables.arenaBytes, minAt, maxAt
    );
    if (status !== 0) {
      throw new RuntimeError(status, 'the network');
    }
    const buffer = this.exports.memory.buffer;
    return { min: new Float32Array(buffer, minAt, n).slice(), max: new Float32Array(buffer, maxAt, n).slice() };
  }

}

type DescriptorValue = number | Table | null;
type FieldName<D extends DescriptorName> = (typeof DESCRIPTORS)[D][number]['name'];

/** The typed array that holds each C element type of a table. */
const TABLE_TYPES: Record<string, new (n: number) => Table> = {
  float: Float32Array,
  int32_t: Int32Array,
  int16_t: Int16Array,
  int8_t: Int8Array,
  uint16_t: Uint16Array,
  uint8_t: Uint8Array
};

/**
 * Descriptor `name` of c-runtime/wasm/descriptors.h from its fields by name (every field, so a
 * layout change is a type error here): ints as they are, floats as their float32 bits, tables
 * written to the arena (null: 0), each checked against the field's C element type.
 */
function packDescriptor<D extends DescriptorName>(
  arena: Arena,
  name: D,
  fields: Record<FieldName<D>, DescriptorValue>
): Int32Array {
  const layout: ReadonlyArray<{ name: string; kind: string; ctype?: string }> = DESCRIPTORS[name];
  const words = new Int32Array(layout.length);
  const floats = new Float32Array(words.buffer);
  layout.forEach((field, i) => {
    const value = (fields as Record<string, DescriptorValue>)[field.name];
    if (field.kind === 'pointer') {
      if (typeof value === 'number') {
        throw new Error(`${name} descriptor: ${field.name} is a table`);
      }
      if (value && !(value instanceof TABLE_TYPES[field.ctype as string])) {
        throw new Error(`${name} descriptor: ${field.name} must hold ${field.ctype}, got ${value.constructor.name}`);
      }
      words[i] = value ? arena.write(value) : 0;
    } else if (typeof value !== 'number') {
      throw new Error(`${name} descriptor: ${field.name} must be a number`);
    } else if (field.kind === 'float') {
      floats[i] = value;
    } else {
      words[i] = value;
    }
  });
  return words;
}

function layerDescriptor(arena: Arena, layer: NetLayer): Int32Array {
  const [inH, inW, inC] = layer.inShape;
  const [outH, outW, outC] = layer.outShape;
  return packDescriptor(arena, 'layer', {
    kind: runtimeCode('layer', layer.kind),
    activation: runtimeCode('activation', layer.activation),
    in_h: inH,
    in_w: inW,
    in_c: inC,
    out_h: outH,
    out_w: outW,
    out_c: outC,
    kernel_h: layer.kernel[0],
    kernel_w: layer.kernel[1],
    stride_h: layer.stride[0],
    stride_w: layer.stride[1],
    pad_top: layer.pad[0],
    pad_left: layer.pad[1],
    in_offset: layer.inOffset,
    out_offset: layer.outOffset,
    weight_f32: layer.weightF32,
    bias_f32: layer.biasF32,
    weight_i8: layer.weightI8,
    bias_i32: layer.biasI32,
    multiplier: layer.multiplier,
    shift: layer.shift,
    channel_scale: layer.channelScale,
    in_scale: layer.inScale,
    in_zero: layer.inZero,
    out_scale: layer.outScale,
    out_zero: layer.outZero,
    out_float: layer.outFloat ? 1 : 0,
    bias_folded: layer.biasFolded ? 1 : 0
  });
}

/** Bump allocator above __heap_base; every run starts from the base again. */
class Arena {
  private top: number;

  constructor(private readonly exports: RuntimeExports) {
    this.top = exports.__heap_base.value as number;
  }

  reserve(bytes: number): number {
    const at = (this.top + 7) & ~7;
    this.top = at + bytes;
    const memory = this.exports.memory;
    if (this.top > memory.buffer.byteLength) {
      memory.grow(Math.ceil((this.top - memory.buffer.byteLength) / 65536));
    }
    return at;
  }

  write(table: Table): number {
    const at = this.reserve(table.byteLength);
    new Uint8Array(this.exports.memory.buffer, at, table.byteLength).set(
      new Uint8Array(table.buffer, table.byteOffset, table.byteLength)
    );
    return at;
  }
}

/** A log-mel (MFCC with nMfcc > 0) extractor: tinyml_lab.features.LogMelFeatures's parameters. */
export interface LogMelConfig {
  nFft: number;
  hop: number;
  sampleRate: number;
  nMels: number;
  fmin: number;
  fmax: number;
  amin: number;
  /** 0: log-mel energies; else that many MFCCs per frame. */
  nMfcc: number;
}

/** The tables of tml_logmel_t, made by the C runtime: what a header stores in flash. */
export interface LogMelTables {
  window: Float32Array;
  twiddles: Float32Array;
  firstBin: Uint16Array;
  nWeights: Uint16Array;
  weights: Float32Array;
  /** nMfcc x nMels cosines; empty without MFCCs. */
  dct: Float32Array;
}

/** Features per frame: nMfcc, or nMels without MFCCs (tml_logmel_width). */
export function logMelWidth(c: LogMelConfig): number {
  return c.nMfcc > 0 ? c.nMfcc : c.nMels;
}

/** Floats of scratch one frame needs: re, im, power spectrum, mel energies (TML_LOGMEL_SCRATCH). */
export function logMelScratchFloats(c: LogMelConfig): number {
  return 2 * c.nFft + Math.floor(c.nFft / 2) + 1 + c.nMels;
}

/** Frames of a clip of nSamples (>= nFft): one every hop samples. */
export function logMelFrames(nSamples: number, nFft: number, hop: number): number {
  return nSamples < nFft ? 0 : 1 + Math.floor((nSamples - nFft) / hop);
}

/** Window kinds of tml_window (TML_WINDOW_*). */
export type WindowKind = 'rect' | 'hann' | 'hamming';
export const WINDOW_CODES: Readonly<Record<WindowKind, number>> = {
  rect: runtimeCode('window', 'rect'),
  hann: runtimeCode('window', 'hann'),
  hamming: runtimeCode('window', 'hamming')
};

/**
 * Feature extraction and post-processing in the C runtime (its WebAssembly build): the same
 * code a device runs, called on whole matrices of rows. Each call lays its inputs out in a
 * fresh arena and copies its outputs back.
 */
export class FeatureRuntime {
  constructor(private readonly exports: RuntimeExports) {}

  private check(status: number, what: string): void {
    if (status !== 0) {
      throw new RuntimeError(status, what);
    }
  }

  private read(at: number, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, at, n).slice();
  }

  /** Power spectra (n_fft/2 + 1 bins) of nRows rows of nFft samples, each windowed first. */
  powerSpectrum(x: Float32Array, nRows: number, nFft: number, window: WindowKind): Float32Array {
    const arena = new Arena(this.exports);
    const bins = Math.floor(nFft / 2) + 1;
    const xAt = arena.write(x);
    const re = arena.reserve(4 * nFft);
    const im = arena.reserve(4 * nFft);
    const w = arena.reserve(4 * nFft);
    const out = arena.reserve(4 * nRows * bins);
    this.check(this.exports.tml_wasm_power_spectrum(xAt, nRows, nFft, WINDOW_CODES[window], re, im, w, out), 'the power spectrum');
    return this.read(out, nRows * bins);
  }

  /** log10 mel energies (dB) of power spectra rows, librosa's Slaney filterbank. */
  logMel(power: Float32Array, nRows: number, nFft: number, sampleRate: number, nMels: number, fmin: number, fmax: number, amin: number): Float32Array {
    const arena = new Arena(this.exports);
    const bins = Math.floor(nFft / 2) + 1;
    const pAt = arena.write(power);
    const weights = arena.reserve(4 * nMels * bins);
    const mel = arena.reserve(4 * nMels);
    const out = arena.reserve(4 * nRows * nMels);
    this.check(
      this.exports.tml_wasm_log_mel(pAt, nRows, nFft, sampleRate, nMels, fmin, fmax, amin, weights, mel, out),
      'the log-mel spectrogram'
    );
    return this.read(out, nRows * nMels);
  }

  /** MFCCs: the orthonormal DCT-II of log-mel rows, first nMfcc coefficients. */
  mfcc(logMel: Float32Array, nRows: number, nMels: number, nMfcc: number): Float32Array {
    const arena = new Arena(this.exports);
    const inAt = arena.write(logMel);
    const out = arena.reserve(4 * nRows * nMfcc);
    this.check(this.exports.tml_wasm_mfcc(inAt, nRows, nMels, nMfcc, out), 'the MFCCs');
    return this.read(out, nRows * nMfcc);
  }

  /** The tables of a log-mel extractor (window, twiddles, sparse filterbank, DCT cosines). */
  logMelTables(c: LogMelConfig): LogMelTables {
    const arena = new Arena(this.exports);
    const bins = Math.floor(c.nFft / 2) + 1;
    const window = arena.reserve(4 * c.nFft);
    const twiddles = arena.reserve(4 * c.nFft);
    const dense = arena.reserve(4 * c.nMels * bins);
    const first = arena.reserve(2 * c.nMels);
    const count = arena.reserve(2 * c.nMels);
    const weights = arena.reserve(4 * c.nMels * bins);
    const dct = arena.reserve(4 * Math.max(1, c.nMfcc * c.nMels));
    const stored = this.exports.tml_wasm_logmel_tables(
      c.nFft, c.sampleRate, c.nMels, c.fmin, c.fmax, c.nMfcc, window, twiddles, dense, first, count, weights, c.nMels * bins, dct
    );
    if (stored < 0) {
      throw new RuntimeError(stored, 'the log-mel tables');
    }
    const buffer = this.exports.memory.buffer;
    return {
      window: this.read(window, c.nFft),
      twiddles: this.read(twiddles, c.nFft),
      firstBin: new Uint16Array(buffer, first, c.nMels).slice(),
      nWeights: new Uint16Array(buffer, count, c.nMels).slice(),
      weights: this.read(weights, stored),
      dct: this.read(dct, c.nMfcc * c.nMels)
    };
  }

  /** Log-mel (or MFCC) features of nRows clips of nSamples: nRows x frames x width values. */
  logMelClips(c: LogMelConfig, tables: LogMelTables, x: Float32Array, nRows: number, nSamples: number): Float32Array {
    const arena = new Arena(this.exports);
    const frames = logMelFrames(nSamples, c.nFft, c.hop);
    const width = logMelWidth(c);
    const descriptor = packDescriptor(arena, 'logmel', {
      n_fft: c.nFft,
      window: tables.window,
      twiddles: tables.twiddles,
      'mel.n_mels': c.nMels,
      'mel.n_stored': tables.weights.length,
      'mel.first_bin': tables.firstBin,
      'mel.n_weights': tables.nWeights,
      'mel.weights': tables.weights,
      amin: c.amin,
      n_mfcc: c.nMfcc,
      dct: tables.dct
    });
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const scratch = arena.reserve(4 * logMelScratchFloats(c));
    const out = arena.reserve(4 * Math.max(1, nRows * frames * width));
    this.check(this.exports.tml_wasm_logmel_clips(descAt, xAt, nRows, nSamples, c.hop, scratch, out), 'the log-mel features');
    return this.read(out, nRows * frames * width);
  }

  /** Per row and axis: mean, std, rms, min, max, peak-to-peak, zero crossings (7 values). */
  windowStats(x: Float32Array, nRows: number, n: number, stride: number, nAxes: number): Float32Array {
    const arena = new Arena(this.exports);
    const xAt = arena.write(x);
    const out = arena.reserve(4 * nRows * nAxes * 7);
    this.check(this.exports.tml_wasm_window_stats(xAt, nRows, n, stride, nAxes, out), 'the window statistics');
    return this.read(out, nRows * nAxes * 7);
  }

  /** sqrt(x² + y² + z²) of n interleaved xyz samples. */
  magnitude(xyz: Float32Array): Float32Array {
    const arena = new Arena(this.exports);
    const n = xyz.length / 3;
    const inAt = arena.write(xyz);
    const out = arena.reserve(4 * n);
    this.check(this.exports.tml_wasm_magnitude(inAt, n, out), 'the magnitude');
    return this.read(out, n);
  }

  /** Median filter of one signal (odd k, edges repeated). */
  medianFilter(x: Float32Array, k: number): Float32Array {
    const arena = new Arena(this.exports);
    const xAt = arena.write(x);
    const scratch = arena.reserve(4 * k);
    const out = arena.reserve(4 * x.length);
    this.check(this.exports.tml_wasm_median_filter(xAt, x.length, k, scratch, out), 'the median filter');
    return this.read(out, x.length);
  }

  /** Hysteresis thresholding, then events (onset, offset) of at least minDuration samples. */
  hysteresisEvents(x: Float32Array, on: number, off: number, minDuration: number): { state: Int32Array; onsets: Int32Array; offsets: Int32Array } {
    const arena = new Arena(this.exports);
    const n = x.length;
    const maxEvents = Math.max(1, Math.ceil(n / 2));
    const xAt = arena.write(x);
    const state = arena.reserve(4 * n);
    const onset = arena.reserve(4 * maxEvents);
    const offset = arena.reserve(4 * maxEvents);
    const count = this.exports.tml_wasm_hysteresis_events(xAt, n, on, off, minDuration, state, onset, offset, maxEvents);
    if (count < 0) {
      throw new RuntimeError(count, 'the event detection');
    }
    const buffer = this.exports.memory.buffer;
    return {
      state: new Int32Array(buffer, state, n).slice(),
      onsets: new Int32Array(buffer, onset, count).slice(),
      offsets: new Int32Array(buffer, offset, count).slice()
    };
  }
}
