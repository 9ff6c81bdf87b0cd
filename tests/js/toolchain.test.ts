/**
 * The device-run path's two shortcuts give the answers of the long way: arrays sent as bytes in
 * a binary call of the headless API (as tinyml_lab/_engine.py sends them) and model tables kept
 * in the WebAssembly runtime from one run to the next (WasmRuntime's kept tables).
 */
import {
  WasmRuntime,
  base64ToBytes,
  compileModel,
  decodeArray,
  headless,
  lowerModel,
  runOnDevice
} from '../../src/core';
import { NET_FIXTURES, TREE_FIXTURES, fixtures } from './fixtures';

type Json = Record<string, any>;

/**
 * Python's side of a binary call: every base64 array of the arguments moved into one buffer
 * at 8-byte aligned offsets and named {dtype, shape, blob}; then the call, and the arrays of
 * its answer read back from the output buffer.
 */
function binaryCall(fn: (...args: string[]) => string, ...args: unknown[]): Json {
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  let size = 0;
  const take = (value: any): any => {
    if (Array.isArray(value)) {
      return value.map(take);
    }
    if (value && typeof value === 'object') {
      if (typeof value.data === 'string' && typeof value.dtype === 'string') {
        const bytes = base64ToBytes(value.data);
        const at = Math.ceil(size / 8) * 8;
        chunks.push({ at, bytes });
        size = at + bytes.length;
        return { dtype: value.dtype, shape: value.shape, blob: [at, bytes.length] };
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, take(v)]));
    }
    return value;
  };
  const texts = args.map(a => JSON.stringify(take(a)));
  const input = new Uint8Array(headless.beginBinaryCall(size));
  chunks.forEach(c => input.set(c.bytes, c.at));
  let raw = '';
  let output = new ArrayBuffer(0);
  try {
    raw = fn(...texts);
  } finally {
    output = headless.endBinaryCall();
  }
  const give = (value: any): any => {
    if (Array.isArray(value)) {
      return value.map(give);
    }
    if (value && typeof value === 'object') {
      if (Array.isArray(value.blob)) {
        const [at, bytes] = value.blob;
        return { dtype: value.dtype, shape: value.shape, bytes: new Uint8Array(output, at, bytes).slice() };
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, give(v)]));
    }
    return value;
  };
  return give(JSON.parse(raw));
}

/** An array of a JSON answer (base64) as bytes, to compare with a binary call's. */
function bytesOf(encoded: Json): Uint8Array {
  return base64ToBytes(encoded.data);
}

describe('binary calls of the headless API', () => {
  it.each(['iris_forest', 'digits_forest', ...NET_FIXTURES.slice(0, 1)])(
    '%s: compile and run give what the JSON calls give, to the byte',
    name => {
      const f = fixtures[name];
      const input = { x: f.x, reference: { classes: f.sklearn_classes } };
      const json = JSON.parse(headless.run(JSON.stringify(f.ir), '{}', JSON.stringify(input)));
      const binary = binaryCall(headless.run, f.ir, {}, input);
      expect(binary.ok).toBe(true);
      expect(binary.report).toEqual(json.report);
      expect(binary.classes.bytes).toEqual(bytesOf(json.classes));
      expect(binary.values.bytes).toEqual(bytesOf(json.values));
      expect(binary.values.shape).toEqual(json.values.shape);

      const compiledJson = JSON.parse(headless.compile(JSON.stringify(f.ir), '{}', JSON.stringify(`json ${name}`)));
      const compiled = binaryCall(headless.compile, f.ir, {}, `binary ${name}`);
      expect(compiled.header).toBe(compiledJson.header);
      const kept = binaryCall(headless.runKept, `binary ${name}`, { x: f.x });
      expect(kept.classes.bytes).toEqual(bytesOf(json.classes));
    }
  );

  it('the feature extractors answer with bytes too', () => {
    const x = new Float32Array([0, 1, 0, -1, 0, 1, 0, -1]);
    const encoded = { dtype: 'float32', shape: [1, 8], data: '' };
    encoded.data = Buffer.from(x.buffer).toString('base64');
    const json = JSON.parse(headless.features(JSON.stringify('power_spectrum'), JSON.stringify({ x: encoded })));
    const binary = binaryCall(headless.features, 'power_spectrum', { x: encoded });
    expect(binary.out.bytes).toEqual(bytesOf(json.out));
  });

  it('refuses an array whose bytes lie outside what was sent', () => {
    const f = fixtures.iris_tree;
    headless.beginBinaryCall(16);
    const x = { dtype: 'float32', shape: [1, 4], blob: [8, 16] };
    const answer = JSON.parse(headless.run(JSON.stringify(f.ir), '{}', JSON.stringify({ x })));
    headless.endBinaryCall();
    expect(answer).toMatchObject({ ok: false, kind: 'InputError' });
    expect(answer.error).toContain('outside the 16 bytes sent');
  });

  it('a JSON call after a binary one reads base64 again', () => {
    binaryCall(headless.exportOptions, fixtures.iris_tree.ir);
    const answer = JSON.parse(headless.exportOptions(JSON.stringify(fixtures.iris_tree.ir)));
    expect(answer.ok).toBe(true);
  });
});

