/**
 * What the IR mutation fuzzer (tests/fuzz/ir_fuzz.py) found, each kept as a test: a golden
 * case (tests/fixtures/golden/cases.json) with the one mutation that showed the problem,
 * through the headless API as Python calls it. Every refusal is of kind "ir", "InputError" or
 * "OptionError" with one clear line that says what is wrong.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import { headless } from '../../src/core';

interface GoldenCase {
  name: string;
  ir: Record<string, any>;
  options: Record<string, any>;
  x: Record<string, any>;
}

const CASES: GoldenCase[] = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'golden', 'cases.json'), 'utf8'));

/** A deep copy of a golden case, for a test to mutate. */
function golden(name: string): GoldenCase {
  const found = CASES.find(c => c.name === name);
  if (!found) {
    throw new Error(`no golden case ${name}`);
  }
  return JSON.parse(JSON.stringify(found));
}

type Call = 'compile' | 'run' | 'estimate' | 'bundle' | 'exportOptions';

/** A headless call on a case, its JSON answer parsed. */
function call(fn: Call, c: GoldenCase): Record<string, any> {
  const ir = JSON.stringify(c.ir);
  const options = JSON.stringify(c.options);
  const input = JSON.stringify({ x: c.x });
  const raw =
    fn === 'exportOptions'
      ? headless.exportOptions(ir)
      : fn === 'estimate'
        ? headless.estimate(ir, options, '{}')
        : fn === 'compile'
          ? headless.compile(ir, options)
          : headless[fn](ir, options, input);
  return JSON.parse(raw);
}

/** The refusal of a call: its kind and message, checked to be one clear line. */
function refusal(fn: Call, c: GoldenCase): { kind: string; error: string } {
  const answer = call(fn, c);
  expect(answer.ok).toBe(false);
  expect(answer.error).not.toMatch(/\bundefined\b|\n|TypeError|RangeError|Cannot read/);
  expect(answer.error.length).toBeLessThan(400);
  return { kind: answer.kind, error: answer.error };
}

describe('IR fuzzer findings', () => {
  it('names a missing key as missing, not as "undefined"', () => {
    const c = golden('svr_diabetes');
    delete c.ir.gamma;
    expect(refusal('compile', c)).toEqual({
      kind: 'ir',
      error: 'malformed model IR at gamma: expected a positive number, got nothing (the key is missing)'
    });
    const net = golden('keras_conv1d_int8');
    delete net.ir.layers[1].padding;
    expect(refusal('run', net).error).toBe(
      'malformed model IR at layers[1].padding: expected "valid" or "same", got nothing (the key is missing)'
    );
    const forest = golden('etr_diabetes');
    delete forest.ir.trees[0].threshold.dtype;
    expect(refusal('exportOptions', forest).error).toBe(
      'malformed model IR at trees[0].threshold: expected dtype float64, got nothing (the key is missing)'
    );
  });

  it('quotes a long value cut short', () => {
    const c = golden('envelope_wine');
    c.ir.covariance = 'x'.repeat(5000);
    expect(refusal('compile', c).error).toBe(
      `malformed model IR at covariance: expected one of full, tied, diag, spherical, got "${'x'.repeat(76)}...`
    );
    const trees = golden('gb_cancer_binary');
    trees.ir.version = trees.ir.trees;
    expect(refusal('estimate', trees).error).toMatch(/^malformed model IR at version: expected an integer .*\.\.\.$/);
  });

  it('refuses a badly encoded input array (rows, calibration) as an input problem', () => {
    const c = golden('dt_iris_tables');
    c.x.dtype = 'float64';
    expect(refusal('run', c)).toEqual({ kind: 'InputError', error: 'x: expected dtype float32, got float64' });
    c.x.dtype = 'float32';
    c.x.data = c.x.data.slice(0, -4);
    expect(refusal('bundle', c)).toEqual({
      kind: 'InputError',
      error: 'x: shape [24,4] needs 384 bytes, data has 381'
    });
    const net = golden('mlp_digits_int8');
    net.options.calibration.data = 'AA!A' + net.options.calibration.data.slice(4);
    expect(refusal('compile', net)).toEqual({
      kind: 'InputError',
      error: 'calibration: base64 data has an invalid character at offset 2'
    });
  });
});
