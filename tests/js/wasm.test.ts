/** The WebAssembly build of the C runtime, run in Node, agrees with scikit-learn. */
import {
  RuntimeError,
  compareWithReference,
  compileModel,
  decodeArray,
  headless,
  runForest,
  runOnDevice
} from '../../src/core';
import { NET_FIXTURES, TREE_FIXTURES, fixtures, forestTables } from './fixtures';

describe.each(TREE_FIXTURES)('%s', name => {
  const fixture = fixtures[name];
  const { array: x, shape } = decodeArray(fixture.x, 'float32', 'x');
  const sklearnClasses = decodeArray(fixture.sklearn_classes, 'int32', 'classes').array;
  const sklearnValues = decodeArray(fixture.sklearn_values, 'float64', 'values').array;

  it('float32: same class as sklearn on every row, values within float32 rounding', () => {
    const run = runOnDevice(compileModel(fixture.ir), x, shape[0]);
    expect(Array.from(run.classes)).toEqual(Array.from(sklearnClasses));
    expect(run.values.length).toBe(sklearnValues.length);
    let maxError = 0;
    for (let i = 0; i < sklearnValues.length; i++) {
      maxError = Math.max(maxError, Math.abs(run.values[i] - sklearnValues[i]));
    }
    // probabilities (forests, boosting) and isolation scores (in [-1, 0])
    expect(maxError).toBeLessThan(1e-5);
  });

  it.each(['int16', 'int8'] as const)(
    '%s: same class as sklearn on every row whose splits quantization keeps',
    featureType => {
      const model = compileModel(fixture.ir, { featureType });
      const run = runOnDevice(model, x, shape[0]);
      const report = compareWithReference(model, run, { classes: sklearnClasses });
      const explained = new Set(report.rowsWithRoutingChanges);
      // Every disagreement is explained by a reported split, and few rows are touched at all.
      expect(report.classes?.disagreeing.filter(r => !explained.has(r))).toEqual([]);
      if (featureType === 'int16') {
        expect(explained.size).toBeLessThanOrEqual(Math.ceil(0.05 * shape[0]));
      }
      for (const change of report.routingChanges) {
        const scale = forestTables(model).featureScale![change.feature];
        // Only inputs strictly between the threshold and the next grid point move.
        expect(change.value).toBeGreaterThan(change.threshold);
        expect(change.value).toBeLessThan((Math.floor(change.threshold * scale) + 1) / scale);
      }
    }
  );
});

describe('uint8 leaves', () => {
  it.each(['iris_forest', 'wine_forest', 'breast_cancer_forest', 'digits_forest'])(
    '%s: probabilities within 1/510 of sklearn, runtime reads the uint8 table',
    name => {
      const fixture = fixtures[name];
      const { array: x, shape } = decodeArray(fixture.x, 'float32', 'x');
      const proba = decodeArray(fixture.sklearn_values, 'float64', 'values').array;
      const model = compileModel(fixture.ir, { leafType: 'uint8' });
      expect(forestTables(model).leafU8?.length).toBe(forestTables(model).leafValues.length);
      // predict of pure leaves reads their classes (votes); other forests' predict the uint8 rows
      const tables = forestTables(model);
      const leafItem = model.size.flash.find(i => i.name === 'leaf values' || i.name === 'leaf classes');
      expect(leafItem?.bytes).toBe(tables.leafClass ? tables.nLeafRows : tables.leafU8?.length);
      const run = runOnDevice(model, x, shape[0]);
      let maxError = 0;
      for (let i = 0; i < proba.length; i++) {
        maxError = Math.max(maxError, Math.abs(run.values[i] - proba[i]));
      }
      expect(maxError).toBeLessThanOrEqual(1 / 510 + 1e-6);
    }
  );

  it('is refused for models whose leaves are not probabilities', () => {
    expect(() => compileModel(fixtures.wine_boosting.ir, { leafType: 'uint8' })).toThrow('only forest classifiers');
    expect(() => compileModel(fixtures.wine_forest.ir, { leafType: 'uint4' as any })).toThrow(
      'unsupported leaf type "uint4"'
    );
  });
});

