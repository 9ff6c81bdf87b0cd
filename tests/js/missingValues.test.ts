/**
 * Rows with NaN features: run on models whose splits route NaN (trees), refused with one clear
 * line elsewhere, compared on their own in the agreement report, written as NAN in bundles.
 */
import {
  acceptsNaN,
  compareWithReference,
  compileModel,
  decodeArray,
  headless,
  makeBundle,
  runOnDevice
} from '../../src/core';
import { fixtures } from './fixtures';

/** A fixture's first n rows with NaN put into the given (row, feature) cells. */
function rowsWithGaps(name: string, n: number, gaps: Array<[number, number]>) {
  const f = fixtures[name];
  const { array, shape } = decodeArray(f.x, 'float32', 'x');
  const x = array.slice(0, n * shape[1]);
  for (const [row, feature] of gaps) {
    x[row * shape[1] + feature] = NaN;
  }
  return { x, nFeatures: shape[1] };
}

describe('rows with NaN', () => {
  it('run on a tree ensemble: NaN goes right where no direction was learned, as NaN <= t is false', () => {
    const model = compileModel(fixtures.iris_tree.ir, { name: 'iris' });
    expect(acceptsNaN(model.ir)).toBe(true);
    const { x } = rowsWithGaps('iris_tree', 4, [[1, 2]]);
    const device = runOnDevice(model, x, 4);
    // NaN at the feature: the same leaf as a value above every threshold of that feature
    const above = Float32Array.from(x);
    above[1 * 4 + 2] = 1e30;
    expect(device.classes[1]).toBe(runOnDevice(model, above, 4).classes[1]);
  });

  it('are refused by families without a rule for NaN, and infinite values by every family', () => {
    const net = compileModel(fixtures.breast_cancer_mlp.ir, { name: 'net' });
    expect(acceptsNaN(net.ir)).toBe(false);
    const { x } = rowsWithGaps('breast_cancer_mlp', 3, [[2, 5]]);
    expect(() => runOnDevice(net, x, 3)).toThrow(
      "X row 2, feature 5 is NaN; remove or impute NaN and infinite values first (this model's device code has no rule for them)"
    );
    const forest = compileModel(fixtures.iris_forest.ir, { name: 'forest' });
    const { x: xf } = rowsWithGaps('iris_forest', 3, []);
    xf[4] = Infinity;
    expect(() => runOnDevice(forest, xf, 3)).toThrow('X row 1, feature 0 is Infinity; replace infinite values');
  });

  it('are compared on their own in the report: count, labels and values on those rows only', () => {
    const model = compileModel(fixtures.iris_forest.ir, { name: 'forest' });
    const { x } = rowsWithGaps('iris_forest', 6, [
      [1, 0],
      [4, 3],
      [4, 1]
    ]);
    const device = runOnDevice(model, x, 6);
    // the reference: the device's own answers, but row 4's label changed
    const classes = Int32Array.from(device.classes);
    classes[4] = (classes[4] + 1) % 3;
    const report = compareWithReference(model, device, { classes, values: Float64Array.from(device.values) }, x);
    expect(report.missing?.nRows).toBe(2);
    expect(report.missing?.classes?.nAgree).toBe(1);
    expect(report.missing?.classes?.disagreeing).toEqual([1]); // position among the rows with NaN
    expect(report.missing?.values?.maxAbsError).toBe(0);
    expect(report.classes?.disagreeing).toEqual([4]);
    expect(
      compareWithReference(
        model,
        device,
        { classes },
        x.map(v => (Number.isNaN(v) ? 0 : v))
      ).missing
    ).toBe(null);
  });

  it('are written as NAN in a bundle, and the headless API says which models take them', () => {
    const model = compileModel(fixtures.iris_forest.ir, { name: 'forest' });
    const { x } = rowsWithGaps('iris_forest', 3, [[0, 1]]);
    const device = runOnDevice(model, x, 3);
    const bundle = makeBundle(model, x, 3, { classes: device.classes, values: Float64Array.from(device.values) });
    expect(bundle.files['test_vectors.h']).toContain('#include <math.h> /* NAN */');
    expect(bundle.files['test_vectors.h']).toMatch(/\{[^}]*NAN,/);
    const options = (ir: unknown) => JSON.parse(headless.exportOptions(JSON.stringify(ir)));
    expect(options(fixtures.iris_forest.ir).accepts_nan).toBe(true);
    expect(options(fixtures.digits_mlp.ir).accepts_nan).toBe(false);
  });
});
