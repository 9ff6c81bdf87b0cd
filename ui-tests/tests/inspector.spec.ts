/**
 * The Inspector in a real JupyterLab and Chromium: the tutorial runs, Plotly draws the
 * charts, the WebAssembly C runtime agrees with scikit-learn, and bad input gives clear
 * errors in Python and in the widget.
 */
import { expect, test } from '@jupyterlab/galata';

import { expectInside, inEachThemeAndWidth } from './layout';
import { expectNoStderr, openNotebook, runTutorial } from './tutorial';

const NOTEBOOK = 'getting_started_trees.ipynb';

test.describe('TinyML Lab inspector', () => {
  test('the tutorial shows structure, size and a 100% agreement figure', async ({ page, tmpPath }) => {
    await runTutorial(page, tmpPath, NOTEBOOK);

    const inspector = page.locator('.tml-inspector');
    await expect(inspector).toBeVisible({ timeout: 60000 });
    // Six Plotly charts: tree sizes, leaf depths, flash breakdown, size vs agreement per option,
    // confusion, device vs reference.
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 60000 });
    for (const id of [
      'tree-sizes',
      'leaf-depths',
      'flash-breakdown',
      'tradeoff',
      'device-vs-reference-confusion',
      'device-vs-reference-values'
    ]) {
      await expect(inspector.locator(`[data-figure="${id}"] .main-svg`).first()).toBeVisible();
    }
    await expect(inspector.locator('.tml-stat-agreement .tml-stat-value')).toHaveText(/^100\.00% \(171\/171\)$/);
    await expect(inspector.locator('.tml-stat-trees .tml-stat-value')).toHaveText('20');
    await expect(inspector.locator('.tml-code')).toContainText('cancer_forest_predict');
    // Every target profile with the current option's estimate and whether it fits.
    await expect(inspector.locator('.tml-targets-table tr.tml-target.tml-selected')).toHaveCount(6);
    // The sweep at the end of the tutorial: its Pareto chart and the front in its table.
    const sweep = page.locator('.tml-sweep');
    await expect(sweep.locator('[data-figure="sweep"] .main-svg').first()).toBeVisible({ timeout: 60000 });
    await expect(sweep.locator('tr.tml-sweep-point.tml-front').first()).toBeVisible();
    // Kept with the test results: what a user sees (README's screenshot comes from here), in a
    // viewport tall enough for the whole widget.
    await page.setViewportSize({ width: 1100, height: 3600 });
    await inspector.scrollIntoViewIfNeeded();
    await inspector.screenshot({ path: test.info().outputPath('inspector.png') });
    // The notebook's own asserts (headless header == widget export, 100% agreement) passed.
    await expectNoStderr(page);
  });

  test('the network tutorial shows layers, memory, int8 ranges, and switches to int8', async ({ page, tmpPath }) => {
    await runTutorial(page, tmpPath, 'neural_network_int8.ipynb');

    const inspector = page.locator('.tml-inspector');
    await expect(inspector).toBeVisible({ timeout: 120000 });
    for (const id of [
      'layer-costs',
      'memory-timeline',
      'value-ranges',
      'flash-breakdown',
      'tradeoff',
      'device-vs-reference-confusion'
    ]) {
      await expect(inspector.locator(`[data-figure="${id}"] .main-svg`).first()).toBeVisible({ timeout: 60000 });
    }
    // conv+bn+relu, max pool, conv+relu, global average pool, dense+softmax
    await expect(inspector.locator('tr.tml-layer')).toHaveCount(5);
    await expect(inspector.locator('tr.tml-layer').first()).toContainText('conv1d 0 + batch_norm 1 + relu');
    await expect(inspector.locator('.tml-stat-agreement .tml-stat-value')).toHaveText(/^100\.00%/);

    await inspector.locator('tr.tml-tradeoff[data-option="int8"] button.tml-use').click();
    await expect(inspector.locator('tr.tml-tradeoff[data-option="int8"]')).toHaveClass(/tml-selected/, {
      timeout: 30000
    });
    await expect(inspector.locator('select.tml-dtype')).toHaveValue('int8');
    await expect(inspector.locator('.tml-code')).toContainText('static const int8_t activity_l0_weight_i8', {
      timeout: 30000
    });
    await expect(inspector.locator('.tml-layer-table th').last()).toHaveText('int8 scale / zero');
    // float32 stays exact in the trade-off table after the switch (each option is lowered afresh)
    await expect(inspector.locator('tr.tml-tradeoff[data-option="float32"] td').nth(3)).toHaveText('100.00%');
    await inspector.screenshot({ path: test.info().outputPath('inspector-network.png') });
    await expectNoStderr(page);
  });

  test('the boosted-trees tutorial shows the agreement on the rows with NaN apart', async ({ page, tmpPath }) => {
    await runTutorial(page, tmpPath, 'boosted_trees_missing_values.ipynb');

    const inspector = page.locator('.tml-inspector');
    await expect(inspector).toBeVisible({ timeout: 120000 });
    await expect(inspector.locator('.tml-stat-agreement .tml-stat-name')).toHaveText('agreement with scikit-learn', {
      timeout: 60000
    });
    await expect(inspector.locator('.tml-stat-agreement .tml-stat-value')).toHaveText(/^100\.00% \(600\/600\)$/);
    await expect(inspector.locator('.tml-stat-missing .tml-stat-name')).toHaveText('rows with NaN: agreement');
    await expect(inspector.locator('.tml-stat-missing .tml-stat-value')).toHaveText(/^100\.00% \(244\/244\)$/);
    // What a person sees, wide and narrow, light and dark: kept with the test results. The
    // Inspector itself is 450 px wide (a 450 px window beside the file browser left it 82 px).
    await inEachThemeAndWidth(page, inspector, async (theme, width) => {
      await inspector.scrollIntoViewIfNeeded();
      await inspector.screenshot({ path: test.info().outputPath(`inspector-boosted-${theme}-${width}.png`) });
      await expectInside(inspector.locator('.tml-body > *'), inspector, 'a section of the Inspector');
    });
    await expectNoStderr(page);
  });

  test('switching to int16 and exporting from the widget', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/export.ipynb`, [
      [
        'from sklearn.datasets import load_iris',
        'from sklearn.tree import DecisionTreeClassifier',
        'import tinyml_lab',
        'X, y = load_iris(return_X_y=True)',
        'w = tinyml_lab.inspect(DecisionTreeClassifier(random_state=0).fit(X, y), X, y, name="iris")',
        'w'
      ],
      [
        'import os',
        'print(w.agreement.get("label_agreement"), w.agreement.get("feature_type"), os.path.exists("iris_q.h"),',
        '      "int16_t iris_split_threshold" in open("iris_q_bundle/iris.h").read(),',
        '      "int16_t iris_split_threshold" in open("iris_q_arduino/src/iris.h").read())'
      ]
    ]);
    const inspector = page.locator('.tml-inspector');
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 60000 });

    // Pick int16 from the trade-off table: header, size and agreement follow.
    await inspector.locator('tr.tml-tradeoff[data-option="int16 · tables"] button.tml-use').click();
    await expect(inspector.locator('tr.tml-tradeoff[data-option="int16 · tables"]')).toHaveClass(/tml-selected/, {
      timeout: 30000
    });
    await expect(inspector.locator('select.tml-dtype')).toHaveValue('int16');
    await expect(inspector.locator('.tml-code')).toContainText('static const int16_t iris_split_threshold', {
      timeout: 30000
    });
    await expect(inspector.locator('.tml-stat-agreement .tml-stat-value')).toHaveText(/^100\.00%/);
    await expect(inspector.locator('.tml-stat-routing .tml-stat-value')).toHaveText('0 on 0 rows');

    await inspector.locator('.tml-export-path').fill('iris_q.h');
    await inspector.locator('button.tml-export').click();
    await expect(inspector.locator('.tml-export-status')).toContainText('wrote ', { timeout: 30000 });
    await expect(inspector.locator('.tml-export-status')).toContainText('iris_q.h');

    // The bundle for the same option, run on an emulated Cortex-M4F when the kernel has QEMU
    // and arm-none-eabi-gcc (the checkbox is disabled otherwise).
    const status = inspector.locator('.tml-export-status');
    await expect(inspector.locator('button.tml-export-bundle')).toBeVisible();
    await inspector.locator('.tml-bundle-path').fill('iris_q_bundle');
    await inspector.locator('.tml-bundle-vectors').fill('20');
    const runnable = await inspector.locator('.tml-bundle-run').isEnabled();
    if (runnable) {
      await inspector.locator('.tml-bundle-run').check();
    }
    await inspector.locator('button.tml-export-bundle').click();
    await expect(status).toContainText('wrote bundle ', { timeout: 60000 });
    await expect(status).toContainText('iris_q_bundle (20 vectors, int16 · tables)');
    await expect(status).toContainText('iris.h, main.c');
    await expect(status).toContainText('test_vectors.h');
    if (runnable) {
      await expect(status).toContainText('RESULT PASS', { timeout: 120000 });
      await expect(status).toContainText(/wasm runtime: vectors 20, labels equal 20, .*PASS/);
      await expect(status).toContainText(/mean \d+ instructions per inference/);
    }
    await expect(status).not.toHaveClass(/tml-status-error/);
    await inspector.locator('.tml-header').screenshot({ path: test.info().outputPath('inspector-bundle.png') });

    // The Arduino library of the same option, with the same vectors field.
    await inspector.locator('.tml-arduino-path').fill('iris_q_arduino');
    await inspector.locator('button.tml-export-arduino').click();
    await expect(status).toContainText('wrote Arduino library ', { timeout: 60000 });
    await expect(status).toContainText('iris_q_arduino (20 vectors, int16 · tables): src/iris.h');
    await expect(status).not.toHaveClass(/tml-status-error/);

    // The kernel sees what the browser measured, and the file the button wrote.
    await page.notebook.runCell(1);
    await expect
      .poll(async () => (await page.notebook.getCellTextOutput(1))?.join('').trim(), { timeout: 30000 })
      .toBe('1 int16 True True True');
  });

  test('bad input gives clear errors in the widget and in Python', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/errors.ipynb`, [
      [
        'from sklearn.datasets import load_iris',
        'from sklearn.ensemble import RandomForestClassifier',
        'import numpy as np, tinyml_lab',
        'from tinyml_lab.ir import encode_array',
        'X, y = load_iris(return_X_y=True)',
        'model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)',
        'w = tinyml_lab.inspect(model, X)',
        'w'
      ],
      // Data that bypasses the Python checks still cannot crash the widget.
      ['w.data = {"x": encode_array(np.full((2, 4), np.inf), "float32")}'],
      ['tinyml_lab.inspect(model, X[:, :3])']
    ]);
    const inspector = page.locator('.tml-inspector');
    await expect(inspector.locator('.tml-error')).toContainText('row 0, feature 0 is Infinity', { timeout: 60000 });
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(0);
    await expect
      .poll(async () => (await page.notebook.getCellTextOutput(2))?.join(''), { timeout: 30000 })
      .toContain('InvalidInputError: X_test has 3 features per row, the model expects 4');
  });
});
