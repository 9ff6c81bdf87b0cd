/** The Inspector panel under jsdom: what it shows, what it reports, how it fails. */
import { EncodedArray, decodeArray, encodeArray } from '../../src/core';
import { Figure } from '../../src/widgets/charts';
import { buffersAsBytes } from '../../src/widgets/buffers';
import { ArduinoRequest, BundleRequest, InspectorPanel, InspectorState, PanelCallbacks } from '../../src/widgets/panel';
import type { CompiledModel } from '../../src/core';
import { treesView } from '../../src/widgets/families/trees';
import { asDataViews, cloneIR, fixtures } from './fixtures';

function stateFor(name: string, overrides: Partial<InspectorState> = {}): InspectorState {
  const f = fixtures[name];
  return {
    ir: f.ir,
    options: { name: 'model', featureType: 'float32' },
    data: { x: f.x, reference: { classes: f.sklearn_classes, values: f.sklearn_values } },
    ...overrides
  };
}

/**
 * A forest of the fixture's trees `copies` times, each copy's thresholds nudged by a millionth so
 * that the compiler cannot merge them: digits features are whole numbers and the thresholds sit
 * halfway between, so every copy votes as the original does.
 */
function distinctCopies(name: string, copies: number): InspectorState['ir'] {
  const ir = cloneIR(name);
  const trees = Array.from({ length: copies }, (_, copy) =>
    ir.trees.map((tree: Record<string, EncodedArray>) => {
      const threshold = decodeArray(tree.threshold, 'float64', 'threshold').array.map(t => t * (1 + 1e-6 * copy));
      return { ...tree, threshold: encodeArray(threshold) };
    })
  ).flat();
  return { ...ir, trees } as InspectorState['ir'];
}

function makePanel() {
  const figures: Figure[] = [];
  const calls = {
    options: [] as Array<Record<string, unknown>>,
    exports: [] as string[],
    bundles: [] as BundleRequest[],
    arduino: [] as ArduinoRequest[],
    agreement: [] as Record<string, unknown>[]
  };
  /** Whether "computing…" showed when each figure was drawn. */
  const whileComputing: boolean[] = [];
  /** The charts each layout kept (keepPlots). */
  const kept: Array<Set<HTMLElement>> = [];
  const callbacks: PanelCallbacks = {
    plot: (container, figure) => {
      container.dataset.plotted = 'yes';
      figures.push(figure);
      whileComputing.push(panel.node.querySelector('.tml-verdict-computing') !== null);
    },
    keepPlots: keep => kept.push(keep),
    setOptions: o => calls.options.push(o),
    exportHeader: p => calls.exports.push(p),
    exportBundle: r => calls.bundles.push(r),
    exportArduino: r => calls.arduino.push(r),
    reportAgreement: s => calls.agreement.push(s)
  };
  const panel = new InspectorPanel(callbacks);
  document.body.appendChild(panel.node);
  return { panel, figures, calls, whileComputing, kept };
}

afterEach(() => document.body.replaceChildren());

