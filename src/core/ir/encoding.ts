/**
 * Typed arrays in JSON: `{dtype, shape, data}` with `data` the little-endian bytes in
 * base64. The Python side writes the same form (tinyml_lab/arrays.py), so one serializer per
 * side. Written without atob/btoa/Buffer because the headless engine (V8 inside Python)
 * has none of them. The headless API's binary calls put the bytes themselves in `data` (a
 * Uint8Array, see headless.ts); decodeArray reads both.
 */
import { shown } from './show';

export type DType = 'float64' | 'float32' | 'int32' | 'int16' | 'uint8' | 'uint32';

export interface EncodedArray {
  dtype: DType;
  shape: number[];
  /** base64 text; or the bytes themselves, in a binary call of the headless API */
  data: string | Uint8Array;
}

export type TypedArrayOf<D extends DType> = D extends 'float64'
  ? Float64Array
  : D extends 'float32'
    ? Float32Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'int16'
        ? Int16Array
        : D extends 'uint32'
          ? Uint32Array
          : Uint8Array;

const CONSTRUCTORS = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  int16: Int16Array,
  uint8: Uint8Array,
  uint32: Uint32Array
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  LOOKUP[ALPHABET.charCodeAt(i)] = i;
}

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const triple = (a << 16) | (b << 8) | c;
    chunk +=
      ALPHABET[(triple >> 18) & 63] +
      ALPHABET[(triple >> 12) & 63] +
      (i + 1 < bytes.length ? ALPHABET[(triple >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? ALPHABET[triple & 63] : '=');
    if (chunk.length >= 4096) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/** Base64 to bytes. Padding and whitespace at the end are allowed; anything else is an error. */
export function base64ToBytes(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 61 /* = */ || text.charCodeAt(end - 1) <= 32)) {
    end--;
  }
  if (end % 4 === 1) {
    throw new Error('base64 data has an impossible length');
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const value = (at: number): number => {
    const code = text.charCodeAt(at);
    const v = code < 128 ? LOOKUP[code] : -1;
    if (v < 0) {
      throw new Error(`base64 data has an invalid character at offset ${at}`);
    }
    return v;
  };
  let o = 0;
  const whole = end - (end % 4);
  // four characters to three bytes: the hot loop of a megabyte-sized IR
  for (let i = 0; i < whole; i += 4) {
    const triple = (value(i) << 18) | (value(i + 1) << 12) | (value(i + 2) << 6) | value(i + 3);
    out[o++] = triple >> 16;
    out[o++] = (triple >> 8) & 255;
    out[o++] = triple & 255;
  }
  if (end - whole >= 2) {
    const triple = (value(whole) << 18) | (value(whole + 1) << 12) | (end - whole === 3 ? value(whole + 2) << 6 : 0);
    out[o++] = triple >> 16;
    if (end - whole === 3) {
      out[o++] = (triple >> 8) & 255;
    }
  }
  return out.subarray(0, o);
}

/** Decodes an EncodedArray, checking its dtype, shape and byte length. */
export function decodeArray<D extends DType>(
  value: unknown,
  expected: D,
  where: string
): { array: TypedArrayOf<D>; shape: number[] } {
  if (typeof value !== 'object' || value === null) {
    throw new Error(`${where}: expected an encoded array {dtype, shape, data}`);
  }
  const { dtype, shape, data } = value as Partial<EncodedArray>;
  if (dtype !== expected) {
    throw new Error(`${where}: expected dtype ${expected}, got ${typeof dtype === 'string' ? dtype : shown(dtype)}`);
  }
  if (!Array.isArray(shape) || shape.some(n => typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    throw new Error(`${where}: shape must be a list of non-negative integers`);
  }
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new Error(`${where}: data must be a base64 string`);
  }
  const Ctor = CONSTRUCTORS[expected];
  const count = shape.reduce((a, b) => a * b, 1);
  let bytes: Uint8Array;
  try {
    bytes = typeof data === 'string' ? base64ToBytes(data) : data;
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  if (bytes.length !== count * Ctor.BYTES_PER_ELEMENT) {
    throw new Error(
      `${where}: shape ${shown(shape)} needs ${count * Ctor.BYTES_PER_ELEMENT} bytes, data has ${bytes.length}`
    );
  }
  // The bytes are little-endian, as on every host we run on. They are viewed where they lie
  // when aligned for the element type (no copy of a megabyte-sized table), else copied.
  const aligned = bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? bytes : Uint8Array.from(bytes);
  return { array: new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, count) as TypedArrayOf<D>, shape };
}

type AnyTypedArray = Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | Uint32Array;

/** The IR dtype of a typed array. */
export function dtypeOf(array: AnyTypedArray): DType {
  return (Object.keys(CONSTRUCTORS) as DType[]).find(key => array instanceof CONSTRUCTORS[key]) as DType;
}

export function encodeArray(array: AnyTypedArray, shape?: number[]): EncodedArray {
  const dtype = dtypeOf(array);
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return { dtype, shape: shape ?? [array.length], data: bytesToBase64(bytes) };
}
