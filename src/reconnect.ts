/**
 * A TinyML Lab widget saved in a notebook and shown again without its kernel (the notebook
 * reopened, the kernel restarted): the widget manager has no model for it and writes "Error
 * displaying widget: model not found". Where that output is one of ours (its data carries
 * RECONNECT_MIMETYPE, which tinyml_lab's widgets add to their display data), the error is
 * replaced by what happened and what to do: run the cell again.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';

/** The key tinyml_lab._widget_base.TinyMLWidget adds to its display data, naming the widget. */
export const RECONNECT_MIMETYPE = 'application/vnd.tinyml-lab.widget+json';

/** What the widget manager writes where it has no model for a widget. */
const MODEL_NOT_FOUND = 'Error displaying widget: model not found';

/** The parts of a notebook panel, a cell and an output area read here (no @jupyterlab/notebook needed). */
interface CellLike {
  node: HTMLElement;
  outputArea?: { model?: { get(index: number): { data: Record<string, unknown> } | undefined; length: number } };
}

/** The output data of the output `output` (an element inside an output area), found through the shell. */
function outputData(app: JupyterFrontEnd, output: HTMLElement): Record<string, unknown> | null {
  const cellNode = output.closest('.jp-Cell');
  const child = output.closest('.jp-OutputArea-child');
  if (!cellNode || !child?.parentElement) {
    return null;
  }
  const index = Array.from(child.parentElement.children).indexOf(child);
  for (const panel of app.shell.widgets('main')) {
    const cells = (panel as unknown as { content?: { widgets?: readonly CellLike[] } }).content?.widgets;
    const cell = cells?.find(c => c.node === cellNode);
    if (cell) {
      const model = cell.outputArea?.model;
      return model && index < model.length ? (model.get(index)?.data ?? null) : null;
    }
  }
  return null;
}

/** The message shown in place of the error, naming the widget the output held. */
export function reconnectMessage(widget: string): HTMLElement {
  const box = document.createElement('div');
  box.className = 'tml-reconnect';
  box.setAttribute('role', 'status');
  const title = document.createElement('strong');
  title.textContent = `TinyML Lab ${widget}: not connected to a kernel. `;
  box.append(
    title,
    document.createTextNode(
      'This widget was saved with the notebook, but its kernel is gone (the notebook was reopened or the ' +
        'kernel restarted). Run the cell again to draw it.'
    )
  );
  return box;
}

/** Replaces each "model not found" error of a TinyML Lab widget with reconnectMessage. */
function replaceOrphans(app: JupyterFrontEnd): void {
  for (const node of Array.from(document.querySelectorAll<HTMLElement>('.jupyter-widgets'))) {
    if (node.dataset.tmlChecked === MODEL_NOT_FOUND || node.textContent?.trim() !== MODEL_NOT_FOUND) {
      continue;
    }
    node.dataset.tmlChecked = MODEL_NOT_FOUND;
    const marker = outputData(app, node)?.[RECONNECT_MIMETYPE] as { widget?: string } | undefined;
    if (marker) {
      node.replaceChildren(reconnectMessage(marker.widget ?? 'widget'));
    }
  }
}

/** Watches the page for widget errors (the widget manager writes them when it has restored what it can). */
export function watchOrphanedWidgets(app: JupyterFrontEnd): void {
  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (!scheduled) {
      scheduled = true;
      setTimeout(() => {
        scheduled = false;
        replaceOrphans(app);
      }, 100);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
}