describe.each(NET_FIXTURES)('%s (network)', name => {
  const fixture = fixtures[name];
  const { array: x, shape } = decodeArray(fixture.x, 'float32', 'x');
  const proba = decodeArray(fixture.sklearn_values, 'float64', 'values').array;
  const classes = decodeArray(fixture.sklearn_classes, 'int32', 'classes').array;

  it('float32: probabilities within 1e-5 of sklearn, labels equal away from ties', () => {
    const model = compileModel(fixture.ir);
    const run = runOnDevice(model, x, shape[0]);
    const width = proba.length / shape[0];
    for (let r = 0; r < shape[0]; r++) {
      const row = Array.from(proba.slice(r * width, (r + 1) * width)).sort((a, b) => b - a);
      for (let k = 0; k < width; k++) {
        expect(Math.abs(run.values[r * width + k] - proba[r * width + k])).toBeLessThan(1e-5);
      }
      if (row[0] - row[1] > 2e-5) {
        expect(run.classes[r]).toBe(classes[r]);
      }
    }
  });

  it('int8: calibrated on the rows, most labels kept', () => {
    const model = compileModel(fixture.ir, { featureType: 'int8', calibration: x });
    const run = runOnDevice(model, x, shape[0]);
    const report = compareWithReference(model, run, { classes, values: proba });
    expect(report.classes!.rate).toBeGreaterThanOrEqual(0.9);
    expect(model.size.flash.find(i => i.name === 'weights')!.bytes * 4).toBe(
      compileModel(fixture.ir).size.flash.find(i => i.name === 'weights')!.bytes
    );
  });
});

describe('int16 fixed-point leaves', () => {
  it.each(['breast_cancer_boosting', 'wine_boosting', 'wine_isolation'])(
    '%s: values within the rounding of the leaves, runtime reads the int16 table',
    name => {
      const fixture = fixtures[name];
      const { array: x, shape } = decodeArray(fixture.x, 'float32', 'x');
      const values = decodeArray(fixture.sklearn_values, 'float64', 'values').array;
      const classes = decodeArray(fixture.sklearn_classes, 'int32', 'classes').array;
      const model = compileModel(fixture.ir, { leafType: 'int16' });
      expect(forestTables(model).leafI16).not.toBeNull();
      expect(model.size.flash.find(i => i.name === 'leaf values')?.bytes).toBe(forestTables(model).leafI16!.byteLength);
      const run = runOnDevice(model, x, shape[0]);
      // Each tree's leaf moves by at most half a step; the links used here do not amplify
      // errors (their slopes are at most 1 on the raw scale).
      const bound = (forestTables(model).nTrees * forestTables(model).leafScale) / 2 + 1e-5;
      let maxError = 0;
      for (let i = 0; i < values.length; i++) {
        maxError = Math.max(maxError, Math.abs(run.values[i] - values[i]));
      }
      expect(maxError).toBeLessThanOrEqual(bound);
      expect(Array.from(run.classes)).toEqual(Array.from(classes));
    }
  );
});

describe('runtime safety', () => {
  const model = compileModel(fixtures.iris_tree.ir);

  it('validates tables handed to it and reports the C error code', () => {
    const bad = {
      ...forestTables(model),
      nodeFeature: Int16Array.from(forestTables(model).nodeFeature, f => (f >= 0 ? 9 : f))
    };
    const x = new Float32Array(4);
    expect(() => runForest(bad, x, 1)).toThrow(RuntimeError);
    expect(() => runForest(bad, x, 1)).toThrow('TML_E_FEATURE');
    const cyclic = {
      ...forestTables(model),
      nodeNext: Int32Array.from(forestTables(model).nodeNext, (n, i) =>
        forestTables(model).nodeFeature[i] >= 0 ? i : n
      )
    };
    expect(() => runForest(cyclic, x, 1)).toThrow('TML_E_TREE');
  });

  it('rejects feature data of the wrong shape or infinite (a forest takes NaN: missingValues.test.ts)', () => {
    expect(() => runOnDevice(model, new Float32Array(7), 2)).toThrow('the model expects 4');
    expect(() => runOnDevice(model, Float32Array.from([1, 2, -Infinity, 4]), 1)).toThrow(
      'row 0, feature 2 is -Infinity'
    );
  });

  it('grows memory for large inputs and stays correct', () => {
    const rows = 50000;
    const big = new Float32Array(rows * 4).fill(1);
    const run = runOnDevice(model, big, rows);
    expect(run.classes.length).toBe(rows);
    expect(new Set(run.classes).size).toBe(1);
  });
});

describe('headless JSON API', () => {
  it('returns errors as values, with a kind that Python maps to an exception', () => {
    const bad = JSON.parse(headless.compile('{"format": "nope"}', '{}'));
    expect(bad).toMatchObject({ ok: false, kind: 'ir' });
    const input = JSON.stringify({ x: { dtype: 'float32', shape: [1, 3], data: 'AAAAAAAAAAAAAAAA' } });
    const wrong = JSON.parse(headless.run(JSON.stringify(fixtures.iris_tree.ir), '{}', input));
    expect(wrong).toMatchObject({ ok: false, kind: 'InputError' });
    expect(wrong.error).toContain('x has 3 features per row, the model expects 4');
  });
});
