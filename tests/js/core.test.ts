import {
  IRError,
  checkModelName,
  commentSafe,
  base64ToBytes,
  compareClasses,
  compareValues,
  buildForestTables,
  bytesToBase64,
  compileModel,
  decodeArray,
  encodeArray,
  formatFloat32,
  parseModelIR,
  featureQuantization,
  fixedPointScale,
  quantizeFeature,
  quantizeThreshold,
  quantizedRoutingChanges,
  thresholdToFloat32,
  treeNodes
} from '../../src/core';
import type { FeatureType, LeafType } from '../../src/core/options';
import { cloneIR, fixtures, forestTables, parseTrees } from './fixtures';

/** One tree of an iris-shaped classifier IR (4 features, 3 classes) in the IR's encoding. */
function irTree(left: number[], right: number[], feature: number[], threshold: number[], value: number[]): unknown {
  return {
    children_left: encodeArray(Int32Array.from(left)),
    children_right: encodeArray(Int32Array.from(right)),
    feature: encodeArray(Int32Array.from(feature)),
    threshold: encodeArray(Float64Array.from(threshold)),
    value: encodeArray(Float64Array.from(value), [left.length, 3])
  };
}

describe('encoding', () => {
  it('round-trips bytes through base64 for every length', () => {
    for (let n = 0; n < 20; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
    }
    expect(bytesToBase64(Uint8Array.from([104, 105]))).toBe('aGk=');
  });

  it('round-trips typed arrays and checks dtype and length', () => {
    const values = Float64Array.from([1.5, -2, Math.PI]);
    const encoded = encodeArray(values);
    expect(Array.from(decodeArray(encoded, 'float64', 'v').array)).toEqual(Array.from(values));
    expect(() => decodeArray(encoded, 'int32', 'v')).toThrow('v: expected dtype int32, got float64');
    expect(() => decodeArray({ ...encoded, shape: [4] }, 'float64', 'v')).toThrow('needs 32 bytes, data has 24');
  });
});

describe('thresholds', () => {
  it('rounds a float64 threshold down to the largest float32 not above it', () => {
    for (const t of [0.1, 2.45, 1e-30, -0.1, -2.45, 12.345678901, 1 / 3]) {
      const t32 = thresholdToFloat32(t);
      expect(t32).toBeLessThanOrEqual(t);
      expect(Math.fround(t32)).toBe(t32);
      // the next float32 up is above t: nothing in between was skipped
      const next = new Float32Array([t32]);
      const bits = new Int32Array(next.buffer);
      bits[0] += t32 >= 0 ? 1 : -1;
      expect(next[0]).toBeGreaterThan(t);
    }
    expect(thresholdToFloat32(2.5)).toBe(2.5);
  });

  it('quantizes features and thresholds consistently with floor', () => {
    expect(quantizeThreshold(7.5, 1)).toBe(7);
    expect(quantizeFeature(7, 1)).toBe(7); // 7 <= 7.5 -> left
    expect(quantizeFeature(8, 1)).toBe(8); // 8 > 7.5 -> right
    expect(quantizeFeature(7.5, 1)).toBe(7); // a tie goes left
    expect(quantizeFeature(NaN, 1)).toBe(32767); // NaN's own code
    expect(quantizeFeature(1e9, 1)).toBe(32766); // large inputs saturate below it
    expect(quantizeFeature(Infinity, 1)).toBe(32766);
    expect(quantizeFeature(-1e9, 1)).toBe(-32768);
    expect(quantizeThreshold(1e9, 1)).toBe(32765); // saturated inputs still go right
  });
});

describe('C literals', () => {
  it('prints the shortest float32 literal that reads back exactly', () => {
    expect(formatFloat32(0.5)).toBe('0.5f');
    expect(formatFloat32(2)).toBe('2.0f');
    expect(formatFloat32(-0)).toBe('-0.0f');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1f');
    expect(formatFloat32(Math.fround(1.5e-7))).toBe('1.5e-7f');
    expect(formatFloat32(Math.fround(3e38))).toBe('3.0e38f');
    for (const v of [Math.fround(1 / 3), Math.fround(123456.789), Math.fround(-7.1e-12)]) {
      expect(Math.fround(parseFloat(formatFloat32(v)))).toBe(v);
    }
  });
});

