/**
 * Loads the C runtime's WebAssembly build and lays out what its exports take. No DOM and no
 * host imports: the same code runs in the browser widget, in Node (jest) and in the V8 that
 * the Python package embeds. Instantiation is synchronous (the module is about 50 KB). Each
 * family calls its own run export (families/<family>/run.ts), the feature extractors theirs
 * (features/runtime.ts); the ABI, the export signatures and the descriptor layouts are here.
 */
import { RUNTIME_WASM_BASE64 } from '../../generated/runtimeAssets';
import { ABI_VERSION, DESCRIPTORS, DescriptorName, ERROR_TEXT } from '../../generated/runtimeConstants';
import { base64ToBytes } from '../ir/encoding';

export class RuntimeError extends Error {
  constructor(
    readonly code: number,
    operation: string
  ) {
    super(`C runtime rejected ${operation}: ${ERROR_TEXT[code] ?? `error ${code}`}`);
    this.name = 'RuntimeError';
  }
}

/** The module's exports (c-runtime/wasm/runtime_wasm.c); addresses are byte offsets in memory. */
export interface RuntimeExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  _initialize: () => void;
  tml_abi_version: () => number;
  tml_wasm_forest_validate: (desc: number) => number;
  tml_wasm_gauss_run: (
    desc: number,
    x: number,
    nRows: number,
    scratch: number,
    values: number,
    scores: number,
    classes: number
  ) => number;
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
  tml_wasm_power_spectrum: (
    x: number,
    nRows: number,
    nFft: number,
    window: number,
    re: number,
    im: number,
    w: number,
    out: number
  ) => number;
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
  tml_wasm_forest_scratch: (desc: number, blockRows: number) => number;
  tml_wasm_forest_run: (
    desc: number,
    x: number,
    nRows: number,
    values: number,
    classes: number,
    scratch: number,
    scratchBytes: number,
    blockRows: number
  ) => number;
}

/** Typed arrays that go into the runtime's memory as tables. */
export type Table = Float32Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Int8Array;

export class WasmRuntime {
  private static shared: WasmRuntime | null = null;
  /**
   * Past this many bytes of kept tables, a run that keeps a new model first clears them all
   * (a soft limit: one model larger than it is still kept, alone).
   */
  static keptBytesLimit = 64 * 1024 * 1024;
  /**
   * Model tables kept in memory from one run to the next, by identity, and their addresses: a
   * model's second run writes only its rows. Lowered tables are never changed once made, so the
   * same typed array holds the same numbers; another model or other options lower to other
   * arrays, written anew. Kept tables lie from __heap_base up to keptTop; every run's arena
   * starts above them.
   */
  private readonly kept = new Map<Table, number>();
  private keptTop: number;

  private constructor(readonly exports: RuntimeExports) {
    this.keptTop = exports.__heap_base.value as number;
  }

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

  /** A fresh arena for one call's tables, rows and outputs, above the kept tables. */
  arena(): Arena {
    return new Arena(this, this.keptEnd);
  }

  /** Where a kept table lies, or undefined. */
  keptAt(table: Table): number | undefined {
    return this.kept.get(table);
  }

  /** The first byte above the kept tables. */
  get keptEnd(): number {
    return this.keptTop;
  }

  /** Bytes of tables kept now. */
  get keptBytes(): number {
    return this.keptTop - (this.exports.__heap_base.value as number);
  }

  /**
   * Keeps a table from now on: written above the kept ones. With `mayClear`, tables kept past
   * keptBytesLimit are dropped first (the caller holds no address of a kept table). Returns
   * its address; the caller's arena then starts at the new top.
   */
  keep(table: Table, mayClear: boolean): number {
    if (mayClear && this.keptBytes > WasmRuntime.keptBytesLimit) {
      this.clearKept();
    }
    const at = (this.keptTop + 7) & ~7;
    this.keptTop = at + table.byteLength;
    this.grow(this.keptTop);
    copyInto(this.exports.memory, at, table);
    this.kept.set(table, at);
    return at;
  }

  /** Drops every kept table: the next run of each model writes its tables again. */
  clearKept(): void {
    this.kept.clear();
    this.keptTop = this.exports.__heap_base.value as number;
  }

  /** Grows the memory to hold `top` bytes. */
  grow(top: number): void {
    const memory = this.exports.memory;
    if (top > memory.buffer.byteLength) {
      memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    }
  }

  /** Throws RuntimeError unless an export returned TML_OK; `what` names the model or step. */
  check(status: number, what: string): void {
    if (status !== 0) {
      throw new RuntimeError(status, what);
    }
  }

  /** n float32 values at a byte address, copied out of the runtime's memory. */
  floats(at: number, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, at, n).slice();
  }

  /** n int32 values at a byte address, copied out of the runtime's memory. */
  ints(at: number, n: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, at, n).slice();
  }
}

function copyInto(memory: WebAssembly.Memory, at: number, table: Table): void {
  new Uint8Array(memory.buffer, at, table.byteLength).set(
    new Uint8Array(table.buffer, table.byteOffset, table.byteLength)
  );
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
  uint32_t: Uint32Array,
  uint8_t: Uint8Array
};

/**
 * Descriptor `name` of c-runtime/wasm/descriptors.h from its fields by name (every field, so a
 * layout change is a type error here): ints as they are, floats as their float32 bits, tables
 * written to the arena (null: 0), each checked against the field's C element type. With
 * `keep`, the tables are a model's, kept in the runtime from run to run (Arena.table).
 */
export function packDescriptor<D extends DescriptorName>(
  arena: Arena,
  name: D,
  fields: Record<FieldName<D>, DescriptorValue>,
  { keep = false }: { keep?: boolean } = {}
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
      words[i] = !value ? 0 : keep ? arena.table(value) : arena.write(value);
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

/** Bump allocator for one call, above the runtime's kept tables. */
export class Arena {
  /** Whether this call's data (reserve, write) lies in the arena yet. */
  private placed = false;
  /** Whether this call uses a kept table's address: the kept tables may not be cleared. */
  private usesKept = false;

  constructor(
    private readonly runtime: WasmRuntime,
    private top: number
  ) {}

  reserve(bytes: number): number {
    const at = (this.top + 7) & ~7;
    this.top = at + bytes;
    this.placed = true;
    this.runtime.grow(this.top);
    return at;
  }

  write(table: Table): number {
    const at = this.reserve(table.byteLength);
    copyInto(this.runtime.exports.memory, at, table);
    return at;
  }

  /**
   * A model's table: where the runtime keeps it, written there on its first run. Once this
   * call's own data lies in the arena, nothing more can be kept below it: a table not kept yet
   * is then written for this call only.
   */
  table(table: Table): number {
    let at = this.runtime.keptAt(table);
    if (at === undefined) {
      if (this.placed) {
        return this.write(table);
      }
      at = this.runtime.keep(table, !this.usesKept);
      this.top = this.runtime.keptEnd;
    }
    this.usesKept = true;
    return at;
  }
}