describe('InspectorPanel with a network', () => {
  it('shows layers, costs, memory and ranges, and offers float32 and int8', async () => {
    const { panel, figures, calls } = makePanel();
    const result = await panel.render(stateFor('digits_mlp'));
    expect(panel.node.querySelector('.tml-error')).toBeNull();
    expect(result?.model.family).toBe('neural_net');
    expect(figures.map(f => f.id)).toEqual(
      expect.arrayContaining(['layer-costs', 'memory-timeline', 'value-ranges', 'flash-breakdown', 'tradeoff'])
    );
    const rows = Array.from(panel.node.querySelectorAll('tr.tml-tradeoff')) as HTMLElement[];
    expect(rows.map(r => r.dataset.option)).toEqual(['float32', 'int8']);
    expect(panel.node.querySelectorAll('tr.tml-layer')).toHaveLength(2);
    expect(panel.node.querySelector('.tml-stat-arena')).not.toBeNull();
    // 64x24 + 24x10 multiply-adds of dense layers at ~8 instructions each
    const instructions = Number(panel.node.querySelector('.tml-stat-instructions .tml-stat-value')?.textContent);
    expect(instructions).toBeGreaterThan(7 * (64 * 24 + 24 * 10));
    expect(instructions).toBeLessThan(9 * (64 * 24 + 24 * 10));
    expect(panel.node.querySelector('select.tml-strategy')).toBeNull(); // trees only
    const ranges = figures.find(f => f.id === 'value-ranges') as Figure;
    expect((ranges.data[1].x as Array<number | null>).some(v => v !== null)).toBe(true); // the int8 range of the hidden layer
    (rows[1].querySelector('button.tml-use') as HTMLButtonElement).click();
    expect(calls.options).toEqual([{ featureType: 'int8', strategy: 'tables', leafType: 'float32' }]);
    expect(calls.agreement[0]).toMatchObject({ feature_type: 'float32' });
  });

  it('calibrates int8 on X_test when the kernel sent no calibration rows', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('breast_cancer_mlp', { options: { name: 'model', featureType: 'int8' } }));
    expect(panel.node.querySelector('.tml-error')).toBeNull();
    expect(panel.node.querySelector('.tml-layer-table th:last-child')?.textContent).toBe('int8 scale / zero');
  });
});

describe('InspectorPanel warnings', () => {
  it('says under the summary what an option may have lost, and nothing when it lost nothing', async () => {
    const { panel } = makePanel();
    const x = Float32Array.from({ length: 64 * 5 }, (_, i) => (i % 64) / 8); // one row, five times
    const calibration = encodeArray(x, [5, 64]);
    await panel.render(
      stateFor('digits_mlp', { options: { name: 'model', featureType: 'int8', calibration } as never })
    );
    expect(panel.node.querySelector('.tml-warnings')?.textContent).toContain('all 5 rows are the same row');
    await panel.render(stateFor('digits_mlp'));
    expect(panel.node.querySelector('.tml-warnings')).toBeNull();
  });
});