describe('model IR validation', () => {
  const cases: Array<[string, (ir: Record<string, any>) => void, string]> = [
    ['wrong format', ir => (ir.format = 'onnx'), 'malformed model IR at format'],
    ['future version', ir => (ir.version = 99), 'newer than this compiler'],
    ['unknown family', ir => (ir.family = 'quantum'), 'unsupported model family "quantum"'],
    ['too many features', ir => (ir.n_features = 40000), 'n_features: expected an integer in [1, 32767]'],
    ['missing classes', ir => delete ir.classes, 'a classifier needs its list of classes'],
    ['no trees', ir => (ir.trees = []), 'trees: expected a non-empty list of trees'],
    ['bad dtype', ir => (ir.trees[0].threshold.dtype = 'float32'), 'trees[0].threshold: expected dtype float64'],
    ['truncated data', ir => (ir.trees[0].feature.data = ir.trees[0].feature.data.slice(0, 8)), 'trees[0].feature'],
    ['a link that does not fit', ir => (ir.link = 'softmax'), 'needs link "identity"'],
    ['a baseline without boosting', ir => (ir.baseline = [0, 0, 0]), 'only with combine "sum"'],
    ['a wrong raw width', ir => (ir.n_outputs = 1), 'has 3 raw outputs, not 1'],
    ['an unknown combine', ir => (ir.combine = 'max'), 'expected "mean" or "sum"'],
    ['a zero tree scale', ir => (ir.tree_scale = 0), 'tree_scale: expected a non-zero finite number']
  ];
  it.each(cases)('rejects %s', (_name, damage, message) => {
    const ir = cloneIR('iris_tree');
    damage(ir);
    expect(() => parseModelIR(ir)).toThrow(IRError);
    expect(() => parseModelIR(ir)).toThrow(message);
  });

  function damageTree(
    fn: (tree: { left: Int32Array; right: Int32Array; feature: Int32Array; threshold: Float64Array }) => void
  ) {
    const ir = cloneIR('iris_tree');
    const tree = ir.trees[0];
    const arrays = {
      left: decodeArray(tree.children_left, 'int32', '').array,
      right: decodeArray(tree.children_right, 'int32', '').array,
      feature: decodeArray(tree.feature, 'int32', '').array,
      threshold: decodeArray(tree.threshold, 'float64', '').array
    };
    fn(arrays);
    tree.children_left = encodeArray(arrays.left);
    tree.children_right = encodeArray(arrays.right);
    tree.feature = encodeArray(arrays.feature);
    tree.threshold = encodeArray(arrays.threshold);
    return ir;
  }

  it('rejects trees with cycles, bad children, bad features and NaN thresholds', () => {
    expect(() => parseModelIR(damageTree(t => (t.left[0] = 0)))).toThrow('reached twice');
    expect(() => parseModelIR(damageTree(t => (t.right[0] = 10000)))).toThrow('child index out of range');
    expect(() => parseModelIR(damageTree(t => (t.feature[0] = 4)))).toThrow('feature 4 is outside [0, 4)');
    expect(() => parseModelIR(damageTree(t => (t.threshold[0] = NaN)))).toThrow('threshold[0]: split threshold is NaN');
  });
});

