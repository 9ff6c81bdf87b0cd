/** Lowering neural nets: shapes, padding, folding, the arena plan, int8 parameters, emission. */
import {
  IRError,
  traceNet,
  buildFloatNet,
  compileModel,
  describeNet,
  encodeArray,
  lowerModel,
  parseModelIR,
  quantizeMultiplier,
  runOnDevice,
  tensorQuantization
} from '../../src/core';
import type { NetLayer, NetTables, NeuralNetIR } from '../../src/core';

const f64 = (values: number[], shape: number[]) => encodeArray(Float64Array.from(values), shape);
const range = (n: number, scale = 0.1, shift = 0) =>
  Array.from({ length: n }, (_, i) => ((i * 7) % 11) * scale - shift);

function netIR(
  layers: unknown[],
  inputShape: number[],
  nOutputs: number,
  task = 'classification'
): Record<string, unknown> {
  return {
    format: 'tinyml-lab-ir',
    version: 1,
    family: 'neural_net',
    estimator: 'test.Net',
    task,
    classes: task === 'classification' ? Array.from({ length: nOutputs === 1 ? 2 : nOutputs }, (_, i) => i) : undefined,
    n_features: inputShape.reduce((a, b) => a * b, 1),
    input_shape: inputShape,
    feature_names: [],
    n_outputs: nOutputs,
    layers
  };
}

const dense = (nIn: number, nOut: number, activation: string, shift = 0.3) => ({
  kind: 'dense',
  weights: f64(range(nIn * nOut, 0.1, shift), [nIn, nOut]),
  bias: f64(range(nOut, 0.05), [nOut]),
  activation
});

/** A small MLP: 4 -> 5 (relu) -> 3 (softmax). */
const mlp = () => netIR([dense(4, 5, 'relu'), dense(5, 3, 'softmax')], [4], 3);

function parseNet(raw: unknown): NeuralNetIR {
  return parseModelIR(raw) as NeuralNetIR;
}

/** Straightforward float64 forward pass of dense layers, for comparison. */
function denseForward(ir: NeuralNetIR, x: number[]): number[] {
  let v = x;
  for (const layer of ir.layers) {
    if (layer.kind !== 'dense') {
      throw new Error('dense only');
    }
    const [nIn, nOut] = layer.weights.shape;
    const out = Array.from(layer.bias.data);
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        out[o] += v[i] * layer.weights.data[i * nOut + o];
      }
    }
    if (layer.activation === 'relu') {
      v = out.map(a => Math.max(0, a));
    } else if (layer.activation === 'softmax') {
      const top = Math.max(...out);
      const e = out.map(a => Math.exp(a - top));
      const total = e.reduce((a, b) => a + b, 0);
      v = e.map(a => a / total);
    } else {
      v = out;
    }
  }
  return v;
}

describe('network IR', () => {
  it('names the place of a malformed layer', () => {
    const bad = mlp();
    (bad.layers as Array<Record<string, unknown>>)[1].weights = f64([NaN, ...range(14)], [5, 3]);
    expect(() => parseModelIR(bad)).toThrow(IRError);
    expect(() => parseModelIR(bad)).toThrow('layers[1].weights');
    const unknown = mlp();
    (unknown.layers as Array<Record<string, unknown>>)[0].kind = 'lstm';
    expect(() => parseModelIR(unknown)).toThrow('unknown layer kind "lstm"');
    const shape = mlp();
    shape.input_shape = [5];
    expect(() => parseModelIR(shape)).toThrow('input_shape');
  });

  it('refuses layers that do not chain', () => {
    const ir = netIR([dense(4, 5, 'relu'), dense(6, 3, 'softmax')], [4], 3);
    expect(() => buildFloatNet(parseNet(ir))).toThrow('expects 6 inputs per position, the previous layer gives 5');
    const early = netIR([dense(4, 5, 'softmax'), dense(5, 3, 'identity')], [4], 3);
    expect(() => buildFloatNet(parseNet(early))).toThrow('softmax is supported as the last layer only');
  });
});