describe('InspectorPanel', () => {
  it('shows structure, size and agreement for a forest, and reports the agreement', async () => {
    const { panel, figures, calls, whileComputing } = makePanel();
    const result = await panel.render(stateFor('wine_forest'));
    expect(result).not.toBeNull();
    // the structure and the flash were drawn while every option ran, then kept where they belong
    expect(whileComputing).toEqual([true, true, true, false, false, false]);
    const charts = Array.from(panel.node.querySelectorAll('.tml-chart')) as HTMLElement[];
    expect(charts.map(c => [c.dataset.figure, c.dataset.plotted])).toEqual(figures.map(f => [f.id, 'yes']));
    expect(panel.node.querySelectorAll('.tml-charts')).toHaveLength(1);
    // the page gets the IR's headline, not its trees (11 MB to clone for 500 trees)
    expect(result?.model.ir).toMatchObject({ family: 'tree_ensemble', task: 'classification', nFeatures: 13 });
    expect(result?.model.ir.estimator).toBe('sklearn.ensemble.RandomForestClassifier');
    expect('trees' in (result?.model.ir ?? {})).toBe(false);
    expect(result?.valueCount).toBe(3);
    expect(figures.map(f => f.id)).toEqual([
      'tree-sizes',
      'leaf-depths',
      'flash-breakdown',
      'tradeoff',
      'device-vs-reference-confusion',
      'device-vs-reference-values'
    ]);
    const text = panel.node.textContent ?? '';
    expect(panel.node.querySelector('.tml-stat-trees .tml-stat-value')?.textContent).toBe('10');
    expect(panel.node.querySelector('.tml-stat-agreement .tml-stat-value')?.textContent).toMatch(
      /^100\.00% \(89\/89\)$/
    );
    expect(text).toContain('None: the C runtime gives scikit-learn');
    expect(panel.node.querySelector('.tml-code')?.textContent).toContain('static inline int32_t model_predict');
    expect(calls.agreement).toHaveLength(1);
    expect(calls.agreement[0]).toMatchObject({ label_agreement: 1, feature_type: 'float32', disagreeing_rows: [] });

    // The confusion heatmap is diagonal: device class == reference class.
    const confusion = figures[4].data[0].z as number[][];
    const offDiagonal = confusion.flatMap((row, i) => row.filter((_, j) => j !== i));
    expect(offDiagonal.every(v => v === 0)).toBe(true);
  });

  it('shows boosting and isolation forests with their own values', async () => {
    for (const name of ['wine_boosting', 'wine_isolation']) {
      const { panel, figures, calls } = makePanel();
      const f = fixtures[name];
      await panel.render(
        stateFor(name, { data: { x: f.x, reference: { classes: f.sklearn_classes, values: f.sklearn_values } } })
      );
      expect(panel.node.querySelector('.tml-error')).toBeNull();
      expect(figures.map(fig => fig.id)).toContain('device-vs-reference-values');
      expect(calls.agreement[0]).toMatchObject({ label_agreement: 1 });
      const title = (figures.find(fig => fig.id === 'device-vs-reference-values')!.layout.title as { text: string })
        .text;
      expect(title).toContain(name === 'wine_isolation' ? 'anomaly score' : 'probability of the reference class');
      panel.node.remove();
    }
  });

  it('lists disagreeing rows in an arquero table', async () => {
    const { panel } = makePanel();
    const f = fixtures.iris_forest;
    // Pretend sklearn said class 2 for every row: the device disagrees on the others.
    const n = (f.x.shape as number[])[0];
    const fake = encodeArray(new Int32Array(n).fill(2));
    await panel.render(stateFor('iris_forest', { data: { x: f.x, reference: { classes: fake } } }));
    const table = panel.node.querySelector('.tml-table table');
    expect(table).not.toBeNull();
    expect(panel.node.querySelector('.tml-disagreements h4')?.textContent).toMatch(
      /Rows where the device disagrees \(\d+\)/
    );
    expect(table?.querySelectorAll('th').length).toBe(3 + 4); // row, reference, device + 4 features
  });

  it('compares every option on the same rows and switches on a click', async () => {
    const { panel, figures, calls } = makePanel();
    await panel.render(stateFor('breast_cancer_forest'));
    const rows = Array.from(panel.node.querySelectorAll('tr.tml-tradeoff')) as HTMLElement[];
    expect(rows.map(r => r.dataset.option)).toEqual([
      'float32 · tables',
      'float32 · inline',
      'float32 · tables · u8 leaves',
      'float32 · inline · u8 leaves',
      'int16 · tables',
      'int16 · inline',
      'int16 · tables · u8 leaves',
      'int16 · inline · u8 leaves',
      'int8 · tables',
      'int8 · inline',
      'int8 · tables · u8 leaves',
      'int8 · inline · u8 leaves'
    ]);
    expect(rows[0].classList.contains('tml-selected')).toBe(true);
    expect(rows.filter(r => r.classList.contains('tml-selected'))).toHaveLength(1);
    expect(rows[0].textContent).toContain('100.00%');
    const tradeoff = figures.find(f => f.id === 'tradeoff') as Figure;
    const flash = tradeoff.data[0].x as number[];
    expect(flash[8]).toBeLessThan(flash[0]); // int8 tables are smaller than float32 ones
    // uint8 leaves: a quarter of the leaf table, for 32 B of rescaling code (measured; size.ts)
    expect(flash[2]).toBeLessThan(flash[0] + 32);
    expect(flash[8]).toBeLessThan(flash[4]); // and int8 thresholds than int16 ones
    tradeoff.onPointClick?.(4);
    (rows[7].querySelector('button.tml-use') as HTMLButtonElement).click();
    expect(calls.options).toEqual([
      { featureType: 'int16', strategy: 'tables', leafType: 'float32' },
      { featureType: 'int16', strategy: 'inline', leafType: 'uint8' }
    ]);
  });

  it('offers int16 fixed-point leaves, not uint8 probabilities, to boosting', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('wine_boosting'));
    const rows = Array.from(panel.node.querySelectorAll('tr.tml-tradeoff')) as HTMLElement[];
    expect(rows).toHaveLength(12);
    expect(rows[2].dataset.option).toBe('float32 · tables · i16 leaves');
    const leaves = panel.node.querySelector('select.tml-leaves') as HTMLSelectElement;
    expect(Array.from(leaves.options, o => o.value)).toEqual(['float32', 'int16']);
  });

  it('offers the feature type choice, copy, download and export', async () => {
    const { panel, calls } = makePanel();
    await panel.render(stateFor('iris_tree'));
    const select = panel.node.querySelector('select.tml-dtype') as HTMLSelectElement;
    select.value = 'int16';
    select.dispatchEvent(new Event('change'));
    const strategy = panel.node.querySelector('select.tml-strategy') as HTMLSelectElement;
    strategy.value = 'auto';
    strategy.dispatchEvent(new Event('change'));
    expect(calls.options).toEqual([{ featureType: 'int16' }, { strategy: 'auto' }]);
    const path = panel.node.querySelector('.tml-export-path') as HTMLInputElement;
    path.value = 'out/iris.h';
    (panel.node.querySelector('.tml-export') as HTMLButtonElement).click();
    expect(calls.exports).toEqual(['out/iris.h']);
    expect(panel.node.querySelector('.tml-copy')).not.toBeNull();
    expect(panel.node.querySelector('.tml-download')).not.toBeNull();
    panel.setExportStatus('wrote /tmp/out/iris.h');
    expect(panel.node.querySelector('.tml-export-status')?.textContent).toBe('wrote /tmp/out/iris.h');
  });

  it('exports a bundle for the current option and runs it when the kernel can', async () => {
    const { panel, calls } = makePanel();
    await panel.render(
      stateFor('iris_tree', { options: { name: 'iris', featureType: 'int16' }, bundleRunnable: true })
    );
    const path = panel.node.querySelector('.tml-bundle-path') as HTMLInputElement;
    const vectors = panel.node.querySelector('.tml-bundle-vectors') as HTMLInputElement;
    const run = panel.node.querySelector('.tml-bundle-run') as HTMLInputElement;
    const button = panel.node.querySelector('button.tml-export-bundle') as HTMLButtonElement;
    expect(path.value).toBe('iris_bundle');
    expect(vectors.value).toBe('40');
    expect(run.disabled).toBe(false);
    expect(button.textContent).toBe('Export bundle');
    expect(button.title).toContain('int16 · tables');
    // next to Export, the status below both rows
    expect(button.closest('.tml-header')).toBe(panel.node.querySelector('.tml-export')?.closest('.tml-header'));
    button.click();
    expect(calls.bundles).toEqual([{ path: 'iris_bundle', nVectors: 40, run: false }]);
    expect(panel.node.querySelector('.tml-export-status')?.textContent).toBe('writing iris_bundle…');
    path.value = 'out/b';
    vectors.value = '12';
    run.checked = true;
    button.click();
    expect(calls.bundles[1]).toEqual({ path: 'out/b', nVectors: 12, run: true });
    expect(panel.node.querySelector('.tml-export-status')?.textContent).toBe('writing out/b and running it in QEMU…');

    // The kernel's answer: file list, then the harness's lines, each on its own line.
    const status = panel.node.querySelector('.tml-export-status') as HTMLElement;
    const text = [
      'wrote bundle /tmp/out/b (12 vectors, int16 · tables): Makefile, README.md, iris.h, main.c, test_vectors.h',
      'emulated Cortex-M4F (QEMU mps2-an386): RESULT PASS',
      'wasm runtime: vectors 12, labels equal 12, max abs error 0.00e+00, within tolerance 12/12, PASS',
      'mean 151 instructions per inference (QEMU instruction count, not cycles)'
    ].join('\n');
    panel.setExportStatus(text);
    expect(status.textContent).toBe(text);
    expect(status.getAttribute('role')).toBe('status');
    expect(status.classList.contains('tml-status-error')).toBe(false);
    // kept when the panel is drawn again (it names the option it was for)
    await panel.render(
      stateFor('iris_tree', { options: { name: 'iris', featureType: 'float32' }, bundleRunnable: true })
    );
    expect(panel.node.querySelector('.tml-export-status')?.textContent).toBe(text);
  });

  it('shows bundle errors, and offers no QEMU run without the toolchain', async () => {
    const { panel, calls } = makePanel();
    await panel.render(stateFor('iris_tree'));
    const run = panel.node.querySelector('.tml-bundle-run') as HTMLInputElement;
    expect(run.disabled).toBe(true);
    expect((run.parentElement as HTMLElement).title).toContain('needs qemu-system-arm and arm-none-eabi-gcc');
    run.checked = true; // even if forced, a run is not asked for
    const vectors = panel.node.querySelector('.tml-bundle-vectors') as HTMLInputElement;
    const button = panel.node.querySelector('button.tml-export-bundle') as HTMLButtonElement;
    button.click();
    expect(calls.bundles).toEqual([{ path: 'model_bundle', nVectors: 40, run: false }]);
    const status = panel.node.querySelector('.tml-export-status') as HTMLElement;
    for (const bad of ['0', '2.5', '']) {
      vectors.value = bad;
      button.click();
      expect(status.textContent).toMatch(/^bundle failed: vectors must be a whole number of at least 1/);
      expect(status.classList.contains('tml-status-error')).toBe(true);
    }
    expect(calls.bundles).toHaveLength(1);
    panel.setExportStatus(
      'wrote bundle /tmp/x (40 vectors, float32 · tables): Makefile\nbundle failed: running it in QEMU: boom'
    );
    expect(status.classList.contains('tml-status-error')).toBe(true);
    panel.setExportStatus('writing the bundle…');
    expect(status.classList.contains('tml-status-error')).toBe(false);
  });

  it('writes the Arduino library of the current option with the vectors asked for', async () => {
    const { panel, calls } = makePanel();
    await panel.render(stateFor('iris_tree', { options: { name: 'iris', featureType: 'int16' } }));
    const [path, vectors] = ['.tml-arduino-path', '.tml-bundle-vectors'].map(
      selector => panel.node.querySelector(selector) as HTMLInputElement
    );
    const button = panel.node.querySelector('button.tml-export-arduino') as HTMLButtonElement;
    const status = panel.node.querySelector('.tml-export-status') as HTMLElement;
    expect(path.value).toBe('iris_arduino');
    expect(button.textContent).toBe('Arduino library');
    expect(button.title).toContain('int16 · tables');
    expect(button.title).toContain('src/iris.h');
    // below the bundle's row, the status under both
    expect(button.closest('.tml-header')).toBe(panel.node.querySelector('.tml-export-bundle')?.closest('.tml-header'));
    button.click();
    expect(calls.arduino).toEqual([{ path: 'iris_arduino', nVectors: 40 }]);
    expect(calls.bundles).toEqual([]);
    expect(status.textContent).toBe('writing the Arduino library iris_arduino…');
    path.value = 'libraries/iris';
    vectors.value = '7'; // the one vectors field serves the bundle and the library
    button.click();
    expect(calls.arduino[1]).toEqual({ path: 'libraries/iris', nVectors: 7 });
    for (const bad of ['0', '1.5', '']) {
      vectors.value = bad;
      button.click();
      expect(status.textContent).toMatch(/^Arduino library failed: vectors must be a whole number of at least 1/);
      expect(status.classList.contains('tml-status-error')).toBe(true);
    }
    expect(calls.arduino).toHaveLength(2);
    // the kernel's answers
    panel.setExportStatus('Arduino library failed: libraries/iris exists and is not a directory');
    expect(status.classList.contains('tml-status-error')).toBe(true);
    panel.setExportStatus('wrote Arduino library /tmp/libraries/iris (7 vectors, int16 · tables): src/iris.h');
    expect(status.classList.contains('tml-status-error')).toBe(false);
  });

  it('previews long headers and shows them whole on request', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('digits_forest'));
    const pre = panel.node.querySelector('.tml-code') as HTMLElement;
    expect(pre.textContent?.endsWith('…')).toBe(true);
    expect(pre.textContent).toContain('TinyML Lab runtime (');
    expect(pre.textContent).not.toContain('static inline int tml_forest_validate');
    (panel.node.querySelector('.tml-show-all') as HTMLButtonElement).click();
    expect(pre.textContent).toContain('#endif /* TINYML_MODEL_MODEL_H */');
  });

  const failures: Array<[string, () => InspectorState, string]> = [
    [
      'a mismatched feature count',
      () => {
        const x = fixtures.wine_forest.x;
        return stateFor('iris_forest', { data: { x } });
      },
      'X_test has 13 features per row, the model expects 4'
    ],
    [
      'an infinite value in the test data (a forest takes NaN: its splits route it)',
      () => {
        const x = encodeArray(Float32Array.from([1, 2, Infinity, 4]), [1, 4]);
        return stateFor('iris_forest', { data: { x } });
      },
      'row 0, feature 2 is Infinity'
    ],
    [
      'a malformed IR',
      () => {
        const ir = cloneIR('iris_forest');
        ir.trees[1].feature.data = 'AAAA';
        return stateFor('iris_forest', { ir });
      },
      'malformed model IR at trees[1].feature'
    ],
    ['missing test data', () => stateFor('iris_forest', { data: {} }), 'no test data'],
    ['a bad model name', () => stateFor('iris_forest', { options: { name: 'my model' } }), 'not a usable C identifier']
  ];
  it.each(failures)('shows a clear error for %s, without charts', async (_name, make, message) => {
    const { panel, figures, calls } = makePanel();
    expect(await panel.render(make())).toBeNull();
    const error = panel.node.querySelector('.tml-error');
    expect(error?.textContent).toContain(message);
    expect(figures).toHaveLength(0);
    expect(calls.agreement).toHaveLength(0);
  });
});

