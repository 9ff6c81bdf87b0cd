/**
 * The FeatureView in a real JupyterLab and Chromium: the audio tutorial runs, the browser
 * computes the log-mel frames, the forest's score and the events with the WebAssembly C
 * runtime, and they agree with the kernel's float64 reference.
 */
import { expect, test } from '@jupyterlab/galata';

import { expectNoStderr, runTutorial } from './tutorial';

const NOTEBOOK = 'audio_event_detection.ipynb';

test('the audio tutorial shows features, score and events, device against reference', async ({ page, tmpPath }) => {
  await runTutorial(page, tmpPath, NOTEBOOK);

  const view = page.locator('.tml-feature-view');
  await expect(view).toBeVisible({ timeout: 120000 });
  for (const id of ['feature-signal', 'feature-matrix', 'feature-score']) {
    await expect(view.locator(`[data-figure="${id}"] .main-svg`).first()).toBeVisible({ timeout: 60000 });
  }
  // Three whistles in the recording: the browser finds the same three events as the reference.
  await expect(view.locator('.tml-stat-events .tml-stat-value')).toHaveText('3 / 3');
  await expect(view.locator('.tml-stat-differing .tml-stat-value')).toHaveText('0');
  await expect(view.locator('.tml-summary')).not.toHaveClass(/tml-feature-mismatch/);
  // log-mel frames within float32 rounding of the float64 reference (dB)
  const featureDiff = Number(
    (await view.locator('.tml-stat-feature-diff .tml-stat-value').textContent())?.replace(' dB', '')
  );
  expect(featureDiff).toBeLessThan(0.01);
  // A viewport tall enough for the whole widget: the screenshot the README shows.
  await page.setViewportSize({ width: 1100, height: 2600 });
  await view.scrollIntoViewIfNeeded();
  await view.screenshot({ path: test.info().outputPath('feature-view.png') });

  // The inspector of the exported pipeline takes raw frames and agrees on every one.
  const inspector = page.locator('.tml-inspector:not(.tml-feature-view)');
  await expect(inspector.locator('.tml-stat-agreement .tml-stat-value')).toHaveText(/^100\.00%/, { timeout: 120000 });
  await expect(inspector.locator('.tml-code')).toContainText('whistle_features(const float *clip, float *features)');
  await expectNoStderr(page);
});
