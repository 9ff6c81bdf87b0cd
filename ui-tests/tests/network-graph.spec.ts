/**
 * A network's layer graph and arena plan in a real JupyterLab and Chromium, on MLPerf Tiny's
 * ResNet-8 (residual blocks joined by Add) and MobileNetV1 (Visual Wake Words, 30 layers):
 * light and dark theme, a 1400 px window and a 450 px wide Inspector, no label over another.
 * The screenshots stay with the test results.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { Box, checkCharts, expectApart, expectInside, inEachThemeAndWidth, luminance } from './layout';
import { expectNoStderr, openNotebook } from './tutorial';

/**
 * The MLPerf Tiny reference models: TINYML_MODELS_DIR, or shared/models/mlperf-tiny beside a
 * folder above the repository (as tests/python/conftest.py looks for them).
 */
function mlperfTinyModelsDir(): string {
  const repository = path.resolve(__dirname, '../..');
  const candidates = process.env.TINYML_MODELS_DIR ? [process.env.TINYML_MODELS_DIR] : [];
  for (let dir = path.dirname(repository); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'shared', 'models', 'mlperf-tiny'));
    if (dir === path.dirname(dir)) {
      break;
    }
  }
  const found = candidates.find(dir => fs.existsSync(path.join(dir, 'ad01.h5')));
  if (!found) {
    throw new Error(
      `the MLPerf Tiny models are not found: looked in ${candidates.join(', ')} ` +
        '(set TINYML_MODELS_DIR to the folder with ad01.h5)'
    );
  }
  return found;
}

/** The graph: rows one below the other, each row's parts side by side and inside the panel. */
async function checkGraph(inspector: Locator, layers: number): Promise<void> {
  const graph = inspector.locator('[data-figure="layer-graph"]');
  await expect(graph.locator('li.tml-graph-row')).toHaveCount(layers + 1);
  await expectApart(graph.locator('li.tml-graph-row'), 'graph rows');
  await expectApart(graph.locator('li.tml-graph-row > span'), 'graph labels');
  await expectInside(graph.locator('.tml-graph-op, .tml-graph-shape'), graph, 'a graph label');
  await expectInside(graph.locator('svg.tml-graph-edges'), graph, 'the graph lanes');
  // the lanes are left of the labels
  const lanes = (await graph.locator('svg.tml-graph-edges').boundingBox()) as Box;
  const firstLabel = (await graph.locator('.tml-graph-index').first().boundingBox()) as Box;
  expect(firstLabel.x).toBeGreaterThanOrEqual(lanes.x + lanes.width);
}

/** The arena plan: drawn in the theme's colours, ticks, legend, title and annotation apart and inside. */
async function checkArena(inspector: Locator, theme: 'light' | 'dark', layers: number): Promise<void> {
  const arena = inspector.locator(`[data-figure="arena-plan"][data-plot-theme="${theme}"]`);
  await expect(arena.locator('.main-svg').first()).toBeVisible({ timeout: 30000 });
  // one rectangle per tensor: the input and each layer's output
  await expect(arena.locator('.barlayer .point')).toHaveCount(layers + 1);
  await expectApart(arena.locator('.xtick text'), 'x tick labels');
  await expectApart(arena.locator('.ytick text'), 'y tick labels');
  await expectApart(arena.locator('.legend .traces'), 'legend entries');
  await expectApart(
    arena.locator('.gtitle, .gtitle-subtitle, .g-xtitle, .g-ytitle, .legend .bg, .annotation'),
    'title, subtitle, axis titles, legend and annotation'
  );
  await expectInside(arena.locator('.gtitle, .gtitle-subtitle, .legend .bg, .annotation'), arena, 'a text');
  const fill = await arena.locator('.gtitle').evaluate(el => getComputedStyle(el).fill);
  if (theme === 'dark') {
    expect(luminance(fill), `title colour ${fill} on a dark background`).toBeGreaterThan(0.6);
  } else {
    expect(luminance(fill), `title colour ${fill} on a light background`).toBeLessThan(0.3);
  }
}

const MODELS: Array<{ file: string; name: string; layers: number; rows: string; graphTitle: string; arena: RegExp }> = [
  {
    // ResNet-8: the input is int8 with scale 1 and zero -128, values 0 to 255
    file: 'pretrainedResnet_quant.tflite',
    name: 'resnet',
    layers: 15,
    rows: 'rng.integers(0, 256, (6, 32 * 32 * 3)).astype(np.float32)',
    graphTitle: 'Layer graph: 15 layers, 3 branches joined by 3 merges (add)',
    arena: /^Arena 192\.0 KiB: peak at layer 2 \(conv2d 2\)/
  },
  {
    // MobileNetV1 0.25 (VWW): values 0 to 1 in steps of 1/255
    file: 'vww_96_int8.tflite',
    name: 'vww',
    layers: 30,
    rows: '(rng.integers(0, 256, (3, 96 * 96 * 3)) / 255).astype(np.float32)',
    graphTitle: 'Layer graph: 30 layers in a chain',
    arena: /^Arena 252\.0 KiB: peak 216\.0 KiB at layer 2 \(conv2d 2\)/
  }
];

test.describe('TinyML Lab inspector: a network graph and its arena plan', () => {
  for (const model of MODELS) {
    test(`${model.file}: the layer graph and the arena plan, light and dark, wide and narrow`, async ({
      page,
      tmpPath
    }) => {
      const file = path.join(mlperfTinyModelsDir(), model.file);
      await openNotebook(page, `${tmpPath}/${model.name}.ipynb`, [
        [
          'import numpy as np, tinyml_lab',
          'rng = np.random.default_rng(0)',
          `X = ${model.rows}`,
          `tinyml_lab.Inspector(${JSON.stringify(file)}, X, name=${JSON.stringify(model.name)})`
        ]
      ]);
      const inspector = page.locator('.tml-inspector');
      await expect(inspector.locator('[data-figure="arena-plan"] .main-svg').first()).toBeVisible({
        timeout: 120000
      });
      await expect(inspector.locator('[data-figure="layer-graph"] h4')).toHaveText(model.graphTitle);
      await expect(inspector.locator('[data-figure="arena-plan"] .gtitle')).toHaveText(model.arena);
      await expect(inspector.locator('[data-figure="arena-plan"] .gtitle-subtitle')).toContainText('without planning');
      await expect(inspector.locator('tr.tml-layer')).toHaveCount(model.layers);
      await inEachThemeAndWidth(page, inspector, async (theme, width) => {
        await expect(inspector.locator(`[data-figure="arena-plan"][data-plot-theme="${theme}"]`)).toBeVisible();
        // what a person sees (kept even when a check below fails)
        const name = `${model.name}-${theme}-${width}`;
        await inspector.scrollIntoViewIfNeeded();
        await inspector.screenshot({ path: test.info().outputPath(`inspector-${name}.png`) });
        await inspector
          .locator('[data-figure="layer-graph"]')
          .screenshot({ path: test.info().outputPath(`graph-${name}.png`) });
        await inspector
          .locator('[data-figure="arena-plan"]')
          .screenshot({ path: test.info().outputPath(`arena-${name}.png`) });
        await checkGraph(inspector, model.layers);
        await checkArena(inspector, theme, model.layers);
        // every Plotly chart: ticks and titles apart and inside (the per-layer bars' names too)
        await checkCharts(inspector);
      });
      await expectNoStderr(page);
    });
  }
});