describe('InspectorPanel option switches', () => {
  /** What a panel shows, without the figures' callbacks. */
  const shown = (result: Awaited<ReturnType<InspectorPanel['render']>>) => ({
    header: result?.model.header,
    strategy: result?.model.strategy,
    options: result?.model.options,
    size: result?.model.size,
    classes: Array.from(result?.run.classes ?? []),
    values: Array.from(result?.run.values ?? []),
    report: result?.report,
    labels: result?.tradeoffs.map(p => p.label)
  });

  it.each([
    ['wine_forest', { featureType: 'int16' as const, strategy: 'inline' as const }],
    ['wine_forest', { leafType: 'uint8' as const, name: 'other', standalone: false }],
    ['wine_boosting', { leafType: 'int16' as const, strategy: 'auto' as const }],
    ['digits_mlp', { featureType: 'int8' as const }]
  ])('%s: another option of the same data shows what a fresh panel shows (%o)', async (name, options) => {
    const state = stateFor(name);
    const { panel } = makePanel();
    const first = await panel.render(state);
    const switched = await panel.render({ ...state, options: { ...state.options, ...options } });
    const fresh = await makePanel().panel.render({ ...state, options: { ...state.options, ...options } });
    expect(shown(switched)).toEqual(shown(fresh));
    expect(switched?.tradeoffs).toBe(first?.tradeoffs); // nothing lowered or run again
    const back = await panel.render(state);
    expect(shown(back)).toEqual(shown(first));
  });

  it('keeps the charts a switch leaves as they were, and removes the others', async () => {
    const { panel, figures, kept } = makePanel();
    const state = stateFor('wine_forest');
    await panel.render(state);
    const boxes = () =>
      new Map(Array.from(panel.node.querySelectorAll('.tml-chart'), b => [(b as HTMLElement).dataset.figure, b]));
    const before = boxes();
    figures.length = 0;
    await panel.render({ ...state, options: { ...state.options, featureType: 'int16' } });
    const after = boxes();
    // the forest's structure is every option's; its flash and the trade-off's selection are not
    expect(after.get('tree-sizes')).toBe(before.get('tree-sizes'));
    expect(after.get('leaf-depths')).toBe(before.get('leaf-depths'));
    expect(figures.map(f => f.id)).toEqual(expect.arrayContaining(['flash-breakdown', 'tradeoff']));
    expect(figures.map(f => f.id)).not.toContain('tree-sizes');
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect(kept[kept.length - 1].has(after.get('tree-sizes') as HTMLElement)).toBe(true);
    expect(kept[kept.length - 1].has(before.get('flash-breakdown') as HTMLElement)).toBe(false);
  });

  it('new data or a new model is computed again', async () => {
    const { panel } = makePanel();
    const first = await panel.render(stateFor('wine_forest'));
    const f = fixtures.wine_forest;
    const fewer = { dtype: f.x.dtype, shape: [10, f.x.shape[1]], data: '' };
    fewer.data = Buffer.from(Buffer.from(f.x.data as string, 'base64').subarray(0, 10 * f.x.shape[1] * 4)).toString(
      'base64'
    );
    const again = await panel.render(stateFor('wine_forest', { data: { x: fewer } }));
    expect(again?.tradeoffs).not.toBe(first?.tradeoffs);
    expect(again?.run.nRows).toBe(10);
    const other = await panel.render(stateFor('wine_forest', { ir: cloneIR('wine_forest') }));
    expect(other?.tradeoffs).not.toBe(first?.tradeoffs);
  });
});