describe('lowering', () => {
  it('stores dense weights output-major and chains shapes', () => {
    const ir = parseNet(mlp());
    const net = buildFloatNet(ir);
    expect(net.layers.map(l => [l.kind, l.activation, l.outShape])).toEqual([
      ['conv', 'relu', [1, 1, 5]],
      ['conv', 'softmax', [1, 1, 3]]
    ]);
    const first = ir.layers[0] as Extract<NeuralNetIR['layers'][number], { kind: 'dense' }>;
    // runtime [out][in] = IR [in][out]
    expect(net.layers[0].weightF32![2 * 4 + 3]).toBe(Math.fround(first.weights.data[3 * 5 + 2]));
  });

  it('pads "same" convolutions and pools as Keras does, extra padding after', () => {
    const conv1d = {
      kind: 'conv1d',
      weights: f64(range(3 * 2 * 4), [3, 2, 4]),
      bias: f64(range(4), [4]),
      strides: [2],
      padding: 'same',
      activation: 'relu'
    };
    const conv2d = {
      kind: 'conv2d',
      weights: f64(range(2 * 2 * 3 * 2), [2, 2, 3, 2]),
      bias: f64(range(2), [2]),
      strides: [2, 2],
      padding: 'same',
      activation: 'identity'
    };
    const oneD = buildFloatNet(
      parseNet(netIR([conv1d, { kind: 'global_avg_pool1d' }, dense(4, 2, 'softmax')], [7, 2], 2))
    );
    // 7 steps, kernel 3, stride 2: 4 outputs, 2 padding in total, 1 before
    expect(oneD.layers[0].outShape).toEqual([1, 4, 4]);
    expect(oneD.layers[0].pad).toEqual([0, 1]);
    expect(oneD.layers[1]).toMatchObject({ kind: 'avg_pool', kernel: [1, 4], outShape: [1, 1, 4] });
    const twoD = buildFloatNet(
      parseNet(
        netIR(
          [
            conv2d,
            { kind: 'max_pool2d', pool_size: [2, 2], strides: [1, 1], padding: 'valid' },
            { kind: 'flatten' },
            dense(8, 1, 'logistic')
          ],
          [5, 5, 3],
          1
        )
      )
    );
    // 5x5, kernel 2, stride 2: 3x3 outputs, 1 padding in total per axis, all of it after
    expect(twoD.layers[0]).toMatchObject({ outShape: [3, 3, 2], pad: [0, 0] });
    expect(twoD.layers[1]).toMatchObject({ kind: 'max_pool', outShape: [2, 2, 2] });
    expect(twoD.layers[2].inShape).toEqual([1, 1, 8]); // flatten costs nothing
  });

  it('folds a batch norm into the dense layer before it, and keeps one after an activation', () => {
    const bn = {
      kind: 'batch_norm',
      gamma: f64([1.5, 0.5, 2, 1, 1], [5]),
      beta: f64([0.1, -0.2, 0, 0.3, 0], [5]),
      mean: f64([0.2, 0.1, -0.1, 0, 0.5], [5]),
      variance: f64([1, 4, 0.25, 1, 2], [5]),
      epsilon: 0.001
    };
    const folded = buildFloatNet(
      parseNet(
        netIR([dense(4, 5, 'identity'), bn, { kind: 'activation', activation: 'relu' }, dense(5, 3, 'softmax')], [4], 3)
      )
    );
    expect(folded.layers).toHaveLength(2);
    expect(folded.layers[0].name).toBe('dense 0 + batch_norm 1 + relu');
    // Lowering the same parsed IR twice gives the same net: folding must not touch the IR.
    const ir = parseNet(netIR([dense(4, 5, 'identity'), bn, dense(5, 3, 'softmax')], [4], 3));
    expect(buildFloatNet(ir).layers[0].biasF32).toEqual(buildFloatNet(ir).layers[0].biasF32);
    const kept = buildFloatNet(parseNet(netIR([dense(4, 5, 'relu'), bn, dense(5, 3, 'softmax')], [4], 3)));
    expect(kept.layers.map(l => l.kind)).toEqual(['conv', 'affine', 'conv']);
    expect(kept.layers[1].inOffset).toBe(kept.layers[1].outOffset); // in place
  });

  it('plans the arena as the largest input + output pair, outputs alternating ends', () => {
    const net = buildFloatNet(
      parseNet(netIR([dense(4, 50, 'relu'), dense(50, 20, 'relu'), dense(20, 3, 'softmax')], [4], 3))
    );
    expect(net.arenaBytes).toBe(4 * (50 + 20));
    const overlaps = (l: NetLayer, bytes: (s: number[]) => number) => {
      const inEnd = l.inOffset + bytes(l.inShape);
      const outEnd = l.outOffset + bytes(l.outShape);
      return l.inOffset < outEnd && l.outOffset < inEnd;
    };
    const bytes = (s: number[]) => 4 * s[0] * s[1] * s[2];
    for (const l of net.layers) {
      expect(overlaps(l, bytes)).toBe(false);
      expect(l.outOffset + bytes(l.outShape)).toBeLessThanOrEqual(net.arenaBytes);
      expect(l.outOffset % 4).toBe(0);
    }
    expect(net.layers[1].inOffset).toBe(net.layers[0].outOffset);
  });
});

