/**
 * A 500-tree forest in the Inspector: what the kernel sends, how long until every chart is
 * drawn, the longest main-thread task (Long Tasks API), and DOM nodes, event listeners and
 * heap across 10 option switches. The figures are printed (one line each, kept in the test
 * output); the flat-across-switches rule is asserted, the timings are not (issue 18's goals of
 * ≤ 200 ms tasks and ≤ 2 s ready are measured here, not yet met: see the printed lines).
 */
import { expect, test } from '@jupyterlab/galata';

import { setWidth } from './layout';
import { openNotebook } from './tutorial';

const FOREST = [
  'from sklearn.datasets import load_digits',
  'from sklearn.ensemble import RandomForestClassifier',
  'import json, tinyml_lab',
  'from ipywidgets.widgets.widget import _remove_buffers',
  'X, y = load_digits(return_X_y=True)',
  'model = RandomForestClassifier(n_estimators=500, max_depth=8, random_state=0, n_jobs=1).fit(X[:1400], y[:1400])'
];

const INSPECT = [
  'w = tinyml_lab.inspect(model, X[1400:1760], y[1400:1760], name="digits")',
  // what the kernel sends: the JSON and the binary buffers beside it
  'state, _, buffers = _remove_buffers(w.get_state())',
  'print("state bytes", len(json.dumps(state)) + sum(b.nbytes for b in buffers))',
  'w'
];

/** Options a user flips between: float32 and int16 tables (both drawn from one computed trade-off). */
const SWITCHES = ['int16 · tables', 'float32 · tables'];

/** Relative change from the first to the last measure. */
const drift = (values: number[]): number => Math.abs(values[values.length - 1] - values[0]) / values[0];

test.describe('TinyML Lab inspector: a 500-tree forest', () => {
  test('state, time to ready, longest task, and flat memory across 10 switches', async ({ page, tmpPath }) => {
    test.setTimeout(600000);
    await openNotebook(page, `${tmpPath}/large.ipynb`, [FOREST, INSPECT]);
    // openNotebook ran both cells; run the Inspector's cell again, timed, with long tasks recorded
    const inspector = page.locator('.tml-inspector');
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 300000 });
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver(list => list.getEntries().forEach(e => w.longTasks.push(e.duration))).observe({
        type: 'longtask'
      });
    });
    const started = Date.now();
    await page.notebook.runCell(1);
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 300000 });
    await expect(inspector.locator('.tml-verdict-agreement')).toContainText('agrees');
    const ready = (Date.now() - started) / 1000;
    const opening = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
    const stateBytes = Number(
      /state bytes (\d+)/.exec(((await page.notebook.getCellTextOutput(1)) ?? []).join(''))?.[1]
    );

    await page.sidebar.close('left');
    await setWidth(page, inspector, 1400);
    await inspector.screenshot({ path: test.info().outputPath('inspector-500-trees.png') });

    // Galata's page is a proxy: the CDP session takes the Playwright page behind it
    const tab = page.context().pages()[0];
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send('Performance.enable');
    const measure = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find(m => m.name === name)?.value ?? NaN;
      return { nodes: get('Nodes'), listeners: get('JSEventListeners'), heap: get('JSHeapUsedSize') };
    };
    const measures = [await measure()];
    const switchTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const option = SWITCHES[i % 2];
      const t0 = Date.now();
      await inspector.locator(`tr.tml-tradeoff[data-option="${option}"] button.tml-use`).click();
      await expect(inspector.locator(`tr.tml-tradeoff[data-option="${option}"]`)).toHaveClass(/tml-selected/, {
        timeout: 120000
      });
      await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 120000 });
      await expect(inspector.locator('[data-figure="tradeoff"] .main-svg').first()).toBeVisible();
      switchTimes.push((Date.now() - t0) / 1000);
      measures.push(await measure());
    }
    const switching = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
    const fmt = (xs: number[], digits = 0) => xs.map(x => x.toFixed(digits)).join(' ');
    console.log(`500 trees: widget state ${(stateBytes / 1e6).toFixed(2)} MB; ready ${ready.toFixed(1)} s`);
    console.log(
      `500 trees: longest main-thread task ${Math.max(0, ...opening).toFixed(0)} ms opening ` +
        `(${opening.length} tasks over 50 ms), ${Math.max(0, ...switching).toFixed(0)} ms switching`
    );
    console.log(`500 trees: switch times (s) ${fmt(switchTimes, 1)}`);
    console.log(`500 trees: DOM nodes ${fmt(measures.map(m => m.nodes))}`);
    console.log(`500 trees: JS event listeners ${fmt(measures.map(m => m.listeners))}`);
    console.log(
      `500 trees: JS heap (MB) ${fmt(
        measures.map(m => m.heap / 1e6),
        1
      )}`
    );
    // flat across the switches (the first one may load what later ones reuse): within 5%
    const settled = measures.slice(1);
    expect(drift(settled.map(m => m.nodes)), 'DOM nodes drift').toBeLessThanOrEqual(0.05);
    expect(drift(settled.map(m => m.listeners)), 'listeners drift').toBeLessThanOrEqual(0.05);
    expect(drift(settled.map(m => m.heap)), 'heap drift').toBeLessThanOrEqual(0.05);
  });
});