describe('InspectorPanel charts', () => {
  it('fits the agreement axis to the points, never above 100%, and names options on hover', async () => {
    const { panel, figures } = makePanel();
    await panel.render(stateFor('breast_cancer_forest'));
    const tradeoff = figures.find(f => f.id === 'tradeoff') as Figure;
    const y = tradeoff.data[0].y as number[];
    const [bottom, top] = (tradeoff.layout.yaxis as { range: [number, number] }).range;
    expect(top).toBeLessThanOrEqual(100);
    expect(bottom).toBeLessThanOrEqual(Math.min(...y));
    expect(top).toBeGreaterThanOrEqual(Math.max(...y));
    expect(top - bottom).toBeLessThan(5); // fitted, not 0-100
    expect(tradeoff.data[0].mode).toBe('markers'); // no permanent labels to collide
    expect(tradeoff.layout.hovermode).toBe('closest');
  });

  it('names the reference library from the model: a Keras net is compared with Keras', async () => {
    const { panel, figures } = makePanel();
    const ir = cloneIR('digits_mlp') as { estimator: string };
    ir.estimator = 'keras.Sequential';
    await panel.render(stateFor('digits_mlp', { ir }));
    expect(panel.node.querySelector('.tml-stat-agreement .tml-stat-name')?.textContent).toBe('agreement with Keras');
    panel.node.querySelector('.tml-code')?.remove(); // the header's own comments are the compiler's
    expect(panel.node.textContent).not.toContain('scikit-learn');
    const titles = JSON.stringify(figures.map(f => f.layout));
    expect(titles).toContain('reference (Keras)');
    expect(titles).not.toContain('scikit-learn');
  });
});