describe('int8 parameters', () => {
  it('encodes multipliers as q * 2^(shift - 31), q in [2^30, 2^31)', () => {
    for (const m of [0.5, 0.75, 1e-3, 0.123456, 3.9, 2 ** -20]) {
      const { multiplier, shift } = quantizeMultiplier(m);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplier * 2 ** (shift - 31) - m) / m).toBeLessThan(2 ** -30);
    }
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('quantizes a tensor over its range and zero', () => {
    expect(tensorQuantization(0, 6)).toEqual({ scale: Math.fround(6 / 255), zero: -128 });
    const sym = tensorQuantization(-1, 1);
    // the 256 steps cover [-1, 1] up to one step of rounding the zero point
    expect(sym.scale * (-128 - sym.zero)).toBeLessThanOrEqual(-1 + sym.scale);
    expect(sym.scale * (127 - sym.zero)).toBeGreaterThanOrEqual(1 - sym.scale);
    expect(tensorQuantization(2, 3).zero).toBe(-128); // ranges always include 0
  });
});

describe('emission', () => {
  it('emits const layers, the arena size and predict functions', () => {
    const model = compileModel(mlp(), { name: 'mlp' });
    expect(model.header).toContain('static const tml_layer_t mlp_layers[2] TML_CONST_TABLE = {');
    expect(model.header).toContain('.layers_in_program_memory = 1');
    expect(model.header).toContain(`#define MLP_ARENA_BYTES ${(model.tables as NetTables).arenaBytes}`);
    expect(model.header).toContain('static inline int32_t mlp_predict(const float *x)');
    expect(model.header).toContain('static inline int mlp_predict_proba(const float *x, float *proba, int32_t n)');
    expect(model.size.flash.find(i => i.name === 'weights')?.bytes).toBe(4 * (4 * 5 + 5 * 3));
    const regressor = compileModel(netIR([dense(4, 2, 'identity')], [4], 2, 'regression'), { name: 'r' });
    expect(regressor.header).toContain('static inline int r_predict(const float *x, float *y)');
  });

  it('refuses tree-only options for a network', () => {
    expect(() => lowerModel(mlp(), { featureType: 'int16' })).toThrow('float32 or int8, not int16');
    expect(() => lowerModel(mlp(), { strategy: 'inline' })).toThrow('tree models only');
    expect(() => lowerModel(mlp(), { featureType: 'int8' })).toThrow('int8 needs representative input rows');
  });
});

describe('the C runtime runs the network', () => {
  const rows = 40;
  const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i * 1.3) * 2);

  it('float32: equals a float64 forward pass within float32 rounding', () => {
    const model = lowerModel(mlp());
    const run = runOnDevice(model, x, rows);
    for (let r = 0; r < rows; r++) {
      const want = denseForward(model.ir as NeuralNetIR, Array.from(x.slice(4 * r, 4 * r + 4)));
      for (let k = 0; k < 3; k++) {
        expect(Math.abs(run.values[3 * r + k] - want[k])).toBeLessThan(1e-6);
      }
      expect(run.classes[r]).toBe(want.indexOf(Math.max(...want)));
    }
  });

  it('int8: calibrated by the runtime, close to float32', () => {
    const float = lowerModel(mlp());
    const int8 = lowerModel(mlp(), { featureType: 'int8', calibration: x });
    const tables = int8.tables as NetTables;
    expect(tables.calibration?.rows).toBe(rows);
    expect(tables.layers[1].outFloat).toBe(true);
    expect(tables.arenaBytes).toBeLessThan((float.tables as NetTables).arenaBytes);
    const a = runOnDevice(float, x, rows);
    const b = runOnDevice(int8, x, rows);
    let worst = 0;
    a.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.values[i]))));
    expect(worst).toBeLessThan(0.05);
    const trace = traceNet(tables, x, rows);
    expect(trace.min[0]).toBeGreaterThanOrEqual(0); // relu
  });
});

