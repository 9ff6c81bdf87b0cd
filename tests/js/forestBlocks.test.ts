/**
 * The device run in blocks, tree by tree (tml_forest_raw_rows, taken from FOREST_BLOCK_ROWS
 * rows up), gives the same bits as row by row (tml_forest_predict_class, a device's predict),
 * on every tree case of the golden set: forests of impure rows, uint8 and int16 leaves,
 * regressors, binary and multi-class boosting, isolation forests, int16 and int8 features
 * (which go row by row), for block sizes that do and do not divide the row count.
 */
import { FOREST_BLOCK_ROWS, decodeArray, lowerModel, runForest } from '../../src/core';
import { GOLDEN_CASES, GoldenCase, forestTables } from './fixtures';

const TREE_CASES = GOLDEN_CASES.filter(c => c.ir.family === 'tree_ensemble' && !c.ir.feature_stage);

/** The case's rows, then again with every feature nudged and a NaN now and then: 2n + 5 rows. */
function rows(c: GoldenCase): { x: Float32Array; nRows: number } {
  const { array, shape } = decodeArray(c.x, 'float32', 'x');
  const [n, width] = shape;
  const nRows = 2 * n + 5;
  const x = new Float32Array(nRows * width);
  for (let i = 0; i < x.length; i++) {
    const v = array[i % array.length];
    x[i] = i < array.length ? v : i % 17 === 0 ? NaN : v * (1 + ((i % 7) - 3) / 64);
  }
  return { x, nRows };
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

it('covers the tree cases', () => {
  expect(TREE_CASES.length).toBeGreaterThanOrEqual(20);
  expect(FOREST_BLOCK_ROWS).toBeGreaterThan(1);
});

describe.each(TREE_CASES.map(c => c.name))('%s', name => {
  const c = TREE_CASES.find(k => k.name === name) as GoldenCase;
  const tables = forestTables(lowerModel(c.ir, c.options));
  const { x, nRows } = rows(c);
  const byRow = runForest(tables, x, nRows, 0, 0);

  it.each([1, 3, 4, 5, 8, FOREST_BLOCK_ROWS, nRows])('blocks of %i rows: the same values and classes', block => {
    const inBlocks = runForest(tables, x, nRows, 0, block);
    expect(sameBits(inBlocks.values, byRow.values)).toBe(true);
    expect(sameBits(inBlocks.classes, byRow.classes)).toBe(true);
  });

  it('the default run is the same too', () => {
    const run = runForest(tables, x, nRows);
    expect(sameBits(run.values, byRow.values)).toBe(true);
  });
});