describe('InspectorPanel verdict', () => {
  it('answers first whether the model agrees and fits the chosen target', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('breast_cancer_forest'));
    const verdict = panel.node.querySelector('.tml-body > .tml-verdict') as HTMLElement;
    // right under the title bar, before the option table
    expect(verdict.previousElementSibling?.className).toBe('tml-toolbar');
    expect(verdict.querySelector('.tml-verdict-agreement')?.textContent).toMatch(
      /^✓ agrees with scikit-learn on (\d+) of \1 rows \(100\.00% agree\)$/
    );
    expect(verdict.querySelector('.tml-verdict-fit')?.textContent).toMatch(
      /^✓ fits Cortex-M4F \(STM32F411CE\): flash [\d.]+ (B|KiB) of 512\.0 KiB, RAM \d+ B of 128\.0 KiB$/
    );
    expect(verdict.classList.contains('tml-verdict-ok')).toBe(true);
  });

  it('names what does not fit the chosen target, and the per-target table shows the current option', async () => {
    const { panel, calls } = makePanel();
    const targets: string[] = [];
    (panel as unknown as { callbacks: { setTarget: (t: string) => void } }).callbacks.setTarget = t => targets.push(t);
    await panel.render(stateFor('digits_forest', { target: 'avr', ir: distinctCopies('digits_forest', 5) }));
    const fit = panel.node.querySelector('.tml-verdict-fit') as HTMLElement;
    expect(fit.textContent).toMatch(/^✗ does not fit AVR \(ATmega328P\): flash [\d.]+ KiB > 32\.0 KiB$/);
    expect(fit.classList.contains('tml-not-ok')).toBe(true);
    const rows = Array.from(panel.node.querySelectorAll<HTMLElement>('tr.tml-target'));
    const shown = rows.filter(r => !r.hidden);
    expect(shown).toHaveLength(6);
    expect(shown.every(r => r.classList.contains('tml-selected') && r.dataset.option === 'float32 · tables')).toBe(
      true
    );
    expect(shown.filter(r => r.classList.contains('tml-chosen-target')).map(r => r.dataset.target)).toEqual(['avr']);
    expect(panel.node.querySelector('.tml-targets summary')?.textContent).toMatch(
      /; not AVR: flash [\d.]+ KiB > 32\.0 KiB$/
    );
    const all = panel.node.querySelector('.tml-targets-all input') as HTMLInputElement;
    all.click();
    expect(rows.filter(r => !r.hidden)).toHaveLength(72); // 12 options on 6 targets;
    const select = panel.node.querySelector('select.tml-verdict-target') as HTMLSelectElement;
    select.value = 'cortex-m0plus';
    select.dispatchEvent(new Event('change'));
    expect(targets).toEqual(['cortex-m0plus']);
    expect(calls.options).toEqual([]);
  });

  it('shows where strategy "auto" chose, for the target picked', async () => {
    const { panel } = makePanel();
    const auto = { name: 'model', featureType: 'float32' as const, strategy: 'auto' as const };
    await panel.render(stateFor('digits_forest', { target: 'avr', options: auto }));
    expect(panel.node.querySelector('.tml-verdict .tml-verdict-auto')?.textContent).toMatch(
      /^auto chose \w+ for AVR: /
    );
    await panel.render(stateFor('digits_forest', { target: 'cortex-m4f', options: auto }));
    expect(panel.node.querySelector('.tml-verdict-auto')?.textContent).toMatch(/^auto chose \w+ for Cortex-M4F: /);
    await panel.render(stateFor('digits_forest', { target: 'cortex-m4f' }));
    expect(panel.node.querySelector('.tml-verdict-auto')).toBeNull(); // a strategy the user chose
  });

  it('says so when the target asked for is unknown', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('iris_tree', { target: 'pdp-11' }));
    expect(panel.node.querySelector('.tml-warnings')?.textContent).toContain('unknown target "pdp-11": use one of');
    expect(panel.node.querySelector('.tml-verdict-fit')?.textContent).toContain('Cortex-M4F');
  });
});