describe('output channels whose weights are all zero', () => {
  // 64 -> 24 (relu) -> 3 (softmax), hidden units other than those `kept` says pruned (no weights)
  const pruned = (kept: (unit: number) => boolean): Record<string, unknown> => {
    const hidden = dense(64, 24, 'relu');
    const weights = Float64Array.from(range(64 * 24, 0.1, 0.3)); // [in][out]
    for (let o = 0; o < 24; o++) {
      for (let i = 0; !kept(o) && i < 64; i++) {
        weights[i * 24 + o] = 0;
      }
    }
    hidden.weights = encodeArray(weights, [64, 24]);
    return netIR([hidden, dense(24, 3, 'softmax')], [64], 3);
  };
  const everyThird = (unit: number): boolean => unit % 3 === 0;
  const rows = 40;
  const x = Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i * 0.9) * 2);
  const int8 = { featureType: 'int8' as const, calibration: x };

  it('int8 keeps only the rows with a weight: the same integers as every row, fewer bytes and multiply-adds', () => {
    const model = compileModel(pruned(everyThird), { name: 'p', ...int8 });
    const tables = model.tables as NetTables;
    const [hidden, last] = tables.layers;
    // units 0, 3, 6 | 9, 12, 15 | 18, 21, bit u % 8 of byte u / 8
    expect(Array.from(hidden.rowMask ?? [])).toEqual([0b01001001, 0b10010010, 0b00100100]);
    expect(hidden.weightI8?.length).toBe(8 * 64);
    expect(last.rowMask).toBeNull(); // it writes float: not the whole-window kernel
    expect(model.header).toContain('.row_mask = p_l0_row_mask');
    expect(model.header).toMatch(/#define P_NET_LAYERS \(.*\(1L << TML_NET_ROW_MASKS_BIT\)\)\n/);
    expect(model.size.flash.find(i => i.name === 'weights')?.bytes).toBe(8 * 64 + 3 + 24 * 3);
    expect(describeNet(tables).layers[0].macs).toBe(8 * 64);
    // the same layer with every row, the pruned ones as zeros
    const everyRow = new Int8Array(24 * 64);
    let row = 0;
    for (let o = 0; o < 24; o += 3) {
      everyRow.set((hidden.weightI8 as Int8Array).subarray(64 * row, 64 * row + 64), 64 * o);
      row++;
    }
    const unmasked = {
      ...model,
      tables: { ...tables, layers: [{ ...hidden, weightI8: everyRow, rowMask: null }, last] }
    } as typeof model;
    expect(Array.from(runOnDevice(model, x, rows).values)).toEqual(Array.from(runOnDevice(unmasked, x, rows).values));
  });

  it('keeps every row where leaving some out would not pay: nothing to leave out, or less than the code', () => {
    const plain = compileModel(mlp(), { name: 'q', featureType: 'int8', calibration: x.subarray(0, rows * 4) });
    expect((plain.tables as NetTables).layers.every(l => l.rowMask === null)).toBe(true);
    expect(plain.header).not.toContain('.row_mask =');
    expect(plain.header).toMatch(/#define Q_NET_LAYERS \((?!.*ROW_MASKS).*\)\n/);
    // two pruned units save 128 bytes of weights, less than the mask path's code
    const two = compileModel(
      pruned(unit => unit >= 2),
      { name: 'r', ...int8 }
    );
    expect((two.tables as NetTables).layers[0].rowMask).toBeNull();
    expect((two.tables as NetTables).layers[0].weightI8?.length).toBe(24 * 64);
    // beside a layer that pays, one whose few pruned weights would save less than spreading costs
    const [first] = pruned(everyThird).layers as Record<string, unknown>[];
    const wide = dense(24, 64, 'relu');
    const weights = Float64Array.from(range(24 * 64, 0.1, 0.3));
    for (let i = 0; i < 24; i++) {
      weights[i * 64] = 0; // unit 0: 24 multiply-adds a position, against spreading 64 sums
    }
    wide.weights = encodeArray(weights, [24, 64]);
    const both = compileModel(netIR([first, wide, dense(64, 3, 'softmax')], [64], 3), { name: 's', ...int8 });
    expect((both.tables as NetTables).layers.map(l => l.rowMask !== null)).toEqual([true, false, false]);
  });
});

