/**
 * Reading IR fields with a precise complaint: every problem is an IRError that says where
 * (`trees[3].threshold`) and what was expected. Used by the envelope and by every family.
 */
import { decodeArray } from './encoding';
import { shown } from './show';

/** A malformed or unsupported IR. `path` says where, e.g. `trees[3].threshold`. */
export class IRError extends Error {
  constructor(
    readonly path: string,
    message: string
  ) {
    super(`malformed model IR at ${path}: ${message}`);
    this.name = 'IRError';
  }
}

export function fail(path: string, message: string): never {
  throw new IRError(path, message);
}

export function requireInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `expected an integer in [${min}, ${max}], got ${shown(value)}`);
  }
  return value;
}

/** An array of the IR decoded as dtype; a bad encoding is an IRError at its path. */
export function decodeAt<D extends Parameters<typeof decodeArray>[1]>(value: unknown, dtype: D, path: string) {
  try {
    return decodeArray(value, dtype, path);
  } catch (e) {
    if (e instanceof IRError) {
      throw e;
    }
    throw new IRError(path, (e as Error).message.replace(`${path}: `, ''));
  }
}

/** A float array of the IR, stored as float32 or float64 (as the Python side encoded it). */
export function decodeFloatsAt(value: unknown, path: string): { array: Float32Array | Float64Array; shape: number[] } {
  const dtype = (value as { dtype?: unknown } | null)?.dtype;
  return dtype === 'float32' ? decodeAt(value, 'float32', path) : decodeAt(value, 'float64', path);
}

/** A float32-representable array of the given rank (IRError at `path` otherwise). */
export function floatArray(value: unknown, path: string, rank: number): { data: Float32Array; shape: number[] } {
  const decoded = decodeFloatsAt(value, path);
  if (decoded.shape.length !== rank) {
    fail(path, `expected ${rank} dimension(s), got shape ${shown(decoded.shape)}`);
  }
  const bad = decoded.array.findIndex(v => !Number.isFinite(v) || Math.abs(v) > 3.4e38);
  if (bad >= 0) {
    fail(path, `value ${bad} is ${decoded.array[bad]}: NaN, infinite or outside float32`);
  }
  return { data: Float32Array.from(decoded.array), shape: decoded.shape };
}

/**
 * A finite number that passes `check`, also as the float32 a header stores it (1e308 is no
 * float32, and 1e-320 is 0 as one); IRError at `path` naming `what` otherwise.
 */
export function finiteNumber(value: unknown, path: string, check: (v: number) => boolean, what: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(Math.fround(value)) ||
    !check(value) ||
    !check(Math.fround(value))
  ) {
    fail(path, `expected ${what}, got ${shown(value)}`);
  }
  return value;
}