describe('InspectorPanel with binary buffers', () => {
  it('reads the IR and the rows from buffers as from base64', async () => {
    const { panel, calls } = makePanel();
    const state = stateFor('wine_forest');
    const binary = buffersAsBytes(asDataViews({ ir: state.ir, data: state.data })) as InspectorState;
    await panel.render({ ...state, ir: binary.ir, data: binary.data });
    expect(panel.node.querySelector('.tml-error')).toBeNull();
    expect(calls.agreement[0].label_agreement).toBe(1);
  });
});

describe('nodes and leaves per tree', () => {
  const figureFor = (nTrees: number) => {
    const perTree = Array.from({ length: nTrees }, (_, i) => 9 + (i % 3) * 2);
    const structure = {
      nTrees,
      nodesPerTree: perTree,
      leavesPerTree: perTree.map(n => (n + 1) / 2),
      depthPerTree: perTree.map(() => 3),
      meanLeafDepthPerTree: perTree.map(() => 2.5),
      leafDepthCounts: [0, 0, 1, 4],
      splitsPerFeature: [nTrees]
    };
    return treesView.structureFigures({ structure } as unknown as CompiledModel, undefined)[0];
  };

  it('draws grouped bars for a few dozen trees, lines where bars would be thinner than a pixel', () => {
    expect(figureFor(60).data.map(trace => trace.type)).toEqual(['bar', 'bar']);
    const many = figureFor(500);
    expect(many.data.map(trace => [trace.type, trace.mode, trace.name])).toEqual([
      ['scatter', 'lines', 'nodes'],
      ['scatter', 'lines', 'leaves']
    ]);
    expect(many.data[0].y).toHaveLength(500);
  });
});
