/**
 * Widget state that arrives in binary buffers: the IR and the test rows of an Inspector.
 *
 * The kernel packs their arrays (tinyml_lab/packed_state.py, whose docstring describes the
 * form): arrays of one kind share a group, each group deflated, palette-coded where values
 * repeat. unpackArrays gives back the IR's own form ({dtype, shape, data} with data the
 * bytes), bit for bit what the kernel holds. State sent before packing (each array's bytes as
 * one buffer, as a notebook saved then may hold) is read as it always was.
 */
import { DType } from '../core/ir/encoding';

/** The marker of the packed form (PACKED_FORMAT in tinyml_lab/packed_state.py). */
export const PACKED_FORMAT = 'tinyml-lab packed arrays 1';

const WIDTHS: Record<DType, number> = { float64: 8, float32: 4, int32: 4, int16: 2, uint8: 1, uint32: 4 };
const INDEX_TYPES = { uint8: Uint8Array, uint16: Uint16Array };

type Bytes = DataView | Uint8Array | ArrayBuffer;

interface PackedGroup {
  /** the key its arrays are under (for people reading the state) */
  key: string;
  dtype: DType;
  count: number;
  /** plain: the elements, deflated */
  data?: Bytes;
  /** palette-coded: the distinct elements and each element's place among them, deflated */
  palette?: Bytes;
  index?: Bytes;
  index_dtype?: keyof typeof INDEX_TYPES;
}

interface PackedArrays {
  packed: string;
  layout: Bytes;
  groups: PackedGroup[];
}

/** An array's place in the layout: its group and its first element there. */
interface Place {
  group: number;
  offset: number;
}

/** A binary buffer as ipywidgets hands it over (a DataView) or as a test builds it, as bytes. */
function asBytes(value: unknown, where: string): Uint8Array {
  if (value instanceof Uint8Array) {
    return value;
  }
  if (value instanceof DataView) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) {
    return new Uint8Array(value);
  }
  throw new Error(`widget state: ${where} is not a binary buffer`);
}

/**
 * The kernel's state before packing: each encoded array's bytes as a binary buffer, which
 * ipywidgets hands over as a DataView, made a Uint8Array (decodeArray reads it as it reads
 * base64 text).
 */
export function buffersAsBytes(value: unknown): unknown {
  if (value instanceof DataView) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    return value.map(buffersAsBytes);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, buffersAsBytes(item)]));
  }
  return value;
}

/** Whether `value` is the packed form (of any version: a newer one is refused by name). */
export function isPacked(value: unknown): value is PackedArrays {
  return value !== null && typeof value === 'object' && 'packed' in value && 'layout' in value;
}

/**
 * Bytes inflated from the zlib format (zlib.compress's output) by the browser's own inflater,
 * in a fresh array (so aligned for any element type).
 */
