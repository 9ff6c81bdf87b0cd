/** Loads tests/fixtures/models.json (written by scripts/make_fixtures.py from sklearn). */
import { readFileSync } from 'fs';
import { join } from 'path';

import { EncodedArray } from '../../src/core/ir/encoding';
import { ForestTables } from '../../src/core/families/trees/lower';
import { TreeEnsembleIR } from '../../src/core/families/trees/ir';
import { parseModelIR } from '../../src/core/ir/envelope';

export interface ModelFixture {
  ir: Record<string, any>;
  x: EncodedArray;
  sklearn_classes: EncodedArray;
  sklearn_values: EncodedArray;
}

export const fixtures: Record<string, ModelFixture> = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'models.json'), 'utf8')
);

/** A case of the golden set (tests/fixtures/golden/cases.json): an IR, its export options and rows. */
export interface GoldenCase {
  name: string;
  ir: Record<string, any>;
  options: Record<string, any>;
  x: Record<string, any>;
}

export const GOLDEN_CASES: GoldenCase[] = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'golden', 'cases.json'), 'utf8')
);

/** A deep copy, so a test can damage it freely. */
export function cloneIR(name: string): Record<string, any> {
  return JSON.parse(JSON.stringify(fixtures[name].ir));
}

/** The forest tables of a lowered tree model (tests know which family they built). */
export function forestTables(model: { family: string; tables: unknown }): ForestTables {
  if (model.family !== 'tree_ensemble') {
    throw new Error(`expected a tree model, got ${model.family}`);
  }
  return model.tables as ForestTables;
}

/** parseModelIR for an IR the test knows is a tree ensemble. */
export function parseTrees(raw: unknown): TreeEnsembleIR {
  const ir = parseModelIR(raw);
  if (ir.family !== 'tree_ensemble') {
    throw new Error('expected a tree ensemble IR');
  }
  return ir;
}

/** Fixture names by model family: tree checks run on trees only. */
export const TREE_FIXTURES = Object.keys(fixtures).filter(name => fixtures[name].ir.family === 'tree_ensemble');
export const NET_FIXTURES = Object.keys(fixtures).filter(name => fixtures[name].ir.family === 'neural_net');

/**
 * What ipywidgets hands a widget model for state sent before packing (src/widgets/buffers.ts):
 * each encoded array's base64 data as a DataView, here at an unaligned offset, as a buffer may be.
 */
export function asDataViews(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(asDataViews);
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.data === 'string' && 'dtype' in o) {
      const bytes = Buffer.from(o.data, 'base64');
      const copy = new Uint8Array(bytes.length + 3).subarray(3);
      copy.set(bytes);
      return { ...o, data: new DataView(copy.buffer, copy.byteOffset, copy.byteLength) };
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, asDataViews(v)]));
  }
  return value;
}