describe('boosting and isolation IR', () => {
  it('needs every tree or none to name its output, and outputs in range', () => {
    const binary = JSON.parse(JSON.stringify(fixtures.breast_cancer_boosting.ir));
    delete binary.trees[1].output;
    expect(() => parseModelIR(binary)).toThrow('either every tree names its output or none does');
    const ir = JSON.parse(JSON.stringify(fixtures.wine_boosting.ir));
    delete ir.trees[1].output;
    expect(() => parseModelIR(ir)).toThrow('trees[1].value: expected shape [n_nodes, 3], got [5,1]');
    ir.trees[1].output = 3;
    expect(() => parseModelIR(ir)).toThrow('trees[1].output: expected an integer in [0, 2]');
  });

  it('needs a positive link parameter for an isolation forest', () => {
    const ir = JSON.parse(JSON.stringify(fixtures.wine_isolation.ir));
    ir.link_param = 0;
    expect(() => parseModelIR(ir)).toThrow('link_param: expected a positive number');
  });

  it('folds the learning rate into boosting leaves and keeps the baseline', () => {
    const model = compileModel(fixtures.wine_boosting.ir);
    expect(forestTables(model).combine).toBe('sum');
    expect(forestTables(model).treeOutput?.length).toBe(forestTables(model).nTrees);
    expect(forestTables(model).baseline?.length).toBe(3);
    expect(model.header).toContain('.combine = TML_COMBINE_SUM');
    expect(model.header).toContain('.link = TML_LINK_SOFTMAX');
    expect(model.header).toContain('model_decision_function(const float *x, float *scores, int32_t n)');
  });

  it('emits score_samples, decision_function and predict for an isolation forest', () => {
    const header = compileModel(fixtures.wine_isolation.ir, { featureType: 'int16' }).header;
    expect(header).toMatch(/#define MODEL_OFFSET -?\d/);
    expect(header).toContain('static inline int model_score_samples(const float *x, float *score)');
    expect(header).toContain('static inline int model_predict_quantized(const int16_t *xq, int32_t *label)');
  });
});

describe('forest tables', () => {
  it('keeps every child after its parent, left children right after it', () => {
    for (const name of ['wine_forest', 'digits_forest', 'wine_isolation', 'wine_boosting'] as const) {
      const ir = parseTrees(fixtures[name].ir);
      for (const featureType of ['float32', 'int8'] as const) {
        const tables = buildForestTables(ir, featureType);
        for (let i = 0; i < tables.nNodes; i++) {
          if (tables.nodeFeature[i] >= 0) {
            expect(tables.nodeNext[i]).toBeGreaterThan(i + 1);
            expect(tables.nodeNext[i]).toBeLessThan(tables.nNodes);
          } else {
            expect(tables.nodeNext[i]).toBeLessThan(tables.nLeafRows);
          }
        }
        for (let t = 0; t < tables.nTrees; t++) {
          const nodes = treeNodes(tables, t);
          expect(nodes[0]).toBe(tables.treeRoot[t]);
        }
      }
    }
  });

  it('builds the same tables for an option whatever options were built before it (stored leaves are shared)', () => {
    const options = (['float32', 'int16', 'int8'] as const).flatMap(featureType =>
      (['float32', 'uint8', 'int16'] as const).map(leafType => ({ featureType, leafType }))
    );
    for (const name of ['iris_tree', 'digits_forest', 'wine_isolation', 'wine_boosting'] as const) {
      const fresh = (featureType: FeatureType, leafType: LeafType) => {
        try {
          return buildForestTables(parseTrees(fixtures[name].ir), featureType, leafType);
        } catch (e) {
          return (e as Error).message; // an option the model does not offer: the same refusal both ways
        }
      };
      const shared = parseTrees(fixtures[name].ir);
      for (const { featureType, leafType } of [...options].reverse()) {
        let tables: ReturnType<typeof buildForestTables> | string;
        try {
          tables = buildForestTables(shared, featureType, leafType);
        } catch (e) {
          tables = (e as Error).message;
        }
        expect(tables).toEqual(fresh(featureType, leafType));
      }
    }
  });

  it('stores equal leaf rows and repeated subtrees once', () => {
    const ir = parseTrees(fixtures.wine_forest.ir);
    const tables = buildForestTables(ir, 'float32');
    // Pure leaves repeat across trees: one row each, and one node for the right-hand ones.
    const leaves = Array.from(tables.nodeFeature).filter(f => f === -1).length;
    expect(tables.nLeafRows).toBeLessThan(leaves);
    expect(tables.sharing.sklearnNodes).toBe(ir.trees.reduce((n, tree) => n + tree.feature.length, 0));
    expect(tables.sharing.sharedSubtrees).toBeGreaterThan(0);
    expect(tables.nNodes).toBeLessThan(tables.sharing.sklearnNodes);
  });

  it('drops a split whose two sides are the same leaf', () => {
    // x0 <= 1 ? (x1 <= 2 ? A : A) : B  ->  x0 <= 1 ? A : B
    const raw = JSON.parse(JSON.stringify(fixtures.iris_tree.ir));
    raw.trees = [
      irTree(
        [1, 2, -1, -1, -1],
        [4, 3, -1, -1, -1],
        [0, 1, -2, -2, -2],
        [1, 2, -2, -2, -2],
        [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1]
      )
    ];
    const tables = buildForestTables(parseTrees(raw), 'float32');
    expect(tables.sharing.collapsedSplits).toBe(1);
    expect(Array.from(tables.nodeFeature)).toEqual([0, -1, -1]);
    expect(Array.from(tables.nodeNext)).toEqual([2, 0, 1]);
  });

  it('fits an offset to features far from zero and routes grid values exactly', () => {
    // Thresholds of feature 0 between 1000.25 and 1003.5: without an offset int8 would
    // need scale 1/8 (1003.5 / 8 < 126); centred on them it can use 64 (3.25 * 64 < 254).
    const raw = JSON.parse(JSON.stringify(fixtures.iris_tree.ir));
    raw.trees = [
      irTree(
        [1, 2, -1, -1, -1],
        [4, 3, -1, -1, -1],
        [0, 0, -2, -2, -2],
        [1003.5, 1000.25, -2, -2, -2],
        [1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1]
      )
    ];
    const ir = parseTrees(raw);
    const { scale, offset } = featureQuantization(ir, 'int8');
    expect(scale[0]).toBe(64);
    expect(offset[0]).not.toBe(0);
    expect(scale[1]).toBe(1); // untested features keep the identity
    const tables = buildForestTables(ir, 'int8');
    expect(tables.featureOffset).not.toBeNull();
    const x = new Float32Array(4 * 200);
    for (let r = 0; r < 200; r++) {
      x[4 * r] = 999 + r / 32; // on the 1/64 grid, across both thresholds
    }
    expect(quantizedRoutingChanges(ir, tables, x, 200)).toEqual([]);
    expect(quantizeFeature(1003.5, 64, offset[0])).toBe(quantizeThreshold(1003.5, 64, 'int8', offset[0]));
  });

  it('stores one-value leaves as int16 fixed point and refuses them for class rows', () => {
    const ir = parseTrees(fixtures.wine_boosting.ir);
    const tables = buildForestTables(ir, 'float32', 'int16');
    const leafScale = tables.leafScale;
    expect(Math.log2(leafScale)).toBe(Math.round(Math.log2(leafScale)));
    const largest = Math.max(...Array.from(tables.leafI16 as Int16Array, Math.abs));
    expect(largest).toBeGreaterThan(16383); // the scale uses the whole range
    expect(fixedPointScale([0.75, -3])).toBe(2 ** -13);
    expect(() => buildForestTables(parseTrees(fixtures.wine_forest.ir), 'float32', 'int16')).toThrow(
      /int16 leaves hold one value per leaf/
    );
  });
});

describe('header emission', () => {
  it('is deterministic and names everything after the model', () => {
    const a = compileModel(fixtures.iris_forest.ir, { name: 'iris' });
    const b = compileModel(fixtures.iris_forest.ir, { name: 'iris' });
    expect(a.header).toBe(b.header);
    expect(a.header).toContain('#ifndef TINYML_MODEL_IRIS_H');
    expect(a.header).toContain('static inline int32_t iris_predict(const float *x)');
    expect(a.header).toContain('#define IRIS_N_FEATURES 4');
    expect(a.header).toContain('static const int32_t iris_class_labels[3]');
    expect(a.header).toContain('#ifndef TINYML_FOREST_H'); // runtime embedded
  });

  it('includes the runtime instead of embedding it when not standalone', () => {
    const model = compileModel(fixtures.iris_tree.ir, { standalone: false });
    expect(model.header).toContain('#include "tinyml/forest.h"');
    expect(model.header).not.toContain('#ifndef TINYML_FOREST_H');
  });

  it('emits int8 thresholds within [-128, 126] and a smaller table', () => {
    const int8 = compileModel(fixtures.digits_forest.ir, { featureType: 'int8' });
    const int16 = compileModel(fixtures.digits_forest.ir, { featureType: 'int16' });
    // packed tables: int8 thresholds of the splits, walked by the generated code
    expect(int8.header).toContain('static const int8_t model_split_threshold');
    expect(int8.header).toContain('.tree_leaf = model_tree_leaf');
    const t = forestTables(int8).thresholdI8 as Int8Array;
    expect(Math.max(...t)).toBeLessThanOrEqual(126);
    expect(int8.size.flashBytes).toBeLessThan(int16.size.flashBytes);
  });

  it('emits int16 thresholds, scales and a quantized entry point', () => {
    const model = compileModel(fixtures.digits_forest.ir, { featureType: 'int16' });
    expect(model.header).toContain('static const int16_t model_split_threshold');
    expect(model.header).toContain('static const float model_feature_scale[64]');
    expect(model.header).toContain('static const int8_t model_feature_exponent[64]'); // what predict reads
    expect(model.header).toContain('model_predict_quantized(const int16_t *xq)');
    expect(model.size.flashBytes).toBeLessThan(compileModel(fixtures.digits_forest.ir).size.flashBytes);
  });

  it('emits inline code instead of node tables, and "auto" picks the faster on Cortex-M4F, where both fit', () => {
    const inline = compileModel(fixtures.wine_forest.ir, { strategy: 'inline' });
    expect(inline.strategy).toBe('inline');
    expect(inline.header).not.toContain('model_node_feature');
    expect(inline.header).toContain('.tree_leaf = model_tree_leaf');
    expect(inline.header).toMatch(/if \(!tml_le_f32\(x\[\d+\], [-0-9.e]+f\)\) goto n\d+;/);
    expect(inline.size.flash.map(i => i.name)).toContain('inline tree code');
    const tables = compileModel(fixtures.wine_forest.ir, { strategy: 'tables' });
    expect(tables.size.flashBytes).toBeLessThan(inline.size.flashBytes); // the smaller is not what auto takes
    const auto = compileModel(fixtures.wine_forest.ir, { strategy: 'auto' });
    expect(auto.header).toBe(inline.header);
    expect(auto.size).toEqual(inline.size);
    expect(() => compileModel(fixtures.wine_forest.ir, { strategy: 'fast' as any })).toThrow(
      'unsupported strategy "fast"'
    );
  });

  it('rejects names that are not C identifiers and unknown feature types', () => {
    expect(() => compileModel(fixtures.iris_tree.ir, { name: '9lives' })).toThrow('not a usable C identifier');
    expect(() => compileModel(fixtures.iris_tree.ir, { name: 'int' })).toThrow('not a usable C identifier');
    expect(() => compileModel(fixtures.iris_tree.ir, { featureType: 'int4' as any })).toThrow(
      'unsupported feature type "int4"'
    );
  });

  it('estimates flash as table bytes plus evaluator code', () => {
    const model = compileModel(fixtures.iris_forest.ir);
    const tables = forestTables(model);
    // packed tables: per split a feature byte, a float32 threshold and two 16-bit children
    const splits = tables.nodeFeature.filter(code => code !== -1).length;
    const tableBytes = tables.nTrees * 2 + splits * (1 + 4 + 2 * 2);
    const byName = Object.fromEntries(model.size.flash.map(i => [i.name, i.bytes]));
    expect(byName['split features'] + byName['split children'] + byName['thresholds'] + byName['tree roots']).toBe(
      tableBytes
    );
    // predict reads the class of a leaf row (votes or a single tree) or sums the rows
    expect(byName['leaf classes'] ?? byName['leaf values']).toBe(
      tables.leafClass ? tables.nLeafRows : tables.leafValues.byteLength
    );
    expect(model.size.flashBytes).toBeGreaterThan(tableBytes);
    expect(model.size.ramBytes).toBe(4 * 3 + 36);
  });
});

describe('agreement metrics', () => {
  it('counts classes, confusion and disagreements', () => {
    const report = compareClasses([0, 1, 1, 2], [0, 1, 2, 2], 3, [0, 1, 2, 1]);
    expect(report.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1]
    ]);
    expect(report.disagreeing).toEqual([2]);
    expect(report.rate).toBe(0.75);
    expect(report.referenceCounts).toEqual([1, 1, 2]);
    expect(report.deviceCounts).toEqual([1, 2, 1]);
    expect(report.deviceAccuracy).toBe(0.5);
    expect(report.referenceAccuracy).toBe(0.75);
  });

  it('measures value errors', () => {
    const v = compareValues([1, 2, 2], [1, 2, 3]);
    expect(v.maxAbsError).toBe(1);
    expect(v.rmse).toBeCloseTo(Math.sqrt(1 / 3));
    expect(v.relativeL2).toBeCloseTo(1 / Math.sqrt(14));
    expect(v.cosine).toBeCloseTo(11 / (3 * Math.sqrt(14)));
    expect(compareValues([0, 0], [0, 0])).toEqual({
      nonFinite: 0,
      nonFiniteRows: [],
      maxAbsError: 0,
      rmse: 0,
      relativeL2: 0,
      cosine: 1
    });
    expect(() => compareValues([1], [1, 2])).toThrow('device output has 1 values, reference has 2');
  });
});

