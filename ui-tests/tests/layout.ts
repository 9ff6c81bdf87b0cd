/**
 * Layout checks the UI tests share: elements apart and inside their container, a colour's
 * luminance, and sizing the window so that the Inspector is a given width.
 */
import { IJupyterLabPageFixture, expect } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  /** What it is, for the failure message. */
  name?: string;
}

const overlap = (a: Box, b: Box): boolean =>
  a.x + 0.5 < b.x + b.width && b.x + 0.5 < a.x + a.width && a.y + 0.5 < b.y + b.height && b.y + 0.5 < a.y + a.height;

async function boxes(locator: Locator): Promise<Box[]> {
  const all = await locator.evaluateAll(els =>
    els.map(el => {
      const r = el.getBoundingClientRect();
      const name = `${el.getAttribute('class')} "${(el.textContent ?? '').slice(0, 40)}"`;
      return { x: r.x, y: r.y, width: r.width, height: r.height, name };
    })
  );
  return all.filter(b => b.width > 0 && b.height > 0);
}

/**
 * No two of these elements cover the same pixels. (One assertion for all the pairs: each
 * expect() is a reported step, and a graph of 30 layers has thousands of pairs of labels.)
 */
export async function expectApart(locator: Locator, what: string): Promise<void> {
  const found = await boxes(locator);
  const overlapping: string[] = [];
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      if (overlap(found[i], found[j])) {
        overlapping.push(JSON.stringify([found[i], found[j]]));
      }
    }
  }
  expect(overlapping, `${what} overlap`).toEqual([]);
}

/** Each element lies inside the container, left to right (nothing cut off at its edges). */
export async function expectInside(locator: Locator, container: Locator, what: string): Promise<void> {
  const outer = (await container.boundingBox()) as Box;
  const outside = (await boxes(locator)).filter(
    b => b.x < outer.x - 0.5 || b.x + b.width > outer.x + outer.width + 0.5
  );
  expect(outside, `${what} cut off: outside ${JSON.stringify(outer)}`).toEqual([]);
}

/** Relative luminance of a CSS colour, 0 (black) to 1 (white). */
export function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

/**
 * A 1400 px window (the Inspector at its widest), or a window that makes the Inspector
 * `width` px wide (the notebook's margins and scroll bar beside it). Close the left side bar
 * first: with the file browser open, a 450 px window leaves the notebook ~120 px.
 */
export async function setWidth(page: IJupyterLabPageFixture, inspector: Locator, width: number): Promise<number> {
  let viewport = 1400;
  await page.setViewportSize({ width: viewport, height: 3600 });
  for (let attempt = 0; attempt < 4 && width < 1400; attempt++) {
    const actual = ((await inspector.boundingBox()) as Box).width;
    if (Math.abs(actual - width) <= 1) {
      break;
    }
    // never narrower than the width asked (a measure taken mid-relayout can overshoot)
    viewport = Math.max(width, viewport + width - actual);
    await page.setViewportSize({ width: viewport, height: 3600 });
    await page.waitForTimeout(300); // the notebook lays its outputs out again
  }
  await page.waitForTimeout(500); // Plotly redraws responsive charts after a resize
  // tall enough for the whole Inspector in one screenshot
  const height = Math.ceil(((await inspector.boundingBox()) as Box).height) + 600;
  if (height > 3600) {
    await page.setViewportSize({ width: viewport, height });
    await page.waitForTimeout(500);
  }
  return ((await inspector.boundingBox()) as Box).width;
}

/**
 * Runs `check` in the light and the dark theme, with the Inspector 1400 px wide and then
 * 450 px wide (the left side bar closed, the 450 px checked), and ends in the light theme.
 */
export async function inEachThemeAndWidth(
  page: IJupyterLabPageFixture,
  inspector: Locator,
  check: (theme: 'light' | 'dark', width: number) => Promise<void>
): Promise<void> {
  // A notebook wide as the window, not beside the file browser.
  await page.sidebar.close('left');
  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    }
    for (const width of [1400, 450]) {
      const actual = await setWidth(page, inspector, width);
      if (width === 450) {
        expect(Math.abs(actual - 450)).toBeLessThanOrEqual(2);
      }
      await check(theme, width);
    }
  }
  await page.theme.setLightTheme();
}

/** Each chart's title, axis titles and tick labels apart and inside the chart. */
export async function checkCharts(inspector: Locator): Promise<void> {
  for (const chart of await inspector.locator('.tml-chart').all()) {
    const id = await chart.getAttribute('data-figure');
    await expectApart(chart.locator('.xtick text'), `${id}: x tick labels`);
    await expectApart(chart.locator('.ytick text'), `${id}: y tick labels`);
    await expectApart(chart.locator('.gtitle, .g-xtitle, .g-ytitle, .modebar'), `${id}: titles and tool bar`);
    await expectInside(chart.locator('.gtitle, .g-xtitle, .xtick text, .textpoint'), chart, `${id}: a text`);
  }
}