describe('kept model tables', () => {
  const runtime = WasmRuntime.load();
  const rowsOf = (name: string) => decodeArray(fixtures[name].x, 'float32', 'x');

  afterEach(() => {
    WasmRuntime.keptBytesLimit = 64 * 1024 * 1024;
  });

  it('a second run of a model writes no table again and gives the same output', () => {
    const model = compileModel(fixtures.wine_forest.ir);
    const { array: x, shape } = rowsOf('wine_forest');
    const first = runOnDevice(model, x, shape[0]);
    const kept = runtime.keptBytes;
    const second = runOnDevice(model, x, shape[0]);
    expect(runtime.keptBytes).toBe(kept);
    expect(second.classes).toEqual(first.classes);
    expect(second.values).toEqual(first.values);
  });

  it.each([
    ['float32 then int16 features', {}, { featureType: 'int16' as const }],
    ['float32 then uint8 leaves', {}, { leafType: 'uint8' as const }]
  ])('other options of the same model are not run on the kept tables: %s', (_, a, b) => {
    const name = 'breast_cancer_forest';
    const { array: x, shape } = rowsOf(name);
    // what each gives run alone, first of all in a cleared runtime
    const alone = [a, b].map(options => {
      runtime.clearKept();
      return runOnDevice(lowerModel(fixtures[name].ir, options), x, shape[0]);
    });
    const models = [lowerModel(fixtures[name].ir, a), lowerModel(fixtures[name].ir, b)];
    for (const round of [0, 1]) {
      models.forEach((model, k) => {
        const run = runOnDevice(model, x, shape[0]);
        expect([round, k, run.values]).toEqual([round, k, alone[k].values]);
        expect(run.classes).toEqual(alone[k].classes);
      });
    }
  });

  it('models run in turn past the limit are kept anew each time, with the right output', () => {
    const names = [...TREE_FIXTURES.slice(0, 3), ...NET_FIXTURES.slice(0, 1)];
    const models = names.map(name => lowerModel(fixtures[name].ir));
    const expected = names.map((name, k) => runOnDevice(models[k], rowsOf(name).array, rowsOf(name).shape[0]));
    WasmRuntime.keptBytesLimit = 0; // every new model clears the kept tables first
    for (const round of [0, 1]) {
      names.forEach((name, k) => {
        const { array: x, shape } = rowsOf(name);
        const run = runOnDevice(models[k], x, shape[0]);
        expect([round, name, run.values]).toEqual([round, name, expected[k].values]);
      });
    }
  });

  it('a table asked for after the call placed its own data is written for that call only', () => {
    const arena = runtime.arena();
    arena.reserve(16);
    const table = new Float32Array([1, 2, 3]);
    const at = arena.table(table);
    expect(runtime.keptAt(table)).toBeUndefined();
    expect(Array.from(runtime.floats(at, 3))).toEqual([1, 2, 3]);
  });
});
