/** Plotly, loaded on first use only (it is large): shared by the widgets that draw charts. */
import { Figure, THEME_TEMPLATE } from './charts';

type PlotlyModule = { react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown> };

let plotlyPromise: Promise<PlotlyModule> | null = null;

export function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-cartesian-dist-min').then(m => (m.default ?? m) as PlotlyModule);
  }
  return plotlyPromise;
}

type PlotlyElement = {
  on(event: 'plotly_click', handler: (event: { points: Array<{ pointIndex: number }> }) => void): void;
};

const CSS_VARIABLE = /^var\((--[\w-]+)\)$/;

/**
 * A figure spec with each "var(--name)" string replaced by lookup(name): the theme's colour
 * where the chart is drawn. A variable that has no value is left out, so Plotly uses its default.
 */
export function resolveCssVariables<T>(value: T, lookup: (name: string) => string): T {
  if (typeof value === 'string') {
    const match = CSS_VARIABLE.exec(value);
    return (match ? lookup(match[1]).trim() || undefined : value) as T;
  }
  if (Array.isArray(value)) {
    return value.map(v => resolveCssVariables(v, lookup)) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const resolved = resolveCssVariables(v, lookup);
      if (resolved !== undefined) {
        out[key] = resolved;
      }
    }
    return out as T;
  }
  return value;
}

/** Each drawn container's figure: drawn again in the new theme's colours when JupyterLab's theme changes. */
const drawn = new WeakMap<HTMLElement, Figure>();
let themeObserver: MutationObserver | null = null;

async function draw(container: HTMLElement, figure: Figure): Promise<void> {
  const Plotly = await loadPlotly();
  const style = getComputedStyle(container);
  const lookup = (name: string): string => style.getPropertyValue(name);
  const themed = resolveCssVariables({ template: THEME_TEMPLATE, ...figure.layout }, lookup);
  await Plotly.react(container, resolveCssVariables(figure.data, lookup), themed, {
    displaylogo: false,
    responsive: true
  });
  // What the UI tests wait for after a theme change: the colours of this theme are in.
  container.dataset.plotTheme = document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

function watchTheme(): void {
  if (themeObserver || typeof MutationObserver === 'undefined') {
    return;
  }
  // JupyterLab sets these once the new theme's CSS is loaded.
  themeObserver = new MutationObserver(() => {
    document.querySelectorAll<HTMLElement>('[data-plot-theme]').forEach(container => {
      const figure = drawn.get(container);
      if (figure) {
        void draw(container, figure);
      }
    });
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name'] });
}

/** Draws (or redraws) a figure spec into a container; a figure's onPointClick gets clicks. */
export async function plotFigure(container: HTMLElement, figure: Figure): Promise<void> {
  const height = figure.layout.height;
  if (typeof height === 'number') {
    // A responsive plot re-measures its container on a window resize: keep the figure's height.
    container.style.minHeight = `${height}px`;
  }
  drawn.set(container, figure);
  watchTheme();
  await draw(container, figure);
  const onPointClick = figure.onPointClick;
  if (onPointClick) {
    // Plotly adds an event emitter to the container it draws into.
    (container as unknown as PlotlyElement).on('plotly_click', event => onPointClick(event.points[0].pointIndex));
  }
}