describe('hardening', () => {
  it('counts NaN and infinite device values apart, by row', () => {
    const v = compareValues([1, Infinity, 3, NaN, 5, 6], [1, 2, 3, 4, 5, 6], 2);
    expect(v.nonFinite).toBe(2);
    expect(v.nonFiniteRows).toEqual([0, 1]);
    expect(v.maxAbsError).toBe(0);
    expect(Number.isFinite(v.rmse) && Number.isFinite(v.relativeL2)).toBe(true);
  });

  it('keeps the confusion matrix dense for few classes and sparse for many', () => {
    const few = compareClasses([0, 1, 1], [0, 1, 0], 2);
    expect(few.confusion).toEqual([
      [1, 1],
      [0, 1]
    ]);
    expect(few.confusionCells).toEqual([
      [0, 0, 1],
      [0, 1, 1],
      [1, 1, 1]
    ]);
    const many = compareClasses([5, 9999, 7], [5, 3, 7], 10000);
    expect(many.confusion).toBeNull();
    expect(many.confusionCells).toEqual([
      [3, 9999, 1],
      [5, 5, 1],
      [7, 7, 1]
    ]);
    expect(many.referenceCounts.length).toBe(10000);
    expect(many.deviceCounts[9999]).toBe(1);
  });

  it('refuses model names that clash with the runtime, and comments stay closed', () => {
    for (const name of ['tml_forest', 'TML', 'tv_x', '_A', '__a']) {
      expect(() => checkModelName(name)).toThrow("clash with the runtime's own symbols");
    }
    expect(() => checkModelName(null)).toThrow('model name must be a string');
    expect(() => checkModelName('tvx')).not.toThrow();
    expect(commentSafe('a/*b*/c\nd')).toBe('a/ *b* /c d');
  });
});
