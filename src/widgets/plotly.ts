/** Plotly, loaded on first use only (it is large): shared by the widgets that draw charts. */
import { Figure } from './charts';

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

/** Draws (or redraws) a figure spec into a container; a figure's onPointClick gets clicks. */
export async function plotFigure(container: HTMLElement, figure: Figure): Promise<void> {
  const Plotly = await loadPlotly();
  const height = figure.layout.height;
  if (typeof height === 'number') {
    // A responsive plot re-measures its container on a window resize: keep the figure's height.
    container.style.minHeight = `${height}px`;
  }
  await Plotly.react(container, figure.data, figure.layout, { displaylogo: false, responsive: true });
  const onPointClick = figure.onPointClick;
  if (onPointClick) {
    // Plotly adds an event emitter to the container it draws into.
    (container as unknown as PlotlyElement).on('plotly_click', event => onPointClick(event.points[0].pointIndex));
  }
}