describe('graphs', () => {
  // x (4) -> a = relu(dense 4->4) -> b = dense 4->4 -> add(a, b) + relu -> concat(x, sum) -> dense 8->3
  const graph = (): Record<string, unknown> =>
    netIR(
      [
        dense(4, 4, 'relu'),
        dense(4, 4, 'identity', 0.1),
        { kind: 'add', inputs: [0, 1] },
        { kind: 'activation', activation: 'relu' },
        { kind: 'concatenate', inputs: [-1, 3] },
        dense(8, 3, 'softmax')
      ],
      [4],
      3
    );

  it('lowers merges to two-input layers reading earlier outputs, fusing what it may', () => {
    const net = buildFloatNet(parseNet(graph()));
    expect(net.layers.map(l => [l.kind, l.activation, l.inFrom, l.in2From])).toEqual([
      ['conv', 'relu', 0, 0],
      ['conv', 'identity', 0, 0],
      ['add', 'relu', 1, 0], // layer 0 (one back from the previous) and layer 1
      ['concat', 'identity', 3, 0], // the net's input and the sum
      ['conv', 'softmax', 0, 0]
    ]);
    // the input stays alive until the concatenation reads it; the add works in place
    const [a, b, sum, joined] = net.layers;
    expect(sum.outOffset === sum.inOffset || sum.outOffset === sum.in2Offset).toBe(true);
    expect(joined.inOffset).toBe(a.inOffset);
    for (const layer of [a, b, sum]) {
      expect(layer.outOffset + 16 <= joined.inOffset || joined.inOffset + 16 <= layer.outOffset).toBe(true);
    }
    expect(net.liveBytes[2]).toBe(16 * 3); // input, a, b (the sum over a)
  });

  it('runs on the C runtime as a float64 forward pass does, float32 and int8', () => {
    const ir = parseNet(graph());
    const rows = 30;
    const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.cos(i * 0.7) * 2);
    const layerOf = (k: number) => ir.layers[k] as Extract<NeuralNetIR['layers'][number], { kind: 'dense' }>;
    const apply = (k: number, v: number[], relu: boolean) =>
      Array.from({ length: layerOf(k).bias.data.length }, (_, o) => {
        const s = v.reduce((acc, xi, i) => acc + xi * layerOf(k).weights.data[i * layerOf(k).bias.data.length + o], 0);
        const z = s + layerOf(k).bias.data[o];
        return relu ? Math.max(z, 0) : z;
      });
    const run = runOnDevice(lowerModel(graph()), x, rows);
    for (let r = 0; r < rows; r++) {
      const input = Array.from(x.slice(4 * r, 4 * r + 4));
      const a = apply(0, input, true);
      const b = apply(1, a, false);
      const logits = apply(5, [...input, ...a.map((v, i) => Math.max(v + b[i], 0))], false);
      const top = Math.max(...logits);
      const total = logits.reduce((s, v) => s + Math.exp(v - top), 0);
      logits.forEach((v, k) => expect(Math.abs(run.values[3 * r + k] - Math.exp(v - top) / total)).toBeLessThan(1e-6));
    }
    const int8 = runOnDevice(lowerModel(graph(), { featureType: 'int8', calibration: x }), x, rows);
    let worst = 0;
    run.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - int8.values[i]))));
    expect(worst).toBeLessThan(0.05);
  });

  it('names what does not fit a graph', () => {
    const late = graph();
    (late.layers as Array<Record<string, unknown>>)[2].inputs = [0, 2];
    expect(() => parseModelIR(late)).toThrow('layers[2].inputs: expected two or more index(es) of earlier layers');
    const alone = graph();
    delete (alone.layers as Array<Record<string, unknown>>)[2].inputs;
    expect(() => parseModelIR(alone)).toThrow('a merge layer needs its inputs');
    const shapes = graph();
    (shapes.layers as Array<Record<string, unknown>>)[2].inputs = [-1, 0];
    (shapes.layers as Array<Record<string, unknown>>)[0] = dense(4, 5, 'relu');
    (shapes.layers as Array<Record<string, unknown>>)[1] = dense(5, 4, 'identity');
    expect(() => buildFloatNet(parseNet(shapes))).toThrow('add 2: input 1 has shape [1, 1, 5], input 0 [1, 1, 4]');
    // the output (the last layer's) is layer 0's, flattened: the layers after it are wasted work
    const dead = graph();
    (dead.layers as unknown[]).push({ kind: 'flatten', inputs: [0] });
    dead.n_outputs = 4;
    dead.classes = [0, 1, 2, 3];
    expect(() => buildFloatNet(parseNet(dead))).toThrow(
      "layers[5]: dense 5 comes after the model output's layer and nothing reads it"
    );
  });
});
