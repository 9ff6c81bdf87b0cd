/** Loads tests/fixtures/trees.json (written by scripts/make_fixtures.py from sklearn). */
import { readFileSync } from 'fs';
import { join } from 'path';

import { EncodedArray } from '../../src/core/encoding';

export interface TreeFixture {
  ir: Record<string, any>;
  x: EncodedArray;
  sklearn_classes: EncodedArray;
  sklearn_values: EncodedArray;
}

export const fixtures: Record<string, TreeFixture> = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'trees.json'), 'utf8')
);

/** A deep copy, so a test can damage it freely. */
export function cloneIR(name: string): Record<string, any> {
  return JSON.parse(JSON.stringify(fixtures[name].ir));
}
