/**
 * The Inspector's packed widget state (src/widgets/buffers.ts): the browser unpacks exactly what
 * Python packed (tests/fixtures/packed_state.json, written by scripts/make_packed_fixture.py from
 * every golden IR and from edge values), still reads the state sent before packing, and says
 * clearly what is wrong with a state it cannot read.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { deflateSync } from 'zlib';

import { compileModel } from '../../src/core/compile';
import { bytesToBase64 } from '../../src/core/ir/encoding';
import { parseModelIR } from '../../src/core/ir/envelope';
import { PACKED_FORMAT, buffersAsBytes, packedArraysSerializer, unpackArrays } from '../../src/widgets/buffers';
import { asDataViews } from './fixtures';

interface Stored {
  state: Record<string, unknown>;
  buffer_paths: (string | number)[][];
  buffers: string[];
}

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixture: { format: string; golden: Record<string, Stored>; edge: { value: unknown; packed: Stored } } =
  JSON.parse(readFileSync(join(FIXTURES, 'packed_state.json'), 'utf8'));
const golden: Record<string, Record<string, unknown>> = Object.fromEntries(
  JSON.parse(readFileSync(join(FIXTURES, 'golden', 'cases.json'), 'utf8')).map(
    (c: { name: string; ir: Record<string, unknown> }) => [c.name, c.ir]
  )
);

/** A DataView of `bytes`, on a buffer of its own (as ipywidgets hands each binary buffer over). */
function dataView(bytes: Uint8Array): DataView {
  const copy = Uint8Array.from(bytes);
  return new DataView(copy.buffer);
}

/** A stored state with its buffers put back at their paths as DataViews: what the model's deserializer gets. */
function received(stored: Stored): Record<string, unknown> {
  const state = JSON.parse(JSON.stringify(stored.state));
  stored.buffer_paths.forEach((path, i) => {
    const parent = path.slice(0, -1).reduce((node, key) => node[key], state);
    parent[path[path.length - 1]] = dataView(Buffer.from(stored.buffers[i], 'base64'));
  });
  return state;
}

/** The unpacked value with each array's bytes as base64 again: the IR's JSON form, to compare with the source. */
function asBase64(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return bytesToBase64(value);
  }
  if (Array.isArray(value)) {
    return value.map(asBase64);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asBase64(v)]));
  }
  return value;
}

/** A packed state made here with Node's zlib, for the forms the fixture does not hold. */
function packed(groups: Record<string, unknown>[], layout: unknown, format = PACKED_FORMAT): Record<string, unknown> {
  return { packed: format, layout: dataView(deflateSync(JSON.stringify(layout))), groups };
}

const deflated = (array: ArrayBufferView): DataView =>
  dataView(deflateSync(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)));

describe('packed widget state, packed by Python', () => {
  it('is the format this extension reads', () => {
    expect(fixture.format).toBe(PACKED_FORMAT);
  });

  it.each(Object.keys(fixture.golden))('%s unpacks to the golden IR, bit for bit', async name => {
    expect(golden[name]).toBeDefined(); // else: regenerate with python scripts/make_packed_fixture.py
    const ir = await unpackArrays(received(fixture.golden[name]));
    expect(asBase64(ir)).toEqual(golden[name]);
    expect(() => parseModelIR(ir)).not.toThrow();
  });

  it('a forest and a network compile to the same header as from their base64 IR', async () => {
    for (const name of ['rf_wine_float32_tables', 'mlp_digits']) {
      const stored = fixture.golden[name];
      expect(stored).toBeDefined(); // else: regenerate with python scripts/make_packed_fixture.py
      const ir = await unpackArrays(received(stored));
      const options = { name: 'm', featureType: 'float32' as const };
      expect(compileModel(ir, options).header).toBe(compileModel(golden[name], options).header);
    }
  });

  it('edge values keep their bits: NaN payloads, -0.0, infinities, subnormals, extremes', async () => {
    const value = (await unpackArrays(received(fixture.edge.packed))) as Record<string, any>;
    expect(asBase64(value)).toEqual(fixture.edge.value);
    const threshold = value.trees[0].threshold.data as Uint8Array;
    const words = new Uint32Array(Uint8Array.from(threshold).buffer);
    // 0x7FF8DEADBEEF0001, a quiet NaN with a payload, little-endian: low word first
    const found = Array.from({ length: words.length / 2 }, (_, i) => [words[2 * i], words[2 * i + 1]]);
    expect(found).toContainEqual([0xbeef0001, 0x7ff8dead]);
    expect(found).toContainEqual([0, 0x80000000]); // -0.0
    expect(value.name).toBe('edge cases ✓ — модель 模型');
    expect(value.options).toEqual({ dtype: 'float32', strategy: 'tables' });
    expect(value.matrix).toMatchObject({ dtype: 'float32', shape: [4, 0] });
  });
});

