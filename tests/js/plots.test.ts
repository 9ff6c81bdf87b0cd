/**
 * Plots (src/widgets/plotly.ts) with Plotly replaced by a recorder (Plotly draws nothing
 * under jsdom): charts in the theme's colours, drawn again when the theme changes, purged
 * with their listeners before a redraw and on dispose.
 */
import { Figure, THEME, layout } from '../../src/widgets/charts';
import { Plots } from '../../src/widgets/plotly';

const calls: { react: Array<{ el: HTMLElement; layout: Record<string, unknown> }>; purge: HTMLElement[] } = {
  react: [],
  purge: []
};

jest.mock('plotly.js-cartesian-dist-min', () => ({
  react: async (el: HTMLElement, _data: unknown[], layout: Record<string, unknown>) => {
    calls.react.push({ el, layout });
    (el as unknown as { on: () => void }).on = () => undefined;
  },
  purge: (el: HTMLElement) => calls.purge.push(el)
}));

const figure = (id: string): Figure => ({ id, data: [], layout: layout(id, {}) });

/**
 * The theme as JupyterLab sets it: its colours, then the body's attributes. (jsdom does not
 * inherit custom properties: they are set on each chart's container.)
 */
function setTheme(light: boolean): void {
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('.chart'))) {
    el.style.setProperty('--jp-ui-font-color0', light ? '#000' : '#fff');
    el.style.setProperty('--jp-layout-color0', light ? '#fff' : '#111');
  }
  document.body.dataset.jpThemeLight = String(light);
}

function chartBox(): HTMLElement {
  const box = document.createElement('div');
  box.className = 'chart';
  document.body.appendChild(box);
  return box;
}

/** Lets the MutationObserver and the redraws it starts run. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

beforeEach(() => {
  calls.react = [];
  calls.purge = [];
});

afterEach(() => document.body.replaceChildren());

describe('Plots', () => {
  it("draws in the theme's colours and again in the new ones when the theme changes", async () => {
    const plots = new Plots();
    const box = chartBox();
    setTheme(true);
    await plots.draw(box, figure('a'));
    const template = (calls.react[0].layout.template as { layout: Record<string, unknown> }).layout;
    expect(template.font).toEqual({ color: '#000' });
    expect(template.paper_bgcolor).toBe('#fff');
    expect(box.dataset.plotTheme).toBe('light');

    setTheme(false);
    await settle();
    await settle();
    expect(calls.react).toHaveLength(2);
    const dark = (calls.react[1].layout.template as { layout: Record<string, unknown> }).layout;
    expect(dark.font).toEqual({ color: '#fff' });
    expect(dark.paper_bgcolor).toBe('#111');
    expect(box.dataset.plotTheme).toBe('dark');
    plots.dispose();
  });

  it('purges every chart before drawing anew, and stops listening to the theme on dispose', async () => {
    const plots = new Plots();
    const boxes = [chartBox(), chartBox()];
    setTheme(true);
    for (const [i, box] of boxes.entries()) {
      await plots.draw(box, figure(`f${i}`));
    }
    expect(plots.size).toBe(2);
    plots.purge();
    expect(calls.purge).toEqual(boxes);
    expect(plots.size).toBe(0);

    await plots.draw(boxes[0], figure('again'));
    plots.dispose();
    expect(calls.purge).toEqual([...boxes, boxes[0]]);
    calls.react = [];
    setTheme(false);
    await settle();
    expect(calls.react).toHaveLength(0);
  });

  it('names theme variables in the figure specs, never fixed colours', () => {
    expect(Object.values(THEME).every(v => /^var\(--jp-[\w-]+\)$/.test(v))).toBe(true);
  });
});
