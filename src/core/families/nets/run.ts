/**
 * A network on the C runtime's WebAssembly build: its layers laid out as descriptors, run
 * (tml_wasm_net_run, through the model methods) or traced layer by layer (tml_wasm_net_trace).
 */
import { runtimeCode } from '../../runtime/codes';
import { Arena, WasmRuntime, packDescriptor } from '../../runtime/wasmRuntime';
import { NetLayer, NetTables } from './lower';
import { DESCRIPTORS } from '../../../generated/runtimeConstants';

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

/** Everything a net call needs in wasm memory: descriptors, layer storage, rows, arena. */
interface PlacedNet {
  arena: Arena;
  netAt: number;
  layersAt: number;
  storageAt: number;
  xAt: number;
  arenaAt: number;
}

/** keep: the net's weights stay in the runtime from run to run (a model's, not a calibration's). */
function placeNet(runtime: WasmRuntime, tables: NetTables, x: Float32Array, nRows: number, keep: boolean): PlacedNet {
  if (x.length !== nRows * tables.nInputs) {
    throw new Error(`expected ${nRows} x ${tables.nInputs} inputs, got ${x.length} values`);
  }
  const arena = runtime.arena();
  const words = DESCRIPTORS.layer.length;
  const layerDesc = new Int32Array(words * tables.layers.length);
  tables.layers.forEach((layer, k) => layerDesc.set(layerDescriptor(arena, layer, keep), k * words));
  const net = packDescriptor(arena, 'net', {
    n_layers: tables.layers.length,
    quantized: tables.featureType === 'int8' ? 1 : 0,
    arena_bytes: tables.arenaBytes
  });
  return {
    arena,
    netAt: arena.write(net),
    layersAt: arena.write(layerDesc),
    storageAt: arena.reserve(tables.layers.length * runtime.exports.tml_wasm_layer_size()),
    xAt: arena.write(x),
    arenaAt: arena.reserve(tables.arenaBytes)
  };
}

/**
 * Runs the net on nRows rows of x (row-major float32): the outputs, or with proba
 * predict_proba's values (a single logistic output p gives [1 - p, p]).
 */
export function runNet(tables: NetTables, x: Float32Array, nRows: number, proba = false): NetOutput {
  const runtime = WasmRuntime.load();
  const p = placeNet(runtime, tables, x, nRows, true);
  const width = proba && tables.nOutputs === 1 ? 2 : tables.nOutputs;
  const outAt = p.arena.reserve(nRows * width * 4);
  const classesAt = p.arena.reserve(nRows * 4);
  const status = runtime.exports.tml_wasm_net_run(
    p.netAt,
    p.layersAt,
    p.storageAt,
    p.xAt,
    nRows,
    p.arenaAt,
    tables.arenaBytes,
    proba ? 1 : 0,
    outAt,
    width,
    classesAt
  );
  runtime.check(status, 'the network');
  return { values: runtime.floats(outAt, nRows * width), classes: runtime.ints(classesAt, nRows) };
}

/** Range of every layer's output over nRows rows: calibration (float net) or saturation (int8). */
export function traceNet(tables: NetTables, x: Float32Array, nRows: number): NetTrace {
  const runtime = WasmRuntime.load();
  const p = placeNet(runtime, tables, x, nRows, false);
  const n = tables.layers.length;
  const minAt = p.arena.reserve(4 * n);
  const maxAt = p.arena.reserve(4 * n);
  const status = runtime.exports.tml_wasm_net_trace(
    p.netAt,
    p.layersAt,
    p.storageAt,
    p.xAt,
    nRows,
    p.arenaAt,
    tables.arenaBytes,
    minAt,
    maxAt
  );
  runtime.check(status, 'the network');
  return { min: runtime.floats(minAt, n), max: runtime.floats(maxAt, n) };
}

function layerDescriptor(arena: Arena, layer: NetLayer, keep: boolean): Int32Array {
  const [inH, inW, inC] = layer.inShape;
  const [outH, outW, outC] = layer.outShape;
  return packDescriptor(
    arena,
    'layer',
    {
      kind: runtimeCode('layer', layer.kind),
      activation: runtimeCode('activation', layer.activation),
      act_alpha: layer.activationAlpha,
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
      in_from: layer.inFrom,
      in2_from: layer.in2From,
      in2_offset: layer.in2Offset,
      weight_f32: layer.weightF32,
      bias_f32: layer.biasF32,
      weight_i8: layer.weightI8,
      bias_i32: layer.biasI32,
      multiplier: layer.multiplier,
      shift: layer.shift,
      channel_scale: layer.channelScale,
      in_scale: layer.inScale,
      in_zero: layer.inZero,
      in2_scale: layer.in2Scale,
      in2_zero: layer.in2Zero,
      out_scale: layer.outScale,
      out_zero: layer.outZero,
      out_float: layer.outFloat ? 1 : 0,
      bias_folded: layer.biasFolded ? 1 : 0,
      row_mask: layer.rowMask
    },
    { keep }
  );
}
