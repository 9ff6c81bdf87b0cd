/**
 * The tree IR's keys for boosted trees (docs/ir.md "Tree"): split_rule "lt", missing_left,
 * categorical splits and the exp link. Small hand-written IRs are compiled for every feature
 * type and code strategy; the WebAssembly device and the gcc-compiled header must give what a
 * straightforward reading of the IR gives, on rows with NaN, infinities, categories in and out
 * of the sets and values at the thresholds.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { IRError, compileModel, encodeArray, formatFloat32, runForest } from '../../src/core';
import { OptionError } from '../../src/core/input';
import { forestTables } from './fixtures';

interface HandTree {
  left: number[];
  right: number[];
  feature: number[];
  threshold: number[];
  value: number[];
  missingLeft?: number[];
  categorySet?: number[];
  /** Rows of category words. */
  categoryBits?: number[][];
}

/*
 * Tree 0: node 0 x0 <= 0.5 (NaN left) ? node 1 : node 2
 *           node 1 x2 in {0, 2, 5, 63} (categorical, missing right) ? 1 : 2
 *           node 2 x1 <= -1.25 (NaN right) ? 3 : 4
 * Tree 1: node 0 x2 in {1, 3} (one-word rows, missing left) ? 10 : node 2
 *           node 2 x1 <= 3 (NaN left) ? 20 : 30
 * Tree 1's rows are narrower than tree 0's: the device pads them with the missing direction.
 */
const TREES: HandTree[] = [
  {
    left: [1, 3, 5, -1, -1, -1, -1],
    right: [2, 4, 6, -1, -1, -1, -1],
    feature: [0, 2, 1, -2, -2, -2, -2],
    threshold: [0.5, 0, -1.25, 0, 0, 0, 0],
    value: [0, 0, 0, 1, 2, 3, 4],
    missingLeft: [1, 0, 0, 0, 0, 0, 0],
    categorySet: [-1, 0, -1, -1, -1, -1, -1],
    categoryBits: [[0b100101, 0x80000000]]
  },
  {
    left: [1, -1, 3, -1, -1],
    right: [2, -1, 4, -1, -1],
    feature: [2, -2, 1, -2, -2],
    threshold: [0, 0, 3, 0, 0],
    value: [0, 10, 0, 20, 30],
    missingLeft: [1, 0, 1, 0, 0],
    categorySet: [1, -1, -1, -1, -1],
    categoryBits: [[0], [0b1010]]
  }
];

function encodeTree(tree: HandTree): Record<string, unknown> {
  const n = tree.left.length;
  const encoded: Record<string, unknown> = {
    children_left: encodeArray(Int32Array.from(tree.left)),
    children_right: encodeArray(Int32Array.from(tree.right)),
    feature: encodeArray(Int32Array.from(tree.feature)),
    threshold: encodeArray(Float64Array.from(tree.threshold)),
    value: encodeArray(Float64Array.from(tree.value), [n, 1])
  };
  if (tree.missingLeft) {
    encoded.missing_left = encodeArray(Uint8Array.from(tree.missingLeft));
  }
  if (tree.categorySet) {
    encoded.category_set = encodeArray(Int32Array.from(tree.categorySet));
  }
  if (tree.categoryBits) {
    const rows = tree.categoryBits;
    encoded.category_bits = encodeArray(Uint32Array.from(rows.flat()), [rows.length, rows[0].length]);
  }
  return encoded;
}

/** A boosted regressor over 3 features (the third categorical) with these trees. */
function regressorIR(trees: HandTree[], extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    format: 'tinyml-lab-ir',
    version: 1,
    family: 'tree_ensemble',
    estimator: 'test.BoostedRegressor',
    task: 'regression',
    n_features: 3,
    combine: 'sum',
    baseline: [0.5],
    trees: trees.map(encodeTree),
    ...extra
  };
}

/** The IR read literally, in float64: what every device output is compared with. */
function referenceRaw(trees: HandTree[], row: number[], splitRule: 'le' | 'lt'): number {
  let raw = 0.5;
  for (const tree of trees) {
    let node = 0;
    while (tree.left[node] !== -1) {
      const x = row[tree.feature[node]];
      const missingLeft = tree.missingLeft?.[node] === 1;
      const set = tree.categorySet?.[node] ?? -1;
      let left: boolean;
      if (set >= 0) {
        const bits = (tree.categoryBits as number[][])[set];
        const notACategory = Number.isNaN(x) || x < 0 || Math.trunc(x) >= 32 * bits.length;
        const c = Math.trunc(x);
        left = notACategory ? missingLeft : Math.floor(bits[Math.floor(c / 32)] / 2 ** (c % 32)) % 2 === 1;
      } else if (Number.isNaN(x)) {
        left = missingLeft;
      } else {
        left = splitRule === 'lt' ? x < tree.threshold[node] : x <= tree.threshold[node];
      }
      node = left ? tree.left[node] : tree.right[node];
    }
    raw += tree.value[node];
  }
  return raw;
}

