/** What the UI tests share: running a tutorial notebook as a user would, and its own checks. */
import { IJupyterLabPageFixture, expect } from '@jupyterlab/galata';
import * as path from 'path';

/** Uploads notebooks/<notebook> into the test's folder, opens it and runs every cell. */
export async function runTutorial(page: IJupyterLabPageFixture, tmpPath: string, notebook: string): Promise<void> {
  await page.contents.uploadFile(path.resolve(__dirname, '../../notebooks', notebook), `${tmpPath}/${notebook}`);
  await page.notebook.openByPath(`${tmpPath}/${notebook}`);
  await page.notebook.activate(notebook);
  await page.notebook.run();
}

/** No cell wrote to stderr: a tutorial's own asserts (and any traceback) print there. */
export async function expectNoStderr(page: IJupyterLabPageFixture): Promise<void> {
  expect(await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count()).toBe(0);
}

/** Writes a notebook of the given code cells (each a list of lines), opens it and runs every cell. */
export async function openNotebook(page: IJupyterLabPageFixture, filePath: string, cells: string[][]): Promise<void> {
  const notebook = {
    cells: cells.map(lines => ({
      cell_type: 'code',
      execution_count: null as number | null,
      metadata: {},
      outputs: [] as unknown[],
      source: lines.join('\n')
    })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
  await page.contents.uploadContent(JSON.stringify(notebook), 'text', filePath);
  await page.notebook.openByPath(filePath);
  await page.notebook.activate(path.basename(filePath));
  await page.notebook.run();
}
