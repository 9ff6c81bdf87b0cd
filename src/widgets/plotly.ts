/** Plotly, loaded on first use only (it is large): shared by the widgets that draw charts. */
import { Figure, THEME_TEMPLATE } from './charts';

type PlotlyModule = {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
  purge(el: HTMLElement): void;
};

let plotlyPromise: Promise<PlotlyModule> | null = null;
/** Plotly once loaded: purging needs it synchronously. */
let plotly: PlotlyModule | null = null;

export function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-cartesian-dist-min').then(m => {
      plotly = (m.default ?? m) as PlotlyModule;
      return plotly;
    });
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

/** Plotly's config for every chart: no logo, fits its container, no selection tools (nothing selects). */
const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d']
};

/** Which JupyterLab theme the page shows now (JupyterLab sets the attribute with the theme's CSS). */
function currentTheme(): 'light' | 'dark' {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

/**
 * The Plotly charts of one widget view. It draws figure specs in the theme's colours, draws
 * them again when JupyterLab's theme changes while the widget is open, and purges them
 * (Plotly's window resize listener, its event handlers, its DOM and data) before the view
 * draws anew and when the view is disposed: a widget switched ten times holds one set of plots.
 */
export class Plots {
  private readonly figures = new Map<HTMLElement, Figure>();
  private themeObserver: MutationObserver | null = null;

  /** Draws a figure spec into a container; a figure's onPointClick gets its clicks. */
  readonly draw = async (container: HTMLElement, figure: Figure): Promise<void> => {
    const height = figure.layout.height;
    if (typeof height === 'number') {
      // A responsive plot re-measures its container on a window resize: keep the figure's height.
      container.style.minHeight = `${height}px`;
    }
    this.figures.set(container, figure);
    this.watchTheme();
    await this.render(container, figure);
    const onPointClick = figure.onPointClick;
    if (onPointClick && this.figures.get(container) === figure) {
      // Plotly adds an event emitter to the container it draws into; purge removes it.
      (container as unknown as PlotlyElement).on('plotly_click', event => onPointClick(event.points[0].pointIndex));
    }
  };

  /** How many charts this view holds now (what the UI tests count across switches). */
  get size(): number {
    return this.figures.size;
  }

  /** Removes every chart drawn so far, with Plotly's listeners and data. */
  purge(): void {
    this.keepOnly(new Set());
  }

  /** Removes every chart drawn so far but those in `keep`, with Plotly's listeners and data. */
  keepOnly(keep: Set<HTMLElement>): void {
    for (const container of [...this.figures.keys()]) {
      if (!keep.has(container)) {
        plotly?.purge(container);
        this.figures.delete(container);
      }
    }
  }

  /** purge, and stop listening to theme changes. */
  dispose(): void {
    this.purge();
    this.themeObserver?.disconnect();
    this.themeObserver = null;
  }

  private async render(container: HTMLElement, figure: Figure): Promise<void> {
    const Plotly = await loadPlotly();
    if (this.figures.get(container) !== figure) {
      return; // purged (or drawn with another figure) while Plotly loaded
    }
    const style = getComputedStyle(container);
    const lookup = (name: string): string => style.getPropertyValue(name);
    const themed = resolveCssVariables({ template: THEME_TEMPLATE, ...figure.layout }, lookup);
    await Plotly.react(container, resolveCssVariables(figure.data, lookup), themed, PLOT_CONFIG);
    // What the UI tests wait for after a theme change: the colours of this theme are in.
    container.dataset.plotTheme = currentTheme();
  }

  private watchTheme(): void {
    if (this.themeObserver || typeof MutationObserver === 'undefined') {
      return;
    }
    // JupyterLab sets these attributes once the new theme's CSS is loaded: then the CSS
    // variables hold the new colours, and each chart is drawn again with them.
    this.themeObserver = new MutationObserver(() => {
      for (const [container, figure] of this.figures) {
        void this.render(container, figure);
      }
    });
    this.themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
    });
  }
}