const NUMERIC_VALUES = [NaN, -Infinity, -2, -1.25, -1, 0, 0.25, 0.5, 0.75, 3, 3.25, Infinity];
const CATEGORY_VALUES = [NaN, -1, -0.5, 0, 1, 2, 2.75, 3, 4, 5, 31, 32, 40, 63, 63.5, 64, 1e9, Infinity, -Infinity];
/** Just above and below the thresholds: float32 routes exactly, quantized may not (off the grid). */
const OFF_GRID = [Math.fround(0.5 + 2 ** -24), Math.fround(0.5 - 2 ** -25), Math.fround(-1.25 + 2 ** -22), 2.9999998];

function rows(numeric: number[]): number[][] {
  const out: number[][] = [];
  for (const a of numeric) {
    for (const b of numeric) {
      out.push([a, b, CATEGORY_VALUES[out.length % CATEGORY_VALUES.length]]);
    }
  }
  CATEGORY_VALUES.forEach(c => out.push([0, 0, c], [1, 5, c], [NaN, NaN, c]));
  return out;
}

function run(model: ReturnType<typeof compileModel>, data: number[][]): Float32Array {
  return runForest(forestTables(model), Float32Array.from(data.flat()), data.length).values;
}

/** Compiles the header with gcc (-Werror -pedantic) and runs its predict on the rows. */
function runHeader(header: string, data: number[][]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'tml-tree-keys-'));
  try {
    const literal = (v: number): string =>
      Number.isNaN(v) ? 'NAN' : v === Infinity ? 'INFINITY' : v === -Infinity ? '-INFINITY' : formatFloat32(v);
    const table = data.map(row => `{${row.map(literal).join(', ')}}`).join(',\n');
    writeFileSync(join(dir, 'model.h'), header);
    writeFileSync(
      join(dir, 'main.c'),
      `#include <math.h>
#include <stdio.h>
#include "model.h"
static const float rows[][3] = {${table}};
int main(void)
{
    size_t r;
    for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        float y, raw;
        if (model_predict(rows[r], &y) != TML_OK || model_decision_function(rows[r], &raw) != TML_OK) {
            return 1;
        }
        printf("%.9g %.9g\\n", (double)y, (double)raw);
    }
    return 0;
}
`
    );
    const exe = join(dir, 'main');
    execFileSync('gcc', [
      '-std=c99',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-pedantic',
      '-O2',
      '-o',
      exe,
      join(dir, 'main.c'),
      '-lm'
    ]);
    const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
    return lines.map(line => {
      const [y, raw] = line.split(' ').map(Number);
      // predict is exp(decision_function), within float32 rounding
      expect(Math.abs(y - Math.exp(raw))).toBeLessThanOrEqual(1e-6 * Math.exp(raw));
      return raw;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectClose(got: ArrayLike<number>, want: number[]): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-5 * Math.max(1, Math.abs(want[i]))) {
      bad.push(`row ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
  expect(bad).toEqual([]);
}

const OPTIONS = (['float32', 'int16', 'int8'] as const).flatMap(featureType =>
  (['tables', 'inline'] as const).map(strategy => ({ featureType, strategy }))
);

describe.each(['le', 'lt'] as const)('split_rule %s with missing_left and categories', splitRule => {
  const ir = regressorIR(TREES, { split_rule: splitRule, link: 'exp' });

  it.each(OPTIONS)('$featureType $strategy: device and gcc header give the IR read literally', options => {
    const quantized = options.featureType !== 'float32';
    // quantized models route values on their 1/scale grid exactly, others may move (routing changes)
    const data = rows(quantized ? NUMERIC_VALUES : [...NUMERIC_VALUES, ...OFF_GRID]);
    const model = compileModel(ir, options);
    const raw = data.map(row => referenceRaw(TREES, row, splitRule));
    expectClose(run(model, data), raw.map(Math.exp));
    expectClose(runHeader(model.header, data), raw);
  });

  it('float32 thresholds hold the largest float32 below t for "lt"', () => {
    const tables = forestTables(compileModel(ir, { strategy: 'tables' }));
    const thresholds = Array.from(tables.thresholdF32 as Float32Array).filter((_, i) => tables.nodeFeature[i] >= 0);
    const expected = splitRule === 'lt' ? [0.49999997, -1.2500001, 2.9999998] : [0.5, -1.25, 3];
    expect(thresholds.map(t => Math.fround(t))).toEqual(expected.map(t => Math.fround(t)));
  });
});

describe('tables of missing values and categories', () => {
  it('stores one bit per node, rows padded with the missing direction, set indices in threshold slots', () => {
    const model = compileModel(regressorIR(TREES), { strategy: 'tables' });
    const tables = forestTables(model);
    expect(tables.categoryWords).toBe(2);
    // tree 1's row {1, 3} (missing left) gets an all-ones second word
    expect(Array.from(tables.categoryBits as Uint32Array)).toEqual([0b100101, 0x80000000, 0b1010, 0xffffffff]);
    expect(tables.nCategorySets).toBe(2);
    const categorical = Array.from(tables.nodeFeature).filter(code => code < -1);
    expect(categorical).toEqual([-4, -4]); // TML_CATEGORICAL(2)
    expect(tables.nodeMissingLeft).not.toBeNull();
    expect(model.header).toContain('.node_missing_left = model_node_missing_left');
    expect(model.header).toContain('.category_words = 2');
    expect(model.header).toContain('NaN follows the direction each split learned');
    const flash = Object.fromEntries(model.size.flash.map(item => [item.name, item.bytes]));
    expect(flash['category rows']).toBe(16);
    expect(flash['missing-value bits']).toBe((tables.nNodes + 7) >> 3);
    expect(model.structure).toMatchObject({ missingLeftSplits: 3, categoricalSplits: 2 });
  });

  it('inline code tests a left-missing split as x > t, at no cost, and calls the bit test', () => {
    const floatHeader = compileModel(regressorIR(TREES), { strategy: 'inline' }).header;
    expect(floatHeader).toContain('if (tml_gt_f32(x[0], 0.5f)) goto');
    expect(floatHeader).toContain('if (!tml_le_f32(x[1], -1.25f)) goto');
    expect(floatHeader).toMatch(/if \(!tml_category_left\(model_category_bits \+ \d+, 2, x\[2\], 1\)\) goto/);
    const quantizedHeader = compileModel(regressorIR(TREES), { strategy: 'inline', featureType: 'int16' }).header;
    expect(quantizedHeader).toMatch(/if \(xq\[0\] > -?\d+ && xq\[0\] != TML_QUANTIZED_NAN\) goto/);
    expect(quantizedHeader).toContain('tml_category_left_q(model_category_bits');
  });

  it('leaves forests without the keys on the plain walk', () => {
    const plain = TREES.map(({ left, right, feature, threshold, value }) => ({
      left,
      right,
      feature: feature.map(f => (f === 2 ? 0 : f)),
      threshold,
      value
    }));
    const model = compileModel(regressorIR(plain));
    const tables = forestTables(model);
    expect(tables.nodeMissingLeft).toBeNull();
    expect(tables.categoryBits).toBeNull();
    expect(model.header).not.toContain('model_node_missing_left');
    expect(model.header).not.toContain('model_category_bits');
    expect(model.header).toContain('NaN and +inf go right at every split');
    expect(model.structure).not.toHaveProperty('categoricalSplits');
  });

  it('quantizes categorical features with scale 1 and offset 0', () => {
    for (const featureType of ['int16', 'int8'] as const) {
      const tables = forestTables(compileModel(regressorIR(TREES), { featureType }));
      expect(tables.featureScale?.[2]).toBe(1);
      expect(tables.featureOffset?.[2] ?? 0).toBe(0);
    }
  });
});

/** A chain of n categorical splits on feature 2, each with its own set: n distinct rows. */
function chainOfSets(n: number, words = 1): HandTree {
  const categorySet: number[] = [];
  const categoryBits: number[][] = [];
  const tree: HandTree = { left: [], right: [], feature: [], threshold: [], value: [], categorySet, categoryBits };
  for (let k = 0; k < n; k++) {
    // node 2k splits, its left child 2k + 1 is a leaf, its right child 2k + 2 the next split
    tree.left.push(2 * k + 1, -1);
    tree.right.push(2 * k + 2, -1);
    tree.feature.push(2, -2);
    tree.threshold.push(0, 0);
    tree.value.push(0, k);
    categorySet.push(k, -1);
    categoryBits.push(Array.from({ length: words }, (_, w) => (w === 0 ? k + 1 : 0)));
  }
  tree.left.push(-1);
  tree.right.push(-1);
  tree.feature.push(-2);
  tree.threshold.push(0);
  tree.value.push(-1);
  categorySet.push(-1);
  return tree;
}

describe('refusals', () => {
  const irError = (mutate: (ir: Record<string, any>) => void, path: string, message: string): void => {
    const ir = regressorIR(TREES);
    mutate(ir);
    let error: unknown;
    try {
      compileModel(ir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IRError);
    expect((error as IRError).path).toBe(path);
    expect((error as Error).message).toContain(message);
  };

  it('names the IR path of every bad value', () => {
    irError(ir => (ir.split_rule = 'lte'), 'split_rule', 'expected "le" or "lt"');
    irError(
      ir => (ir.trees[0].missing_left = encodeArray(Uint8Array.from([1, 0]))),
      'trees[0].missing_left',
      'has 2 entries'
    );
    irError(
      ir => (ir.trees[1].missing_left = encodeArray(Uint8Array.from([1, 0, 2, 0, 0]))),
      'trees[1].missing_left[2]',
      'expected 0 or 1'
    );
    irError(
      ir => (ir.trees[0].missing_left = encodeArray(Int32Array.from([1, 0, 0, 0, 0, 0, 0]))),
      'trees[0].missing_left',
      'expected dtype uint8'
    );
    irError(
      ir => (ir.trees[0].category_set = encodeArray(Int32Array.from([-1, 1, -1, -1, -1, -1, -1]))),
      'trees[0].category_set[1]',
      'in [0, 1)'
    );
    irError(
      ir => (ir.trees[0].category_set = encodeArray(Int32Array.from([-2, 0, -1, -1, -1, -1, -1]))),
      'trees[0].category_set[0]',
      'got -2'
    );
    irError(ir => delete ir.trees[0].category_bits, 'trees[0].category_bits', 'missing');
    irError(
      ir => (ir.trees[0].category_set = encodeArray(Int32Array.from([-1, -1, -1, -1, -1, -1, -1]))),
      'trees[0].category_bits',
      'no entry of category_set'
    );
    irError(
      ir => (ir.trees[0].category_bits = encodeArray(new Uint32Array(1025), [1, 1025])),
      'trees[0].category_bits',
      'n_words in [1, 1024]'
    );
    irError(
      ir => (ir.trees[0].category_bits = encodeArray(new Uint32Array(0), [1, 0])),
      'trees[0].category_bits',
      'n_words in [1, 1024]'
    );
    irError(ir => (ir.trees[0].category_bits = encodeArray(new Uint32Array(2))), 'trees[0].category_bits', 'got [2]');
    irError(ir => (ir.combine = 'mean') && delete ir.baseline && (ir.link = 'exp'), 'link', '"identity"');
  });

  it('accepts the exp link for boosted regression only', () => {
    expect(() => compileModel(regressorIR(TREES, { link: 'exp' }))).not.toThrow();
    const classifier = { ...regressorIR(TREES, { link: 'exp' }), task: 'classification', classes: [0, 1] };
    expect(() => compileModel(classifier)).toThrow(/at link: .*needs link "logistic"/);
  });

  it('refuses int8 thresholds for more category sets than int8 indexes', () => {
    expect(() => compileModel(regressorIR([chainOfSets(128)]), { featureType: 'int8' })).not.toThrow();
    expect(() => compileModel(regressorIR([chainOfSets(129)]), { featureType: 'int8' })).toThrow(OptionError);
    expect(() => compileModel(regressorIR([chainOfSets(129)]), { featureType: 'int8' })).toThrow(
      '129 distinct category sets'
    );
    expect(() => compileModel(regressorIR([chainOfSets(129)]), { featureType: 'int16' })).not.toThrow();
  });

  it('refuses quantized categories that saturated inputs would mimic', () => {
    const wide = chainOfSets(1, 1024);
    (wide.categoryBits as number[][])[0][1023] = 0x40000000; // category 32766
    expect(() => compileModel(regressorIR([wide]))).not.toThrow();
    expect(() => compileModel(regressorIR([wide]), { featureType: 'int16' })).toThrow('category 32766');
  });

  it('refuses numeric thresholds of a categorical feature beyond the range at scale 1', () => {
    const mixed = chainOfSets(1);
    mixed.left = [1, -1, 3, -1, -1];
    mixed.right = [2, -1, 4, -1, -1];
    mixed.feature = [2, -2, 2, -2, -2];
    mixed.threshold = [0, 0, 500, 0, 0];
    mixed.value = [0, 1, 0, 2, 3];
    mixed.categorySet = [0, -1, -1, -1, -1];
    expect(() => compileModel(regressorIR([mixed]), { featureType: 'int16' })).not.toThrow();
    expect(() => compileModel(regressorIR([mixed]), { featureType: 'int8' })).toThrow(
      /feature 2 has categorical splits/
    );
  });
});