describe('widget state sent before packing', () => {
  it('each array in a buffer of its own still reads as it did', async () => {
    const ir = golden.rf_wine_float32_tables;
    const old = asDataViews(ir);
    const value = await unpackArrays(old);
    expect(asBase64(value)).toEqual(ir);
    expect(value).toEqual(buffersAsBytes(old));
  });
});

describe('packed forms made here', () => {
  it('a plain float64 group and a uint16-indexed palette', async () => {
    const plain = new Float64Array([1.5, NaN, -Infinity, -0]);
    const palette = new Float32Array([-1, 0.25, 3]);
    const index = new Uint16Array([2, 0, 0, 1, 2]);
    const state = packed(
      [
        { dtype: 'float64', count: 4, data: deflated(plain) },
        { dtype: 'float32', count: 5, index_dtype: 'uint16', palette: deflated(palette), index: deflated(index) }
      ],
      {
        a: { dtype: 'float64', shape: [2, 2], data: { group: 0, offset: 0 } },
        b: [
          { dtype: 'float32', shape: [2], data: { group: 1, offset: 0 } },
          { dtype: 'float32', shape: [3], data: { group: 1, offset: 2 } }
        ]
      }
    );
    const value = (await unpackArrays(state)) as Record<string, any>;
    expect(new Float64Array(Uint8Array.from(value.a.data).buffer)).toEqual(plain);
    expect(Array.from(new Float32Array(Uint8Array.from(value.b[1].data).buffer))).toEqual([-1, 0.25, 3]);
  });

  it('the serializer gives the packed form back where the notebook saves the state', async () => {
    const state = received(fixture.golden.rf_wine_float32_tables);
    const value = await packedArraysSerializer.deserialize(state);
    expect(packedArraysSerializer.serialize(value)).toBe(state);
    // state sent before packing: saved as it came, each array in a buffer of its own
    const old = asDataViews(golden.dt_iris_tables) as Record<string, any>;
    const saved = packedArraysSerializer.serialize(await packedArraysSerializer.deserialize(old)) as Record<
      string,
      any
    >;
    expect(asBase64(await unpackArrays(saved))).toEqual(golden.dt_iris_tables);
    const threshold = saved.trees[0].threshold.data as DataView;
    expect(threshold.buffer.byteLength).toBe(threshold.byteLength);
  });
});

describe('a packed state that cannot be read says why', () => {
  const one = { x: { dtype: 'float32', shape: [2], data: { group: 0, offset: 0 } } };
  const group = { dtype: 'float32', count: 2, data: deflated(new Float32Array([1, 2])) };

  it('another version of the format names both', async () => {
    await expect(unpackArrays(packed([group], one, 'tinyml-lab packed arrays 2'))).rejects.toThrow(
      /packed it as "tinyml-lab packed arrays 2", this JupyterLab extension reads "tinyml-lab packed arrays 1": install the same version/
    );
  });

  it('bytes that do not inflate', async () => {
    const bad = { ...group, data: dataView(new Uint8Array([1, 2, 3, 4])) };
    await expect(unpackArrays(packed([bad], one))).rejects.toThrow(/widget state: group 0 data does not inflate/);
  });

  it('a group shorter than its count, an array outside its group, an index past its palette', async () => {
    await expect(unpackArrays(packed([{ ...group, count: 3 }], one))).rejects.toThrow(
      /group 0 holds 8 bytes, 3 float32 need 12/
    );
    const outside = { x: { dtype: 'float32', shape: [2], data: { group: 0, offset: 1 } } };
    await expect(unpackArrays(packed([group], outside))).rejects.toThrow(/lies outside its group/);
    const pastPalette = {
      dtype: 'float32',
      count: 2,
      index_dtype: 'uint8',
      palette: deflated(new Float32Array([7])),
      index: deflated(new Uint8Array([0, 1]))
    };
    await expect(unpackArrays(packed([pastPalette], one))).rejects.toThrow(/index 1 is past its 1 palette entries/);
  });

  it('a browser without DecompressionStream', async () => {
    const saved = globalThis.DecompressionStream;
    delete (globalThis as Partial<typeof globalThis>).DecompressionStream;
    try {
      await expect(unpackArrays(packed([group], one))).rejects.toThrow(/this browser has no DecompressionStream/);
    } finally {
      globalThis.DecompressionStream = saved;
    }
  });
});
