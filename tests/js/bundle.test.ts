/** The export bundle's files (src/core/bundle.ts), built from the sklearn fixtures. */
import { compileModel, decodeArray, headless, makeBundle, runOnDevice } from '../../src/core';
import { fixtures } from './fixtures';

const FILES = [
  'Makefile',
  'README.md',
  'main.c',
  'model_glue.h',
  'target.h',
  'target/host/target.c',
  'target/mps2_an386/mps2_an386.ld',
  'target/mps2_an386/target.c',
  'test_vectors.h'
];

/** The first n rows of a fixture, with sklearn's classes and values for them. */
function rows(name: string, n: number) {
  const f = fixtures[name];
  const { array: x, shape } = decodeArray(f.x, 'float32', 'x');
  const classes = decodeArray(f.sklearn_classes, 'int32', 'classes').array;
  const values = decodeArray(f.sklearn_values, 'float64', 'values').array;
  const perRow = values.length / shape[0];
  return {
    x: x.slice(0, n * shape[1]),
    reference: { classes: classes.slice(0, n), values: values.slice(0, n * perRow) },
    perRow
  };
}

describe('makeBundle', () => {
  it('writes the header, vectors, harness, glue for mps2-an386 and the host, Makefile and README', () => {
    const model = compileModel(fixtures.iris_forest.ir, { name: 'iris' });
    const { x, reference } = rows('iris_forest', 6);
    const bundle = makeBundle(model, x, 6, reference);
    expect(Object.keys(bundle.files).sort()).toEqual(['iris.h', ...FILES].sort());
    expect(bundle.files['iris.h']).toBe(model.header);
    const vectors = bundle.files['test_vectors.h'];
    expect(vectors).toContain('#define TV_N_VECTORS 6');
    expect(vectors).toContain('#define TV_N_INPUTS 4');
    expect(vectors).toContain('#define TV_N_VALUES 3');
    expect(vectors).toContain('#define TV_N_SETS 2');
    expect(vectors).toContain('static const float tv_inputs[24]');
    expect(vectors).toContain('static const int32_t tv_sklearn_labels[6]');
    expect(vectors).toContain('static const float tv_wasm_values[18]');
    // float32 trees: scikit-learn's answers are checked, and so are the wasm runtime's
    expect(bundle.sets.map(s => [s.name, s.checked])).toEqual([
      ['scikit-learn', true],
      ['wasm runtime', true]
    ]);
    expect(bundle.files['model_glue.h']).toContain('#include "iris.h"');
    expect(bundle.files['model_glue.h']).toContain('*label = iris_predict(x);');
    expect(bundle.files['model_glue.h']).toContain('iris_predict_proba(x, values, TV_N_VALUES)');
    expect(bundle.files.Makefile).toMatch(/^build\/mps2_an386\.elf: .*\n\t\$\(CC_ARM\)/m);
    expect(bundle.files.Makefile).toContain('-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -Os');
    expect(bundle.files['README.md']).toContain('target_write(const char *text)');
    expect(bundle.files['README.md']).toContain('target_exit(int status)');
  });

  it('writes the rv32imc glue for the virt machine and a Makefile for riscv64-unknown-elf-gcc', () => {
    const model = compileModel(fixtures.iris_forest.ir, { name: 'iris' });
    const { x, reference } = rows('iris_forest', 2);
    const bundle = makeBundle(model, x, 2, reference, { target: 'rv32imc' });
    const glue = Object.keys(bundle.files).filter(f => f.startsWith('target/'));
    expect(glue.sort()).toEqual([
      'target/host/target.c',
      'target/qemu_virt_rv32/qemu_virt_rv32.ld',
      'target/qemu_virt_rv32/target.c'
    ]);
    expect(bundle.files.Makefile).toMatch(/^build\/qemu_virt_rv32\.elf: .*\n\t\$\(CC_RV\)/m);
    expect(bundle.files.Makefile).toContain('-march=rv32imc -mabi=ilp32 -Os');
    expect(bundle.files.Makefile).toContain('--specs=picolibc.specs');
    expect(bundle.files['README.md']).toContain('apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf');
    expect(bundle.files['README.md']).not.toContain('{{');
  });

  it('expects what the wasm runtime computes, and sklearn within the tolerance of the family', () => {
    const model = compileModel(fixtures.breast_cancer_boosting.ir);
    const { x, reference, perRow } = rows('breast_cancer_boosting', 10);
    const bundle = makeBundle(model, x, 10, reference);
    const device = runOnDevice(model, x, 10);
    const wasm = bundle.sets[1];
    expect(Array.from(wasm.labels ?? [])).toEqual(Array.from(device.classes));
    expect(Array.from(wasm.values)).toEqual(Array.from(device.values));
    const sklearn = bundle.sets[0];
    expect(sklearn.values.length).toBe(10 * perRow);
    // every sklearn value is within the tolerance the device is held to
    sklearn.values.forEach((e, i) => {
      const j = i % perRow;
      expect(Math.abs(device.values[i] - e)).toBeLessThanOrEqual(sklearn.absTol[j] + sklearn.relTol[j] * Math.abs(e));
    });
  });

  it('reports, without checking, scikit-learn against quantized features and int8 networks', () => {
    const forest = compileModel(fixtures.wine_forest.ir, { featureType: 'int16' });
    const f = rows('wine_forest', 4);
    expect(makeBundle(forest, f.x, 4, f.reference).sets[0]).toMatchObject({ name: 'scikit-learn', checked: false });
    const d = rows('digits_mlp', 20);
    const net = compileModel(fixtures.digits_mlp.ir, { featureType: 'int8', calibration: d.x });
    const made = makeBundle(net, d.x, 20, d.reference);
    expect(made.sets[0].checked).toBe(false);
    expect(made.sets[0].why).toContain('int8');
    expect(made.files['test_vectors.h']).toContain('"scikit-learn", 0, "int8 network"');
    expect(made.sets[1]).toMatchObject({ name: 'wasm runtime', checked: true });
  });

  it('anomaly detectors compare the -1/1 label as a class index and score_samples', () => {
    const model = compileModel(fixtures.wine_isolation.ir, { name: 'odd' });
    const { x, reference } = rows('wine_isolation', 5);
    const made = makeBundle(model, x, 5, reference);
    expect(made.files['model_glue.h']).toContain('int status = odd_predict(x, &sign);');
    expect(made.files['model_glue.h']).toContain('odd_score_samples(x, values)');
    expect(made.files['test_vectors.h']).toContain('0 = outlier (-1), 1 = inlier (1)');
  });

  it('refuses what it cannot bundle, naming the problem', () => {
    const model = compileModel(fixtures.iris_forest.ir);
    const { x, reference } = rows('iris_forest', 3);
    expect(() => makeBundle(model, x, 3, reference, { target: 'esp32' })).toThrow(
      'no bundle target "esp32"; bundles are made for cortex-m4f'
    );
    expect(() => makeBundle(model, x.slice(0, 11), 3, reference)).toThrow('the model expects 4');
    expect(() => makeBundle(model, x, 3, { ...reference, values: reference.values.slice(0, 4) })).toThrow(
      'reference values: expected 3 per row for 3 rows (9), got 4'
    );
    expect(() => makeBundle(model, x, 0, reference)).toThrow('at least one test vector');
    const split = compileModel(fixtures.iris_forest.ir, { standalone: false });
    expect(() => makeBundle(split, x, 3, reference)).toThrow('standalone');
  });

  it('is reachable headless, as Python calls it', () => {
    const f = fixtures.iris_tree;
    const out = JSON.parse(
      headless.bundle(JSON.stringify(f.ir), JSON.stringify({ name: 'tree' }), JSON.stringify({ x: f.x }))
    );
    expect(out.ok).toBe(true);
    expect(Object.keys(out.files)).toContain('tree.h');
    // without a reference only the wasm runtime's outputs are expected
    expect(out.sets.map((s: { name: string }) => s.name)).toEqual(['wasm runtime']);
    const bad = JSON.parse(headless.bundle(JSON.stringify(f.ir), '{}', JSON.stringify({ x: f.x, target: 'avr' })));
    expect(bad).toMatchObject({ ok: false, kind: 'InputError' });
  });
});
