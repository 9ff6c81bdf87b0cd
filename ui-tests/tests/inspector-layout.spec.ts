/**
 * The Inspector as a person sees it in a narrow panel, in the dark theme (every section inside
 * the widget, chart labels apart and inside their chart, theme colours in) and in a notebook
 * reopened without its kernel. The screenshots stay with the test results.
 */
import { expect, test } from '@jupyterlab/galata';

import { checkCharts, expectInside, inEachThemeAndWidth, luminance } from './layout';
import { expectNoStderr, openNotebook } from './tutorial';

/** A small forest on the iris rows: every chart of a tree model, drawn in a few seconds. */
const IRIS_FOREST = [
  'from sklearn.datasets import load_iris',
  'from sklearn.ensemble import RandomForestClassifier',
  'import tinyml_lab',
  'X, y = load_iris(return_X_y=True)',
  'model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)',
  'tinyml_lab.inspect(model, X, y, name="iris")'
];

test.describe('TinyML Lab inspector: narrow panel, dark theme, reopened notebook', () => {
  test('a forest in a 450 px panel, light and dark', async ({ page, tmpPath }) => {
    await openNotebook(page, `${tmpPath}/narrow.ipynb`, [IRIS_FOREST]);
    const inspector = page.locator('.tml-inspector');
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 60000 });
    await inEachThemeAndWidth(page, inspector, async (theme, width) => {
      await expect(inspector.locator(`[data-figure="tradeoff"][data-plot-theme="${theme}"]`)).toBeVisible();
      await inspector.scrollIntoViewIfNeeded();
      await inspector.screenshot({ path: test.info().outputPath(`inspector-forest-${theme}-${width}.png`) });
      await expectInside(inspector.locator('.tml-body > *'), inspector, 'a section of the Inspector');
      await expectInside(inspector.locator('.tml-toolbar select'), inspector, 'a choice of the tool bar');
      await checkCharts(inspector);
      const title = inspector.locator('[data-figure="tradeoff"] .gtitle');
      const fill = await title.evaluate(el => getComputedStyle(el).fill);
      if (theme === 'dark') {
        expect(luminance(fill), `title colour ${fill} on a dark background`).toBeGreaterThan(0.6);
      } else {
        expect(luminance(fill), `title colour ${fill} on a light background`).toBeLessThan(0.3);
      }
    });
    await expectNoStderr(page);
  });

  test('strategy "auto" says what it chose for the picked target, on a row of its own inside the panel', async ({
    page,
    tmpPath
  }) => {
    const autoForest = [
      ...IRIS_FOREST.slice(0, -1),
      'tinyml_lab.inspect(model, X, y, name="iris", strategy="auto", target="avr")'
    ];
    await openNotebook(page, `${tmpPath}/auto.ipynb`, [autoForest]);
    const inspector = page.locator('.tml-inspector');
    await expect(inspector.locator('.js-plotly-plot')).toHaveCount(6, { timeout: 60000 });
    const picker = inspector.locator('select.tml-verdict-target');
    const auto = inspector.locator('.tml-verdict-auto');
    const profileName = async (id: string) =>
      ((await picker.locator(`option[value="${id}"]`).textContent()) ?? '').trim();
    await expect(picker).toHaveValue('avr');
    await expect(auto).toContainText(`auto chose`);
    await expect(auto).toContainText(`for ${await profileName('avr')}:`);
    // the picker moves the choice with it (and the kernel's options, so an export chooses the same)
    await picker.selectOption('cortex-m4f');
    await expect(auto).toContainText(`for ${await profileName('cortex-m4f')}:`, { timeout: 60000 });
    await inEachThemeAndWidth(page, inspector, async (theme, width) => {
      await expectInside(auto, inspector, "auto's choice");
      await inspector
        .locator('.tml-verdict')
        .screenshot({ path: test.info().outputPath(`inspector-auto-verdict-${theme}-${width}.png`) });
    });
    await expectNoStderr(page);
  });

  test('a sweep in a 450 px panel, light and dark: its chart fitted to the points, its table inside', async ({
    page,
    tmpPath
  }) => {
    await openNotebook(page, `${tmpPath}/sweep.ipynb`, [
      [
        'from sklearn.datasets import load_breast_cancer',
        'from sklearn.ensemble import RandomForestClassifier',
        'import tinyml_lab',
        'X, y = load_breast_cancer(return_X_y=True)',
        'result = tinyml_lab.sweep(RandomForestClassifier(random_state=0), X[:400], y[:400], X_test=X[400:], y_test=y[400:],',
        '    param_grid={"n_estimators": [5, 20], "max_depth": [3, 6]}, strategies=["tables"], target="cortex-m4f", n_jobs=1)',
        'result.show()'
      ]
    ]);
    const sweep = page.locator('.tml-sweep');
    await expect(sweep.locator('[data-figure="sweep"] .main-svg').first()).toBeVisible({ timeout: 120000 });
    // the names the Inspector gives the options ("… · int16 · tables · u8 leaves")
    await expect(sweep.locator('tr.tml-sweep-point td').first()).toHaveText(
      / · (float32|int16|int8) · tables( · u8 leaves)?$/
    );
    await inEachThemeAndWidth(page, sweep, async (theme, width) => {
      await expect(sweep.locator(`[data-figure="sweep"][data-plot-theme="${theme}"]`)).toBeVisible();
      await sweep.scrollIntoViewIfNeeded();
      await sweep.screenshot({ path: test.info().outputPath(`sweep-${theme}-${width}.png`) });
      await checkCharts(sweep);
      await expectInside(sweep.locator(':scope > *'), sweep, 'a part of the sweep');
    });
    await expectNoStderr(page);
  });

  test('a saved notebook reopened with a new kernel says "run the cell again", not "model not found"', async ({
    page,
    tmpPath
  }) => {
    const file = `${tmpPath}/reopened.ipynb`;
    await openNotebook(page, file, [IRIS_FOREST]);
    await expect(page.locator('.tml-inspector .js-plotly-plot')).toHaveCount(6, { timeout: 60000 });
    await page.notebook.save();
    await page.notebook.close();
    await page.kernel.shutdownAll();
    await page.notebook.openByPath(file);
    await page.notebook.activate('reopened.ipynb');
    const message = page.locator('.tml-reconnect');
    await expect(message).toBeVisible({ timeout: 30000 });
    await expect(message).toContainText('TinyML Lab Inspector: not connected to a kernel.');
    await expect(message).toContainText('Run the cell again to draw it.');
    await expect(page.getByText('Error displaying widget: model not found')).toHaveCount(0);
    await message.screenshot({ path: test.info().outputPath('inspector-reopened.png') });
    // running the cell draws the Inspector again
    await page.notebook.runCell(0);
    await expect(page.locator('.tml-inspector .js-plotly-plot')).toHaveCount(6, { timeout: 60000 });
  });
});