export async function inflate(bytes: Uint8Array, where: string): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new Error(
      "widget state: this browser has no DecompressionStream, which unpacks the Inspector's arrays; " +
        'use a browser from 2023 or later (Chrome 80, Firefox 113, Safari 16.4)'
    );
  }
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => undefined); // a bad stream rejects here and in read(): reported once, below
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      chunks.push(value);
    }
    await written;
  } catch (e) {
    throw new Error(`widget state: ${where} does not inflate (${(e as Error).message})`);
  }
  // always one fresh array: aligned for any element type, and of this realm (jest's chunks are not)
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The elements of a palette-coded group: element i is palette entry index[i]. Copied as
 * integers of up to 4 bytes, never as floats, so each keeps its bits (a NaN's payload too).
 */
function expandPalette(palette: Uint8Array, index: ArrayLike<number>, width: number, where: string): Uint8Array {
  if (palette.length % width !== 0) {
    throw new Error(`widget state: ${where} palette has ${palette.length} bytes, not whole elements`);
  }
  const word = Math.min(width, 4);
  const perElement = width / word;
  const View = word === 1 ? Uint8Array : word === 2 ? Uint16Array : Uint32Array;
  const from = new View(palette.buffer as ArrayBuffer, palette.byteOffset, palette.length / word);
  const distinct = palette.length / width;
  const out = new View(index.length * perElement);
  for (let i = 0; i < index.length; i++) {
    const place = index[i];
    if (place >= distinct) {
      throw new Error(`widget state: ${where} index ${place} is past its ${distinct} palette entries`);
    }
    for (let k = 0; k < perElement; k++) {
      out[i * perElement + k] = from[place * perElement + k];
    }
  }
  return new Uint8Array(out.buffer);
}

/** One group's elements as little-endian bytes. */
async function unpackGroup(group: PackedGroup, where: string): Promise<Uint8Array> {
  const width = WIDTHS[group.dtype];
  if (width === undefined || !Number.isInteger(group.count) || group.count < 0) {
    throw new Error(`widget state: ${where} has dtype ${String(group.dtype)} and count ${String(group.count)}`);
  }
  let bytes: Uint8Array;
  if (group.palette !== undefined) {
    const IndexType = INDEX_TYPES[group.index_dtype as keyof typeof INDEX_TYPES];
    if (IndexType === undefined) {
      throw new Error(`widget state: ${where} has index dtype ${String(group.index_dtype)}`);
    }
    const [palette, indexBytes] = await Promise.all([
      inflate(asBytes(group.palette, `${where} palette`), `${where} palette`),
      inflate(asBytes(group.index, `${where} index`), `${where} index`)
    ]);
    if (indexBytes.length % IndexType.BYTES_PER_ELEMENT !== 0) {
      throw new Error(`widget state: ${where} index has ${indexBytes.length} bytes, not whole indices`);
    }
    const places = new IndexType(indexBytes.buffer as ArrayBuffer, 0, indexBytes.length / IndexType.BYTES_PER_ELEMENT);
    bytes = expandPalette(palette, places, width, where);
  } else {
    bytes = await inflate(asBytes(group.data, `${where} data`), `${where} data`);
  }
  if (bytes.length !== group.count * width) {
    throw new Error(
      `widget state: ${where} holds ${bytes.length} bytes, ${group.count} ${group.dtype} need ${group.count * width}`
    );
  }
  return bytes;
}

/** Whether `value` is an array of the layout: {dtype, shape, data: {group, offset}}. */
function isPlaced(value: Record<string, unknown>): value is { dtype: DType; shape: number[]; data: Place } {
  const data = value.data as Partial<Place> | undefined;
  return (
    typeof value.dtype === 'string' &&
    Array.isArray(value.shape) &&
    data !== null &&
    typeof data === 'object' &&
    typeof data.group === 'number' &&
    typeof data.offset === 'number'
  );
}

/** The layout with each array's data its bytes, a view into its group's. */
function restore(value: unknown, groups: { dtype: DType; bytes: Uint8Array }[]): unknown {
  if (Array.isArray(value)) {
    return value.map(item => restore(item, groups));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const record = value as Record<string, unknown>;
  if (isPlaced(record)) {
    const { group, offset } = record.data;
    const width = WIDTHS[record.dtype];
    const count = record.shape.reduce((a, b) => a * b, 1);
    const source = groups[group];
    const start = offset * width;
    if (
      source === undefined ||
      source.dtype !== record.dtype ||
      !(offset >= 0) ||
      start + count * width > source.bytes.length
    ) {
      throw new Error(
        `widget state: an array of ${count} ${record.dtype} at group ${group}, offset ${offset} lies outside its group`
      );
    }
    return { ...record, data: source.bytes.subarray(start, start + count * width) };
  }
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, restore(item, groups)]));
}

/**
 * The widget state `value` with its arrays' data as bytes: unpacked when packed (see the
 * module's comment), else each DataView made a Uint8Array (the form sent before packing).
 */
export async function unpackArrays(value: unknown): Promise<unknown> {
  if (!isPacked(value)) {
    return buffersAsBytes(value);
  }
  if (value.packed !== PACKED_FORMAT) {
    throw new Error(
      `widget state: the kernel packed it as "${String(value.packed)}", this JupyterLab extension reads ` +
        `"${PACKED_FORMAT}": install the same version of tinyml-lab in the kernel and in JupyterLab`
    );
  }
  const [layout, groups] = await Promise.all([
    inflate(asBytes(value.layout, 'layout'), 'layout'),
    Promise.all(
      value.groups.map(async (group, i) => ({ dtype: group.dtype, bytes: await unpackGroup(group, `group ${i}`) }))
    )
  ]);
  return restore(JSON.parse(new TextDecoder().decode(layout)), groups);
}

/** The packed state each unpacked value came from: what a notebook saves (small, as sent). */
const packedForms = new WeakMap<object, unknown>();

/**
 * `value` with each byte array a DataView of a buffer of its own: ipywidgets saves a view's
 * whole underlying buffer, so a view into a larger one would save bytes not its own.
 */
function ownBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return new DataView(value.slice().buffer);
  }
  if (Array.isArray(value)) {
    return value.map(ownBuffers);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, ownBuffers(item)]));
  }
  return value;
}

/**
 * The ipywidgets serializer of a trait holding arrays: unpacks what the kernel sends, and
 * gives the packed form back where the widget state is saved with the notebook (the
 * unpacked form, for state sent before packing).
 */
export const packedArraysSerializer = {
  deserialize: async (value: unknown): Promise<unknown> => {
    const unpacked = await unpackArrays(value);
    if (unpacked !== null && typeof unpacked === 'object' && isPacked(value)) {
      packedForms.set(unpacked, value);
    }
    return unpacked;
  },
  serialize: (value: unknown): unknown =>
    value !== null && typeof value === 'object' && packedForms.has(value) ? packedForms.get(value) : ownBuffers(value)
};
